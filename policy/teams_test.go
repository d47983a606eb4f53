package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/domain"
)

// teamPolicy is a valid policy with teams; the cases edit single lines of
// it, so the line numbers they assert are the ones on the left of:
//
//	14 teams:
//	15   - name: north
//	16     members: [S0NORTH, U0ERIN]
//	17     approvers:
//	18       team-lead: [U0FRANK]
//	19     channels: {escalations: C0NORTHESC, leaders: C0NORTHLEAD}
//	20   - name: south
//	21     members: [U0GINA, U0HAL]
//	22     approvers:
//	23       team-lead: [U0IVY]
const teamPolicy = `timezone: America/Chicago
channels: {praise: C0PRAISE, escalations: C0ESCALATE, leaders: C0LEADERS}
admins: [U0ADMIN]
frontline: [U0DAVE]
levels:
  - name: team-lead
    approvers: [U0BOB]
    respond_within: 4h
    remind_after: 2h
  - name: manager
    approvers: [U0CAROL, U0DAN]
    respond_within: 24h
    approvals_needed: 2
teams:
  - name: north
    members: [S0NORTH, U0ERIN]
    approvers:
      team-lead: [U0FRANK]
    channels: {escalations: C0NORTHESC, leaders: C0NORTHLEAD}
  - name: south
    members: [U0GINA, U0HAL]
    approvers:
      team-lead: [U0IVY]
local_time: true
working_days: [mon, TUE, Wed, THU, FRI, SAT]
autonomy:
  propose_after: 5
activities:
  - {name: discount, frontline_limit: 500, level_limits: {team-lead: 2000, manager: 10000}}
praise:
  reaction: ":clap:"
feedback:
  anonymity_floor: 4
retention: 400d
`

// editTeams applies old→new replacements to teamPolicy.
func editTeams(t *testing.T, pairs ...string) string {
	t.Helper()
	return editOf(t, teamPolicy, pairs...)
}

func TestParsePolicyTeams(t *testing.T) {
	pol, err := Parse([]byte(teamPolicy), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	wantTeams := []domain.Team{
		{
			Name: "north", Members: []string{"S0NORTH", "U0ERIN"},
			Approvers: map[string][]string{"team-lead": {"U0FRANK"}},
			Channels:  domain.TeamChannels{Escalations: "C0NORTHESC", Leaders: "C0NORTHLEAD"},
		},
		{Name: "south", Members: []string{"U0GINA", "U0HAL"}, Approvers: map[string][]string{"team-lead": {"U0IVY"}}},
	}
	if diff := cmp.Diff(wantTeams, pol.Teams); diff != "" {
		t.Errorf("teams (-want +got):\n%s", diff)
	}
	wantLevels := []domain.Level{
		{Name: "team-lead", Approvers: []string{"U0BOB"}, RespondWithin: 4 * time.Hour, RemindAfter: 2 * time.Hour},
		{Name: "manager", Approvers: []string{"U0CAROL", "U0DAN"}, RespondWithin: 24 * time.Hour, ApprovalsNeeded: 2},
	}
	if diff := cmp.Diff(wantLevels, pol.Levels); diff != "" {
		t.Errorf("levels (-want +got):\n%s", diff)
	}
	// Team members count as frontline, after the top-level ones.
	if diff := cmp.Diff([]string{"U0DAVE", "S0NORTH", "U0ERIN", "U0GINA", "U0HAL"}, pol.Frontline); diff != "" {
		t.Errorf("frontline (-want +got):\n%s", diff)
	}
	wantDays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	if diff := cmp.Diff(wantDays, pol.WorkingDays); diff != "" {
		t.Errorf("working days (-want +got):\n%s", diff)
	}
	if !pol.LocalTime {
		t.Error("local_time = false, want true")
	}
	if diff := cmp.Diff([]string{"U0ADMIN"}, pol.Admins); diff != "" {
		t.Errorf("admins (-want +got):\n%s", diff)
	}
	if pol.Retention != 400*24*time.Hour {
		t.Errorf("retention = %v, want 400 days", pol.Retention)
	}
	if pol.Autonomy.ProposeAfter != 5 {
		t.Errorf("autonomy.propose_after = %d, want 5", pol.Autonomy.ProposeAfter)
	}
	if pol.Praise.Reaction != "clap" {
		t.Errorf("praise.reaction = %q, want clap (colons dropped)", pol.Praise.Reaction)
	}
	if pol.Feedback.AnonymityFloor != 4 {
		t.Errorf("feedback.anonymity_floor = %d, want 4", pol.Feedback.AnonymityFloor)
	}
	if len(pol.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", pol.Warnings)
	}
	// The domain's helpers see the teams as parsed.
	if got := pol.ApproversOf("north", 0); !cmp.Equal(got, []string{"U0FRANK"}) {
		t.Errorf("north's team-lead approvers = %v, want U0FRANK", got)
	}
	if got := pol.ApproversOf("south", 1); !cmp.Equal(got, []string{"U0CAROL", "U0DAN"}) {
		t.Errorf("south's manager approvers = %v, want the shared managers", got)
	}
	if pol.EscalationsChannel("north") != "C0NORTHESC" || pol.EscalationsChannel("south") != "C0ESCALATE" {
		t.Errorf("escalation channels = %s, %s", pol.EscalationsChannel("north"), pol.EscalationsChannel("south"))
	}
	if pol.LeadersChannel("north") != "C0NORTHLEAD" || pol.LeadersChannel("south") != "C0LEADERS" {
		t.Errorf("leaders channels = %s, %s", pol.LeadersChannel("north"), pol.LeadersChannel("south"))
	}
}

// A flat policy gets the defaults of the new keys and no teams.
func TestParsePolicyFlatHasNoTeams(t *testing.T) {
	pol, err := Parse([]byte(basePolicy), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(pol.Teams) != 0 || pol.LocalTime || pol.Retention != 0 || pol.Autonomy.ProposeAfter != 0 ||
		pol.Praise.Reaction != "" || len(pol.Admins) != 0 || len(pol.Warnings) != 0 {
		t.Errorf("flat policy = %+v, want no teams and every new key off", pol)
	}
	if pol.Feedback.AnonymityFloor != 3 {
		t.Errorf("anonymity floor = %d, want the default 3", pol.Feedback.AnonymityFloor)
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if want := d != time.Saturday && d != time.Sunday; pol.IsWorkingDay(d) != want {
			t.Errorf("IsWorkingDay(%v) = %v, want %v (MON to FRI)", d, !want, want)
		}
	}
	for i := range pol.Levels {
		if pol.ApprovalsNeeded(i) != 1 || pol.RemindAfter(i) != 0 {
			t.Errorf("level %d: approvals %d, remind after %v; want 1 and none", i, pol.ApprovalsNeeded(i), pol.RemindAfter(i))
		}
	}
}

// With teams, the top-level frontline may be left out.
func TestParsePolicyTeamsWithoutFrontline(t *testing.T) {
	pol, err := Parse([]byte(editTeams(t, "frontline: [U0DAVE]\n", "")), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if diff := cmp.Diff([]string{"S0NORTH", "U0ERIN", "U0GINA", "U0HAL"}, pol.Frontline); diff != "" {
		t.Errorf("frontline (-want +got):\n%s", diff)
	}
}

// teamErrorCases are the mistakes TestParsePolicyTeamErrors makes in
// teamPolicy; each is also a file of testdata/invalid.
var teamErrorCases = []problemCase{
	{
		name:     "team approver level that is not a level",
		src:      []string{"      team-lead: [U0IVY]", "      boss: [U0IVY]"},
		wantLine: 23,
		wantMsg:  `teams[1] (south).approvers.boss: unknown level "boss" (levels: team-lead, manager)`,
	},
	{
		name:     "duplicate team name",
		src:      []string{"name: south", "name: north"},
		wantLine: 20,
		wantMsg:  `teams[1].name: duplicate team "north" (first at line 15)`,
	},
	{
		name:     "duplicate team name in another case",
		src:      []string{"name: south", "name: North"},
		wantLine: 20,
		wantMsg:  `teams[1].name: duplicate team "North" (first at line 15)`,
	},
	{
		name:     "team without a name",
		src:      []string{"  - name: south\n    members:", "  - members:"},
		wantLine: 20,
		wantMsg:  "teams[1].name: is required",
	},
	{
		name:     "team with an empty name",
		src:      []string{"name: south", `name: " "`},
		wantLine: 20,
		wantMsg:  "teams[1].name: is empty",
	},
	{
		name:     "team without members",
		src:      []string{"    members: [U0GINA, U0HAL]\n", ""},
		wantLine: 20,
		wantMsg:  "teams[1] (south).members: is required (the team's front-line users and user groups)",
	},
	{
		name:     "team with an empty members list",
		src:      []string{"members: [U0GINA, U0HAL]", "members: []"},
		wantLine: 21,
		wantMsg:  "teams[1] (south).members: must list at least one user or user group",
	},
	{
		name:     "team member not an ID",
		src:      []string{"members: [U0GINA, U0HAL]", "members: [U0GINA, hal]"},
		wantLine: 21,
		wantMsg:  `teams[1] (south).members[1]: "hal" is not a Slack user (U…/W…) or user group (S…) ID`,
	},
	{
		name:     "team approvers empty",
		src:      []string{"team-lead: [U0IVY]", "team-lead: []"},
		wantLine: 23,
		wantMsg:  "teams[1] (south).approvers.team-lead: must list at least one approver (or leave the level out for the top-level approvers)",
	},
	{
		name:     "team channel not a channel ID",
		src:      []string{"leaders: C0NORTHLEAD", `leaders: "#north-leads"`},
		wantLine: 19,
		wantMsg:  `teams[0] (north).channels.leaders: "#north-leads" is not a Slack channel ID (C… or G…)`,
	},
	{
		name:     "team escalations channel a user ID",
		src:      []string{"escalations: C0NORTHESC", "escalations: U0NORTHESC"},
		wantLine: 19,
		wantMsg:  `teams[0] (north).channels.escalations: "U0NORTHESC" is not a Slack channel ID (C… or G…)`,
	},
	{
		name:     "unknown team key",
		src:      []string{"    channels: {escalations", "    channel: {escalations"},
		wantLine: 19,
		wantMsg:  `unknown key "channel" in teams[0]: did you mean "channels"? (known keys: name, members, approvers, channels)`,
	},
	{
		name:     "unknown team channel",
		src:      []string{"leaders: C0NORTHLEAD", "praise: C0NORTHLEAD"},
		wantLine: 19,
		wantMsg:  `unknown key "praise" in teams[0] (north).channels (known keys: escalations, leaders)`,
	},
	{
		name:     "teams not a list",
		src:      []string{teamPolicy[strings.Index(teamPolicy, "teams:"):strings.Index(teamPolicy, "local_time")], "teams: north\n"},
		wantLine: 14,
		wantMsg:  "teams: must be a list",
	},
	{
		name:     "remind_after as long as respond_within",
		src:      []string{"remind_after: 2h", "remind_after: 4h"},
		wantLine: 9,
		wantMsg:  "levels[0].remind_after: 4h is not shorter than respond_within (4h); the reminder must come before the move up",
	},
	{
		name:     "remind_after longer than respond_within",
		src:      []string{"remind_after: 2h", "remind_after: 1d"},
		wantLine: 9,
		wantMsg:  "levels[0].remind_after: 1d is not shorter than respond_within (4h); the reminder must come before the move up",
	},
	{
		name:     "remind_after not a duration",
		src:      []string{"remind_after: 2h", "remind_after: soon"},
		wantLine: 9,
		wantMsg:  `levels[0].remind_after: "soon" is not a duration (write it like 4h, 30m, 72h or 3d)`,
	},
	{
		name:     "approvals_needed zero",
		src:      []string{"approvals_needed: 2", "approvals_needed: 0"},
		wantLine: 13,
		wantMsg:  "levels[1].approvals_needed: must be a whole number more than zero",
	},
	{
		name:     "approvals_needed more than the level's users",
		src:      []string{"approvals_needed: 2", "approvals_needed: 3"},
		wantLine: 13,
		wantMsg:  "levels[1].approvals_needed: 3 approvals can never be reached: only 2 approvers (U0CAROL, U0DAN) approve at manager or above",
	},
	{
		name: "approvals_needed more than a team's own approvers",
		src: []string{
			"      team-lead: [U0IVY]", "      team-lead: [U0IVY]\n      manager: [U0CAROL]",
		},
		wantLine: 24,
		wantMsg:  "levels[1].approvals_needed: 2 approvals can never be reached for team south: only 1 approver (U0CAROL) approves at manager or above",
	},
	{
		name:     "unknown weekday",
		src:      []string{"Wed, THU", "Wed, THURS"},
		wantLine: 25,
		wantMsg:  `working_days[3]: "THURS" is not a day of the week (use MON, TUE, WED, THU, FRI, SAT, SUN)`,
	},
	{
		name:     "weekday twice",
		src:      []string{"FRI, SAT]", "FRI, fri]"},
		wantLine: 25,
		wantMsg:  "working_days[5]: fri is listed twice (first at line 25)",
	},
	{
		name:     "no working days",
		src:      []string{"working_days: [mon, TUE, Wed, THU, FRI, SAT]", "working_days: []"},
		wantLine: 25,
		wantMsg:  "working_days: must list at least one day (or leave it out for MON to FRI)",
	},
	{
		name:     "local_time not a bool",
		src:      []string{"local_time: true", "local_time: sometimes"},
		wantLine: 24,
		wantMsg:  "local_time: must be true or false",
	},
	{
		name:     "admin a user group",
		src:      []string{"admins: [U0ADMIN]", "admins: [S0ADMINS]"},
		wantLine: 3,
		wantMsg:  `admins[0]: "S0ADMINS" is not a Slack user ID (U… or W…); admins are named one by one`,
	},
	{
		name:     "retention not a duration",
		src:      []string{"retention: 400d", "retention: a year"},
		wantLine: 34,
		wantMsg:  `retention: "a year" is not a duration (write it like 4h, 30m, 72h or 3d)`,
	},
	{
		name:     "propose_after zero",
		src:      []string{"propose_after: 5", "propose_after: 0"},
		wantLine: 27,
		wantMsg:  "autonomy.propose_after: must be a whole number more than zero",
	},
	{
		name:     "propose_after missing",
		src:      []string{"  propose_after: 5", "  {}"},
		wantLine: 26,
		wantMsg:  "autonomy.propose_after: is required (how many approved decisions in a row earn a bigger box, like 5)",
	},
	{
		name:     "reaction not an emoji name",
		src:      []string{`reaction: ":clap:"`, `reaction: "clapping hands"`},
		wantLine: 31,
		wantMsg:  `praise.reaction: "clapping hands" is not an emoji name (write it like clap or :clap:)`,
	},
	{
		name:     "anonymity_floor zero",
		src:      []string{"anonymity_floor: 4", "anonymity_floor: 0"},
		wantLine: 33,
		wantMsg:  "feedback.anonymity_floor: must be a whole number more than zero",
	},
	{
		name:     "unknown level key",
		src:      []string{"remind_after: 2h", "remind_before: 2h"},
		wantLine: 9,
		wantMsg:  `unknown key "remind_before" in levels[0] (known keys: name, approvers, respond_within, remind_after, approvals_needed)`,
	},
}

func TestParsePolicyTeamErrors(t *testing.T) {
	runProblemCases(t, teamPolicy, teamErrorCases)
}

// A user group among the approvers could hold anyone: approvals_needed is
// never too many then.
func TestParsePolicyApprovalsNeededWithGroups(t *testing.T) {
	src := editTeams(t, "approvals_needed: 2", "approvals_needed: 7", "approvers: [U0CAROL, U0DAN]", "approvers: [U0CAROL, S0MANAGERS]")
	if _, err := Parse([]byte(src), "policy.yaml"); err != nil {
		t.Errorf("Parse: %v, want a user group to count as enough approvers", err)
	}
	// Approvers of the levels above count too.
	src = editTeams(t,
		"    approvals_needed: 2\n", "    approvals_needed: 2\n  - name: director\n    approvers: [U0ZED]\n    respond_within: 48h\n",
		"approvals_needed: 2", "approvals_needed: 3")
	if _, err := Parse([]byte(src), "policy.yaml"); err != nil {
		t.Errorf("Parse: %v, want the director to count as a third approver", err)
	}
}

func TestParsePolicyMemberInTwoTeams(t *testing.T) {
	src := editTeams(t, "members: [U0GINA, U0HAL]", "members: [U0GINA, U0ERIN, U0HAL]")
	pol, err := Parse([]byte(src), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v, want only a warning", err)
	}
	want := []string{"policy.yaml:21: warning: teams[1] (south).members: U0ERIN is also a member of team north (line 16); " +
		"a person belongs to the first team, so U0ERIN stays in north"}
	if diff := cmp.Diff(want, pol.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	north, _ := pol.Team("north")
	south, _ := pol.Team("south")
	if !cmp.Equal(north.Members, []string{"S0NORTH", "U0ERIN"}) || !cmp.Equal(south.Members, []string{"U0GINA", "U0HAL"}) {
		t.Errorf("members: north %v, south %v; want U0ERIN in north only", north.Members, south.Members)
	}

	// check-policy prints the warning and still says ok.
	path := filepath.Join(t.TempDir(), "two.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Check(path, &out); err != nil {
		t.Fatalf("Check = %v, want nil for a warning", err)
	}
	wantOut := path + ":21: warning: teams[1] (south).members: U0ERIN is also a member of team north (line 16); " +
		"a person belongs to the first team, so U0ERIN stays in north\nok\n"
	if out.String() != wantOut {
		t.Errorf("Check printed:\n%s\nwant:\n%s", out.String(), wantOut)
	}
}

func TestParsePolicyTeamsReportEveryProblem(t *testing.T) {
	src := editTeams(t,
		"remind_after: 2h", "remind_after: 5h",
		"approvals_needed: 2", "approvals_needed: 3",
		"name: south", "name: north",
		"      team-lead: [U0IVY]", "      ceo: [U0IVY]",
		"Wed, THU", "Wed, THOR",
	)
	got := parseProblems(t, src)
	var lines []int
	for _, p := range got {
		lines = append(lines, p.Line)
	}
	if want := []int{9, 13, 20, 23, 25}; !cmp.Equal(lines, want) {
		t.Errorf("problem lines = %v, want %v (problems %+v)", lines, want, got)
	}
}

// The deployment example shows organisation scale, commented.
func TestExamplePolicyShowsTeams(t *testing.T) {
	pol, err := Load("../deploy/policy.example.yaml")
	if err != nil {
		t.Fatalf("Load(example): %v", err)
	}
	if len(pol.Teams) != 2 || pol.RemindAfter(0) == 0 || pol.ApprovalsNeeded(1) != 2 || !pol.LocalTime ||
		pol.Retention != 400*24*time.Hour || pol.Praise.Reaction != "clap" || len(pol.Warnings) != 0 {
		t.Errorf("example = teams %+v, remind after %v, approvals %d, local time %v, retention %v, reaction %q, warnings %q",
			pol.Teams, pol.RemindAfter(0), pol.ApprovalsNeeded(1), pol.LocalTime, pol.Retention, pol.Praise.Reaction, pol.Warnings)
	}
}
