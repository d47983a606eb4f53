package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// basePolicy is valid; the error cases edit single lines of it, so the line
// numbers in the comments on the right are the ones the cases assert.
const basePolicy = `timezone: America/Chicago
currency: USD
channels:
  praise: C0PRAISE
  escalations: C0ESCALATE
  leaders: C0LEADERS
values: [customer-first, ownership, courage]
frontline: [S0FRONTLINE, U0DAVE]
levels:
  - name: team-lead
    approvers: [U0BOB]
    respond_within: 4h
  - name: manager
    approvers: [U0CAROL, S0MANAGERS, W0ERIN]
    respond_within: 24h
activities:
  - name: discount
    summary: Invoice discount
    unit: USD
    frontline_limit: 500
    level_limits: {team-lead: 2000, manager: "10,000.50"}
  - name: travel-waiver
    frontline_limit: 250.75
always_escalate:
  safety: manager
schedules:
  feedback: "0 9 * * MON"
  digest: "@every 2s"
outcomes:
  ask_after: 3d
praise:
  daily_limit: 5
`

// edit applies old→new replacements to basePolicy, failing the test when
// old is not there.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	return editOf(t, basePolicy, pairs...)
}

// editOf applies old→new replacements to base, failing the test when old is
// not there.
func editOf(t *testing.T, base string, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the policy has no %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func parseProblems(t *testing.T, src string) []Problem {
	t.Helper()
	pol, err := Parse([]byte(src), "policy.yaml")
	if err == nil {
		t.Fatalf("Parse = %+v, nil; want an error", pol)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	if pol != nil {
		t.Errorf("Parse returned a policy with an error")
	}
	return pe.Problems
}

func TestParsePolicyValid(t *testing.T) {
	pol, err := Parse([]byte(basePolicy), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &domain.Policy{
		Timezone:  "America/Chicago",
		Currency:  "USD",
		Channels:  domain.Channels{Praise: "C0PRAISE", Escalations: "C0ESCALATE", Leaders: "C0LEADERS"},
		Values:    []string{"customer-first", "ownership", "courage"},
		Frontline: []string{"S0FRONTLINE", "U0DAVE"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}, RespondWithin: 4 * time.Hour},
			{Name: "manager", Approvers: []string{"U0CAROL", "S0MANAGERS", "W0ERIN"}, RespondWithin: 24 * time.Hour},
		},
		Activities: []domain.Activity{
			{
				Name: "discount", Summary: "Invoice discount", Unit: "USD", FrontlineLimit: money.FromMajor(500),
				LevelLimits: map[string]money.Amount{"team-lead": money.FromMajor(2000), "manager": 1_000_050},
			},
			{Name: "travel-waiver", Unit: "USD", FrontlineLimit: 25075, LevelLimits: map[string]money.Amount{}},
		},
		AlwaysEscalate: map[string]string{"safety": "manager"},
		Schedules: domain.Schedules{
			Feedback:            "0 9 * * MON",
			FeedbackReminder:    "0 9 * * WED",
			CommitmentReminders: "0 8 * * *",
			EscalationTimeouts:  "*/5 * * * *",
			OutcomeFollowups:    "0 10 * * *",
			Digest:              "@every 2s",
		},
		Outcomes:    domain.Outcomes{AskAfter: 72 * time.Hour},
		Praise:      domain.Praise{ShowAmounts: false, DailyLimit: 5},
		Commitments: domain.Commitments{RemindBefore: 24 * time.Hour},
		Feedback:    domain.Feedback{AnonymousAllowed: true, Questions: domain.DefaultQuestions(), AnonymityFloor: 3},
	}
	if diff := cmp.Diff(want, pol, cmpopts.IgnoreFields(domain.Policy{}, "Location")); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if pol.Location == nil || pol.Location.String() != "America/Chicago" {
		t.Errorf("Location = %v, want America/Chicago", pol.Location)
	}
}

func TestParsePolicyDefaults(t *testing.T) {
	const minimal = `channels: {praise: C1, escalations: C2, leaders: G3}
frontline: [U1]
levels:
  - {name: lead, approvers: [U2], respond_within: 1h}
activities:
  - {name: refund, frontline_limit: 100}
`
	pol, err := Parse([]byte(minimal), "min.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if pol.Timezone != "UTC" || pol.Location != time.UTC {
		t.Errorf("timezone = %q (%v), want UTC", pol.Timezone, pol.Location)
	}
	if pol.Currency != "USD" {
		t.Errorf("currency = %q, want USD", pol.Currency)
	}
	if diff := cmp.Diff(DefaultSchedules(), pol.Schedules); diff != "" {
		t.Errorf("schedules (-want +got):\n%s", diff)
	}
	if pol.Outcomes.AskAfter != 72*time.Hour {
		t.Errorf("outcomes.ask_after = %v, want 72h", pol.Outcomes.AskAfter)
	}
	if pol.Praise != (domain.Praise{ShowAmounts: false, DailyLimit: 10}) {
		t.Errorf("praise = %+v, want show_amounts false, daily_limit 10", pol.Praise)
	}
	if pol.Commitments.RemindBefore != 24*time.Hour {
		t.Errorf("commitments.remind_before = %v, want 24h", pol.Commitments.RemindBefore)
	}
	wantQ := []string{
		"How can I help you realize your goals in the next year?",
		"By when would you like me to achieve these things for you?",
		"In what areas have I failed to help you in the past, and how can I improve?",
		"What kind of things would help you feel more engaged?",
		"How can I help smooth your path toward mastery of certain skills?",
		"What does success look like for you, and how can I help you succeed?",
	}
	if diff := cmp.Diff(domain.Feedback{AnonymousAllowed: true, Questions: wantQ, AnonymityFloor: 3}, pol.Feedback); diff != "" {
		t.Errorf("feedback (-want +got):\n%s", diff)
	}
	if pol.Activities[0].Unit != "USD" {
		t.Errorf("activity unit = %q, want the currency USD", pol.Activities[0].Unit)
	}
	if len(pol.AlwaysEscalate) != 0 || len(pol.Values) != 0 {
		t.Errorf("values = %v, always_escalate = %v; want none", pol.Values, pol.AlwaysEscalate)
	}
}

// tokenMsg ends the message for a name that is not a simple word.
const tokenMsg = " must be a simple lowercase word (letters, digits, - and _)"

// policyErrorCases are the mistakes TestParsePolicyErrors makes in
// basePolicy; each is also a file of testdata/invalid (TestInvalidPolicyFiles)
// that deploy's schema test checks the JSON Schema against.
var policyErrorCases = []problemCase{
	{
		name:     "unknown level in level_limits",
		src:      []string{"{team-lead: 2000,", "{boss: 2000,"},
		wantLine: 21,
		wantMsg:  `activities[0] (discount).level_limits.boss: unknown level "boss" (levels: team-lead, manager)`,
	},
	{
		name:     "unknown level in always_escalate",
		src:      []string{"safety: manager", "safety: ceo"},
		wantLine: 25,
		wantMsg:  `always_escalate.safety: unknown level "ceo" (levels: team-lead, manager)`,
	},
	{
		name:     "higher level limit not above lower level",
		src:      []string{`manager: "10,000.50"`, "manager: 1500"},
		wantLine: 21,
		wantMsg:  "activities[0] (discount).level_limits.manager: 1,500 must be greater than the limit of lower level team-lead (2,000); limits grow along the chain",
	},
	{
		name:     "level limit not above frontline_limit",
		src:      []string{"team-lead: 2000", "team-lead: 500"},
		wantLine: 21,
		wantMsg:  "activities[0] (discount).level_limits.team-lead: 500 must be greater than frontline_limit (500); limits grow along the chain",
	},
	{
		name:     "duplicate activity",
		src:      []string{"name: travel-waiver", "name: discount"},
		wantLine: 22,
		wantMsg:  `activities[1].name: duplicate activity "discount" (first at line 17)`,
	},
	{
		name:     "duplicate level",
		src:      []string{"name: manager", "name: team-lead", `, manager: "10,000.50"`, "", "safety: manager", "safety: team-lead"},
		wantLine: 13,
		wantMsg:  `levels[1].name: duplicate level "team-lead" (first at line 10)`,
	},
	{
		name:     "negative limit",
		src:      []string{"frontline_limit: 500", "frontline_limit: -500"},
		wantLine: 20,
		wantMsg:  `activities[0] (discount).frontline_limit: "-500": the amount can't be negative`,
	},
	{
		name:     "zero limit",
		src:      []string{"team-lead: 2000", "team-lead: 0"},
		wantLine: 21,
		wantMsg:  `activities[0] (discount).level_limits.team-lead: "0": the amount must be more than zero`,
	},
	{
		name:     "limit with more than 2 decimals",
		src:      []string{"frontline_limit: 250.75", "frontline_limit: 250.755"},
		wantLine: 23,
		wantMsg:  `activities[1] (travel-waiver).frontline_limit: "250.755": the amount can have at most 2 decimals`,
	},
	{
		name:     "limit not a number",
		src:      []string{"frontline_limit: 500", "frontline_limit: lots"},
		wantLine: 20,
		wantMsg:  `activities[0] (discount).frontline_limit: "lots": the amount must be a number, like 250 or 1,250.50`,
	},
	{
		name:     "bad duration",
		src:      []string{"respond_within: 4h", "respond_within: 4 hours"},
		wantLine: 12,
		wantMsg:  `levels[0].respond_within: "4 hours" is not a duration (write it like 4h, 30m, 72h or 3d)`,
	},
	{
		name:     "duration without unit",
		src:      []string{"ask_after: 3d", "ask_after: 72"},
		wantLine: 30,
		wantMsg:  `outcomes.ask_after: "72" is not a duration (write it like 4h, 30m, 72h or 3d)`,
	},
	{
		name:     "zero respond_within",
		src:      []string{"respond_within: 24h", "respond_within: 0s"},
		wantLine: 15,
		wantMsg:  "levels[1].respond_within: must be more than zero",
	},
	{
		name:     "bad cron spec",
		src:      []string{`feedback: "0 9 * * MON"`, `feedback: "0 25 * * MON"`},
		wantLine: 27,
		wantMsg:  `schedules.feedback: bad cron spec "0 25 * * MON": the hour field "25" is not valid: it takes 0-23, a range (1-5), a list (1,3) or a step (*/5)`,
	},
	{
		name:     "cron spec with seconds field",
		src:      []string{`digest: "@every 2s"`, `digest: "0 0 16 * * FRI"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "0 0 16 * * FRI": a schedule has five fields (minute hour day-of-month month day-of-week), like "0 9 * * MON"; this one has 6`,
	},
	{
		name:     "@every below a second",
		src:      []string{`digest: "@every 2s"`, `digest: "@every 500ms"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "@every 500ms": the interval must be a whole number of seconds, at least 1s`,
	},
	{
		name:     "@every not positive",
		src:      []string{`digest: "@every 2s"`, `digest: "@every -2s"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "@every -2s": the interval must be a whole number of seconds, at least 1s`,
	},
	{
		name:     "@every with a fraction of a second",
		src:      []string{`digest: "@every 2s"`, `digest: "@every 1500ms"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "@every 1500ms": the interval must be a whole number of seconds, at least 1s`,
	},
	{
		name:     "time zone prefix without a schedule",
		src:      []string{`digest: "@every 2s"`, `digest: "CRON_TZ=Asia/Tokyo"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "CRON_TZ=Asia/Tokyo": CRON_TZ=Asia/Tokyo names a time zone but no schedule`,
	},
	{
		name:     "cron spec in another time zone",
		src:      []string{`digest: "@every 2s"`, `digest: "CRON_TZ=Mars/Olympus 0 16 * * FRI"`},
		wantLine: 28,
		wantMsg:  `schedules.digest: bad cron spec "CRON_TZ=Mars/Olympus 0 16 * * FRI": unknown time zone "Mars/Olympus" (use an IANA name like America/Chicago)`,
	},
	{
		name:     "malformed approver ID",
		src:      []string{"approvers: [U0BOB]", "approvers: [bob]"},
		wantLine: 11,
		wantMsg:  `levels[0].approvers[0]: "bob" is not a Slack user (U…/W…) or user group (S…) ID`,
	},
	{
		name:     "channel ID given as frontline",
		src:      []string{"frontline: [S0FRONTLINE, U0DAVE]", "frontline: [S0FRONTLINE, C0DAVE]"},
		wantLine: 8,
		wantMsg:  `frontline[1]: "C0DAVE" is not a Slack user (U…/W…) or user group (S…) ID`,
	},
	{
		name:     "lowercase in an ID",
		src:      []string{"U0CAROL,", "U0carol,"},
		wantLine: 14,
		wantMsg:  `levels[1].approvers[0]: "U0carol" is not a Slack user (U…/W…) or user group (S…) ID`,
	},
	{
		name:     "malformed channel ID",
		src:      []string{"praise: C0PRAISE", "praise: \"#praise\""},
		wantLine: 4,
		wantMsg:  `channels.praise: "#praise" is not a Slack channel ID (C… or G…)`,
	},
	{
		name:     "frontline empty",
		src:      []string{"frontline: [S0FRONTLINE, U0DAVE]", "frontline: []"},
		wantLine: 8,
		wantMsg:  "frontline: must list at least one user or user group",
	},
	{
		name:     "frontline not a list",
		src:      []string{"frontline: [S0FRONTLINE, U0DAVE]", "frontline: U0DAVE"},
		wantLine: 8,
		wantMsg:  "frontline: must be a list",
	},
	{
		name:     "activity not a mapping",
		src:      []string{"  - name: travel-waiver\n    frontline_limit: 250.75", "  - travel-waiver"},
		wantLine: 22,
		wantMsg:  "activities[1]: must be a mapping of keys to values",
	},
	{
		name:     "frontline missing",
		src:      []string{"frontline: [S0FRONTLINE, U0DAVE]", "# nobody"},
		wantLine: 1,
		wantMsg:  "frontline: is required",
	},
	{
		name:     "channel missing",
		src:      []string{"  leaders: C0LEADERS", "  # no leaders"},
		wantLine: 3,
		wantMsg:  "channels.leaders: is required",
	},
	{
		name:     "timezone unknown",
		src:      []string{"timezone: America/Chicago", "timezone: Mars/Olympus"},
		wantLine: 1,
		wantMsg:  `timezone: "Mars/Olympus" is not a known time zone (use an IANA name like America/Chicago)`,
	},
	{
		name:     "currency not an ISO code",
		src:      []string{"currency: USD", "currency: dollars"},
		wantLine: 2,
		wantMsg:  `currency: "dollars" must be a three-letter ISO code like USD`,
	},
	{
		name:     "activity name not a token",
		src:      []string{"name: travel-waiver", "name: Travel Waiver"},
		wantLine: 22,
		wantMsg:  `activities[1].name: "Travel Waiver"` + tokenMsg,
	},
	{
		name:     "value not a token",
		src:      []string{"values: [customer-first, ownership,", "values: [customer-first, Ownership!,"},
		wantLine: 7,
		wantMsg:  `values[1]: "Ownership!"` + tokenMsg,
	},
	{
		name:     "duplicate value",
		src:      []string{"ownership, courage]", "ownership, ownership]"},
		wantLine: 7,
		wantMsg:  `values[2]: duplicate value "ownership" (first at line 7)`,
	},
	{
		name:     "level without approvers",
		src:      []string{"approvers: [U0BOB]", "approvers: []"},
		wantLine: 11,
		wantMsg:  "levels[0].approvers: must list at least one approver",
	},
	{
		name:     "level without respond_within",
		src:      []string{"    respond_within: 4h\n", ""},
		wantLine: 10,
		wantMsg:  "levels[0].respond_within: is required (how long before it escalates, like 4h)",
	},
	{
		name:     "always_escalate tag clashes with a value",
		src:      []string{"safety: manager", "courage: manager"},
		wantLine: 25,
		wantMsg:  `always_escalate.courage: "courage" is also listed in values (line 7); a tag is either a value or always escalates`,
	},
	{
		name:     "unknown top-level key",
		src:      []string{"praise:\n  daily_limit: 5", "praise:\n  daily_limit: 5\ncolour: blue"},
		wantLine: 33,
		wantMsg:  `unknown key "colour" in the policy (known keys: timezone, currency, channels, values, admins, frontline, levels, teams, local_time, working_days, autonomy, activities, always_escalate, schedules, outcomes, praise, commitments, feedback, retention)`,
	},
	{
		name:     "unknown nested key",
		src:      []string{"    unit: USD", "    units: USD"},
		wantLine: 19,
		wantMsg:  `unknown key "units" in activities[0]: did you mean "unit"? (known keys: name, summary, unit, frontline_limit, level_limits)`,
	},
	{
		name:     "unknown schedule",
		src:      []string{"  digest:", "  weekly_digest:"},
		wantLine: 28,
		wantMsg:  `unknown key "weekly_digest" in schedules (known keys: feedback, feedback_reminder, commitment_reminders, escalation_timeouts, outcome_followups, digest)`,
	},
	{
		name:     "duplicate key",
		src:      []string{"currency: USD", "currency: USD\ntimezone: UTC"},
		wantLine: 3,
		wantMsg:  `duplicate key "timezone" in the policy (first at line 1)`,
	},
	{
		name:     "daily_limit not positive",
		src:      []string{"daily_limit: 5", "daily_limit: 0"},
		wantLine: 32,
		wantMsg:  "praise.daily_limit: must be a whole number more than zero",
	},
	{
		name:     "show_amounts not a bool",
		src:      []string{"daily_limit: 5", "daily_limit: 5\n  show_amounts: yes"},
		wantLine: 33,
		wantMsg:  "praise.show_amounts: must be true or false",
	},
	{
		name:     "list where a value belongs",
		src:      []string{"currency: USD", "currency: [USD]"},
		wantLine: 2,
		wantMsg:  "currency: must be a single value, not a list or mapping",
	},
	{
		name:     "activity named like a subcommand",
		src:      []string{"name: travel-waiver", "name: stats"},
		wantLine: 22,
		wantMsg:  `activity "stats" is named like the subcommand /empower stats; choose another name`,
	},
	{
		name:     "activity named like a subcommand's alias",
		src:      []string{"name: discount", "name: log"},
		wantLine: 17,
		wantMsg:  `activity "log" is named like the subcommand /empower log; choose another name`,
	},
	{
		name:     "invalid YAML",
		src:      []string{"values: [customer-first, ownership, courage]", "values: [customer-first, ownership"},
		wantLine: 7,
		wantMsg:  "invalid YAML: did not find expected ',' or ']'",
	},
}

func TestParsePolicyErrors(t *testing.T) {
	runProblemCases(t, basePolicy, policyErrorCases)
}

// problemCase is one mistake in a policy: its edit and the one problem it
// gives.
type problemCase struct {
	name     string
	src      []string // old, new pairs applied to the base policy
	wantLine int
	wantMsg  string
}

// runProblemCases parses each case's edit of base and checks its problem.
func runProblemCases(t *testing.T, base string, tests []problemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseProblems(t, editOf(t, base, tt.src...))
			want := []Problem{{Line: tt.wantLine, Message: tt.wantMsg}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// everyProblemEdits make six mistakes in basePolicy at once.
var everyProblemEdits = []string{
	"timezone: America/Chicago", "timezone: Nowhere/Land",
	"approvers: [U0BOB]", "approvers: [bob]",
	"respond_within: 24h", "respond_within: soon",
	"name: travel-waiver", "name: discount",
	"safety: manager", "safety: ceo",
	`feedback: "0 9 * * MON"`, `feedback: "every monday"`,
}

// Policies missing everything, and empty.
const (
	missingSectionsPolicy = "timezone: UTC\n"
	emptyPolicy           = "\n# nothing\n"
)

func TestParsePolicyReportsEveryProblem(t *testing.T) {
	src := edit(t, everyProblemEdits...)
	got := parseProblems(t, src)
	var lines []int
	for _, p := range got {
		lines = append(lines, p.Line)
	}
	if want := []int{1, 11, 15, 22, 25, 27}; !cmp.Equal(lines, want) {
		t.Errorf("problem lines = %v, want %v (problems %+v)", lines, want, got)
	}
	err := &Error{Filename: "p.yaml", Problems: got}
	msg := err.Error()
	if n := strings.Count(msg, "\n") + 1; n != 6 {
		t.Errorf("Error() has %d lines, want 6:\n%s", n, msg)
	}
	if !strings.HasPrefix(msg, `p.yaml:1: timezone: "Nowhere/Land" is not a known time zone`) {
		t.Errorf("Error() = %q, want it to start with the timezone line", msg)
	}
	if !strings.Contains(msg, "\np.yaml:27: schedules.feedback: bad cron spec") {
		t.Errorf("Error() = %q, want a p.yaml:27 cron line", msg)
	}
}

func TestParsePolicyMissingSections(t *testing.T) {
	got := parseProblems(t, missingSectionsPolicy)
	want := []Problem{
		{Line: 1, Message: "channels: is required"},
		{Line: 1, Message: "frontline: is required"},
		{Line: 1, Message: "levels: is required"},
		{Line: 1, Message: "activities: is required"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	got = parseProblems(t, emptyPolicy)
	if diff := cmp.Diff([]Problem{{Line: 1, Message: "the policy is empty"}}, got); diff != "" {
		t.Errorf("empty file problems (-want +got):\n%s", diff)
	}
}

func TestExamplePolicyIsValid(t *testing.T) {
	pol, err := Load("../deploy/policy.example.yaml")
	if err != nil {
		t.Fatalf("Load(example): %v", err)
	}
	var names []string
	for _, a := range pol.Activities {
		names = append(names, a.Name)
	}
	if got, want := names, []string{"discount", "travel-waiver"}; !cmp.Equal(got, want) {
		t.Errorf("activities = %v, want %v", got, want)
	}
	if diff := cmp.Diff(domain.DefaultQuestions(), pol.Feedback.Questions); diff != "" {
		t.Errorf("example questions differ from the defaults (-want +got):\n%s", diff)
	}
	if pol.Timezone != "America/Chicago" || pol.Location.String() != "America/Chicago" {
		t.Errorf("timezone = %q, want America/Chicago", pol.Timezone)
	}
	var out bytes.Buffer
	if err := Check("../deploy/policy.example.yaml", &out); err != nil || out.String() != "ok\n" {
		t.Errorf("Check(example) = %v, printed %q; want nil, \"ok\\n\"", err, out.String())
	}
}

func TestCheckPolicy(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	src := edit(t, "timezone: America/Chicago", "timezone: Mars/Olympus", "approvers: [U0BOB]", "approvers: [bob]")
	if err := os.WriteFile(bad, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := Check(bad, &out)
	if err == nil {
		t.Fatalf("Check(bad) = nil, want an error")
	}
	want := bad + `:1: timezone: "Mars/Olympus" is not a known time zone (use an IANA name like America/Chicago)` + "\n" +
		bad + `:11: levels[0].approvers[0]: "bob" is not a Slack user (U…/W…) or user group (S…) ID` + "\n"
	if got := out.String(); got != want {
		t.Errorf("Check printed:\n%s\nwant:\n%s", got, want)
	}

	out.Reset()
	missing := filepath.Join(dir, "missing.yaml")
	if err := Check(missing, &out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check(missing) = %v, want os.ErrNotExist", err)
	}
	if !strings.Contains(out.String(), "missing.yaml") {
		t.Errorf("Check(missing) printed %q, want the file named", out.String())
	}
}
