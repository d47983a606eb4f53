package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/stats"
)

// The figures test runs the real flows; the digest and App Home tests also
// append some events with the store's audit append and the fields
// domain/audit.go documents, to set up a week quickly.
func (e *decisionEnv) audit(ev domain.Event) {
	e.t.Helper()
	if ev.At.IsZero() {
		ev.At = e.Clock.Now()
	}
	if _, err := e.store.Audit(context.Background(), apptest.Team, ev); err != nil {
		e.t.Fatalf("append %s: %v", ev.Type(), err)
	}
}

// made is the payload of a commitment made by commit.
func made(leader, employee, text, due string) domain.CommitmentMadeData {
	return domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{
		Leader: leader, Employee: employee, Text: text, Due: due, Source: domain.SourceCommit,
	}}
}

// dueDate is today plus days, as commitments write due dates.
func (e *decisionEnv) dueDate(days int) string {
	return e.Clock.Now().In(e.Policy.Location).AddDate(0, 0, days).Format(time.DateOnly)
}

func (e *decisionEnv) figures(user string, from time.Time) stats.Figures {
	e.t.Helper()
	now := e.Clock.Now()
	f, err := stats.Read(context.Background(), e.store, apptest.Team, stats.Input{
		From: from, To: now.Add(time.Millisecond), Now: now, Loc: e.Policy.Location, User: user})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// checkViews fails the test when a published Home was refused.
func (e *decisionEnv) checkViews() {
	for _, c := range e.Emu.Calls("views.publish") {
		if c.Error != "" {
			e.t.Errorf("views.publish refused by the emulator: %s %v", c.Error, c.Params)
		}
	}
}

// scriptedWeek runs a week of real flows: decisions in and above the box,
// an approval, a decline, a timeout, a feedback round, commitments, praise,
// a win and outcomes. It returns the decision and commitment IDs by name.
func scriptedWeek(t *testing.T, e *decisionEnv) map[string]string {
	ids := map[string]string{}
	for name, cmd := range map[string]string{
		"in1": "discount 250 for ACME", "in2": "discount 100", "in3": "travel-waiver 100",
	} {
		_, ids[name] = e.decide(apptest.Dave, cmd)
	}
	// Above the box: approved, declined, and one that times out to the manager.
	_, ids["approved"] = e.decide(apptest.Dave, "discount 900 for ACME")
	e.click(apptest.Bob, e.escalation(ids["approved"], "team lead"), "Approve")
	e.waitDM(apptest.Dave, "approved your")

	_, ids["declined"] = e.decide(apptest.Alice, "discount 1500 for Initech")
	e.click(apptest.Bob, e.escalation(ids["declined"], "team lead"), "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.Open && strings.Contains(v.Title, "Decline") })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", "too much")); err != nil {
		t.Fatal(err)
	}
	e.waitDM(apptest.Alice, "declined your")

	_, ids["timeout"] = e.decide(apptest.Erin, "discount 800")
	e.escalation(ids["timeout"], "team lead")
	e.Clock.Advance(4*time.Hour + time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil {
		t.Fatal(err)
	}
	mgr, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), ids["timeout"]) && strings.Contains(m.AllText(), "<@U0CAROL>") && len(m.Buttons()) > 0
	})
	if err != nil {
		t.Fatalf("no manager message after the timeout: %v", err)
	}
	e.click(apptest.Carol, mgr, "Approve")
	e.waitDM(apptest.Erin, "approved your")

	// Feedback: the round goes to Alice, Erin and Dave; two answer.
	fe := &fbEnv{Env: e.Env, t: t, store: e.store}
	fe.runNow(jobs.JobFeedback)
	fe.fbAnswer(apptest.Alice, "More time for training.", false)
	fe.fbAnswer(apptest.Dave, "Fewer meetings.", true)
	fe.runNow(jobs.JobFeedbackReminder)

	// Commitments: made now; one done at once (on time), one done after its
	// date (late), one left overdue, one still open.
	commit := func(name, leader, text string) {
		res := e.Command(leader, text)
		if ids[name] = commitmentIDRe.FindString(res.AllText()); ids[name] == "" {
			t.Fatalf("%s: no commitment made: %s", text, res.AllText())
		}
	}
	done := func(leader, name string) {
		res := e.Command(leader, "commitments")
		e.click(leader, cmFindSection(t, res.Message, ids[name]), "Done")
		e.waitDM(e.commitmentEmployee(ids[name]), "did what they promised")
	}
	commit("c-ontime", apptest.Bob, "commit <@U0DAVE|dave> book the training by in 3 days")
	commit("c-late", apptest.Bob, "commit <@U0ALICE|alice> new laptop by tomorrow")
	commit("c-overdue", apptest.Carol, "commit <@U0ERIN|erin> fix the roster by tomorrow")
	commit("c-open", apptest.Bob, "commit <@U0DAVE|dave> quarterly review by in 2 weeks")
	done(apptest.Bob, "c-ontime")

	// Praise and a team win.
	if res := e.Command(apptest.Bob, "praise <@U0DAVE|dave> Saved ACME <!channel> & more #courage"); !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("praise: %s", res.AllText())
	}
	if res := e.Command(apptest.Alice, "win Initech renewed <@U0ERIN|erin> #ownership"); !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("win: %s", res.AllText())
	}

	// Three days later: the follow-ups go out for the five decisions taken
	// alone or approved; Dave answers two of them.
	e.Clock.Advance(77 * time.Hour)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobOutcomeFollowups); err != nil {
		t.Fatal(err)
	}
	e.followUp(apptest.Dave, ids["in1"])
	if res := e.Command(apptest.Dave, "outcome "+ids["in1"]+" worked kept them"); !strings.Contains(res.AllText(), "worked") {
		t.Fatalf("outcome worked: %s", res.AllText())
	}
	if res := e.Command(apptest.Dave, "outcome "+ids["in2"]+" failed"); res.AllText() == "" {
		t.Fatal("outcome failed: no reply")
	}
	done(apptest.Bob, "c-late")
	return ids
}

func TestStatsScriptedWeek(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	start := e.Clock.Now().Add(-time.Minute)
	ids := scriptedWeek(t, e)

	f := e.figures("", start)
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("inside", f.Inside, 3)
	check("above", f.Above, 3)
	check("activities", len(f.Activities), 2)
	if len(f.Activities) == 2 {
		d, w := f.Activities[0], f.Activities[1]
		check("discount inside", d.Inside, 2)
		check("discount inside amount", d.InsideAmount, int64(35000))
		check("discount above", d.Above, 3)
		check("discount above amount", d.AboveAmount, int64(320000))
		check("travel-waiver inside amount", w.InsideAmount, int64(10000))
	}
	check("escalations to team-lead", f.EscalationsByLevel["team-lead"], 3)
	check("escalations to manager", f.EscalationsByLevel["manager"], 1)
	check("timeouts", f.Timeouts, 1)
	check("approved", f.Approved, 2)
	check("declined", f.Declined, 1)
	check("answered", f.Answered, 3)
	if f.MedianAnswer > time.Minute || f.P90Answer < 4*time.Hour {
		t.Errorf("time to answer: median %v (want under a minute), p90 %v (want the timed-out one, over 4h)", f.MedianAnswer, f.P90Answer)
	}
	check("worked", f.Worked, 1)
	check("failed", f.Failed, 1)
	check("unanswered", f.Unanswered, 3)
	check("praise", f.PraiseGiven, 1)
	check("wins", f.WinsPosted, 1)
	check("rounds", len(f.Rounds), 1)
	if len(f.Rounds) == 1 {
		check("round sent", f.Rounds[0].Sent, 3)
		check("round answered", f.Rounds[0].Answered, 2)
	}
	rate, _ := f.FeedbackRate()
	check("feedback rate", rate, 66)
	check("on time", f.OnTime, 1)
	check("late", f.Late, 1)
	check("overdue now", len(f.Overdue), 1)
	if len(f.Overdue) == 1 {
		check("overdue one", f.Overdue[0].ID, ids["c-overdue"])
	}

	// Bob leads: `/empower stats` shows the team's figures, privately.
	res := e.Command(apptest.Bob, "stats")
	if res.ResponseType == "in_channel" {
		t.Errorf("stats reply is public")
	}
	for _, want := range []string{"Your team's outcomes, last 7 days", "*Decisions*: 6", "*3 inside the box*", "3 above it",
		"discount: 2 inside ($350), 3 above ($3,200)", "Team lead: 3", "Manager: 1", "1 timed out", "2 approved, 1 declined",
		"1 worked", "1 didn't", "3 not answered yet", "*Praise*: 1 given", "1 win", "66% answered",
		"1 done on time", "1 late", "*1 overdue now*"} {
		if !strings.Contains(res.AllText(), want) {
			t.Errorf("Bob's stats lack %q:\n%s", want, res.AllText())
		}
	}

	// Erin answers after the reminder: the round's rate counts her too.
	fe := &fbEnv{Env: e.Env, t: t, store: e.store}
	fe.fbAnswer(apptest.Erin, "A second van on Fridays.", false)
	late := e.figures("", start)
	if rate, _ := late.FeedbackRate(); rate != 100 {
		t.Errorf("feedback rate after a late answer = %d%%, want 100%%", rate)
	}
	if res := e.Command(apptest.Bob, "stats"); !strings.Contains(res.AllText(), "100% answered") {
		t.Errorf("Bob's stats after a late answer lack \"100%% answered\":\n%s", res.AllText())
	}
	if strings.Contains(res.AllText(), "1 wins") || strings.Contains(res.AllText(), "1 decisions") {
		t.Errorf("Bob's stats say \"1 wins\" or \"1 decisions\":\n%s", res.AllText())
	}
	e.checkViews()
}

func TestStatsVisibilityLeaderVsEmployee(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	e.decide(apptest.Dave, "discount 250")
	e.decide(apptest.Dave, "discount 900")
	e.decide(apptest.Alice, "discount 100")
	e.decide(apptest.Alice, "travel-waiver 50")
	e.decide(apptest.Alice, "travel-waiver 60")

	// A leader (an approver in the policy) sees the team.
	for _, leader := range []string{apptest.Bob, apptest.Carol} {
		res := e.Command(leader, "stats 30d")
		if txt := res.AllText(); !strings.Contains(txt, "Your team's outcomes, last 30 days") || !strings.Contains(txt, "*Decisions*: 5") {
			t.Errorf("%s's stats: want the team's 5 decisions over 30 days:\n%s", leader, txt)
		}
	}
	// Everyone else sees their own.
	res := e.Command(apptest.Dave, "stats")
	txt := res.AllText()
	if !strings.Contains(txt, "Your outcomes, last 7 days") || !strings.Contains(txt, "*Decisions*: 2") || strings.Contains(txt, "travel-waiver") {
		t.Errorf("Dave's stats: want only his 2 decisions:\n%s", txt)
	}
	if strings.Contains(txt, "Feedback") {
		t.Errorf("Dave's stats show the team's feedback rate:\n%s", txt)
	}
	if res.ResponseType == "in_channel" {
		t.Errorf("stats reply is public")
	}
	if txt := e.Command(apptest.Mallory, "stats").AllText(); !strings.Contains(txt, "*Decisions*: 0") {
		t.Errorf("Mallory's stats: want none of the team's decisions:\n%s", txt)
	}
	// Any other window: a specific error and the usage line.
	for _, bad := range []string{"14d", "7", "week", "7d 30d", "<!channel>"} {
		txt := e.Command(apptest.Dave, "stats "+bad).AllText()
		if !strings.Contains(txt, "`7d` or `30d`") || !strings.Contains(txt, "Usage: `/empower stats [7d|30d]`") {
			t.Errorf("stats %s: want the window error with the usage line, got %q", bad, txt)
		}
		if strings.Contains(txt, "<!channel>") {
			t.Errorf("stats %s: the error echoes live markup: %q", bad, txt)
		}
	}
}

// lastFridayAt returns the latest Friday 16:00 in loc before now.
func lastFridayAt(now time.Time, loc *time.Location) time.Time {
	n := now.In(loc)
	d := time.Date(n.Year(), n.Month(), n.Day(), 16, 0, 0, 0, loc)
	for d.Weekday() != time.Friday || !d.Before(n) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

func TestDigestTwoReplicasPostedOnceWithChart(t *testing.T) {
	pol := apptest.DefaultPolicy
	for _, job := range []string{"feedback", "feedback_reminder", "commitment_reminders", "escalation_timeouts", "outcome_followups"} {
		pol = replaceSpec(pol, job, yearlySpec)
	}
	e := startDecisions(t, apptest.Options{Policy: pol, CatchUpGrace: time.Hour, NoBot: true})
	loc := e.Policy.Location
	tick := lastFridayAt(time.Now(), loc)
	// Thursday before the tick: no digest tick within the grace.
	e.Clock.Set(tick.Add(-25 * time.Hour))
	one := e.StartBot()
	if _, err := e.store.JobSince(e.Ctx(), apptest.Team, jobs.JobDigest, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.decide(apptest.Dave, "discount 250 for ACME")
	e.decide(apptest.Alice, "discount 100")
	_, above := e.decide(apptest.Dave, "discount 900")
	e.click(apptest.Bob, e.escalation(above, "team lead"), "Approve")
	e.audit(domain.Event{Actor: apptest.Bob, Subject: apptest.Dave,
		Payload: domain.PraiseGivenData{Text: "Kept ACME <!channel> *happy*", Values: []string{"courage"}}})
	e.audit(domain.Event{Actor: apptest.Carol, Subject: "C-1", Payload: made(apptest.Carol, apptest.Erin, "fix the roster", e.dueDate(-2))})
	if err := one.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Emu.Messages(apptest.Leaders)); n != 0 {
		t.Fatalf("%d messages in the leaders channel before the tick", n)
	}

	// Just after Friday 16:00 two replicas start: both catch the tick up.
	e.Clock.Set(tick.Add(20 * time.Second))
	a, b := e.StartBot(), e.StartBot()
	digest, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Weekly digest") })
	if err != nil {
		t.Fatalf("no digest in the leaders channel: %v\nlogs: %s", err, strings.Join(e.Logs.Lines("digest"), "\n"))
	}
	// Running the tick again on both replicas (a takeover, a rerun) posts nothing.
	for _, r := range []*apptest.Bot{a, b} {
		if err := r.App.Handlers.Digest(e.Ctx(), tick); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*apptest.Bot{a, b} {
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if ms := e.Emu.Messages(apptest.Leaders); len(ms) != 1 {
		t.Fatalf("leaders channel has %d messages; want exactly one digest:%s", len(ms), dump(ms))
	}
	for _, want := range []string{"Weekly digest", "*Decisions*: 3", "*2 inside the box*", "1 above it", "1 approved",
		"Praise this week", "<@U0BOB> → <@U0DAVE>", "&lt;!channel&gt;", "Overdue commitments", "<@U0CAROL>: “fix the roster” for <@U0ERIN>"} {
		if !strings.Contains(digest.AllText(), want) {
			t.Errorf("digest lacks %q:\n%s", want, digest.AllText())
		}
	}
	if strings.Contains(digest.AllText(), "<!channel>") {
		t.Errorf("digest carries live <!channel>")
	}
	// Dates as everywhere else (issue 16 item 14): "Fri Nov 13", never 2026-11-13.
	day := `(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}`
	if txt := digest.AllText(); !regexp.MustCompile(`Weekly digest · `+day+` – `+day).MatchString(txt) ||
		!regexp.MustCompile(`“fix the roster” for <@U0ERIN>, due `+day).MatchString(txt) || regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).MatchString(txt) {
		t.Errorf("digest dates: want \"Weekly digest · Fri Nov 13 – Thu Nov 19\" and \"due Wed Nov 18\", no year-month-day:\n%s", txt)
	}
	if !strings.Contains(digest.AllText(), "vs last week") {
		t.Errorf("digest shows no change against last week:\n%s", digest.AllText())
	}
	// The chart: uploaded through the external upload flow into the leaders
	// channel, on the digest message, and a valid PNG.
	if len(digest.Files) != 1 || digest.Source != "files.completeUploadExternal" {
		t.Fatalf("digest files %v from %s; want one chart via files.completeUploadExternal", digest.Files, digest.Source)
	}
	if n := len(e.Emu.Calls("files.getUploadURLExternal")); n != 1 {
		t.Errorf("files.getUploadURLExternal called %d times; want 1", n)
	}
	var chartFile *slackemu.File
	for _, f := range e.Emu.Files() {
		if f.ID == digest.Files[0].ID {
			chartFile = &f
		}
	}
	if chartFile == nil || !chartFile.Complete || len(chartFile.Channels) != 1 || chartFile.Channels[0] != apptest.Leaders {
		t.Fatalf("chart file %+v; want completed in the leaders channel", chartFile)
	}
	img, err := png.Decode(bytes.NewReader(chartFile.Content))
	if err != nil {
		t.Fatalf("the chart is not a valid PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 600 || r.Dy() < 300 {
		t.Errorf("chart is %v; want at least 600x300", r)
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, digest.Blocks, "", "  ")
	t.Logf("digest blocks:\n%s", pretty.String())
	if out := os.Getenv("DIGEST_JSON_OUT"); out != "" {
		_ = os.WriteFile(out, pretty.Bytes(), 0o644)
		_ = os.WriteFile(out+".png", chartFile.Content, 0o644)
	}
	for _, m := range []string{"chat.postMessage", "files.completeUploadExternal"} {
		for _, c := range e.Emu.Calls(m) {
			if c.Error != "" {
				t.Errorf("%s refused: %s", m, c.Error)
			}
		}
	}
}

// home waits until user's Home satisfies pred.
func (e *decisionEnv) home(user, what string, pred func(slackemu.View) bool) slackemu.View {
	e.t.Helper()
	v, err := e.Emu.WaitHome(e.Ctx(), user, pred)
	if err != nil {
		cur, _ := e.Emu.Home(user)
		e.t.Fatalf("%s's Home never showed %s: %v\nit shows: %s", user, what, err, cur.AllText())
	}
	return v
}

func homeHas(want ...string) func(slackemu.View) bool {
	return func(v slackemu.View) bool {
		for _, w := range want {
			if !strings.Contains(v.AllText(), w) {
				return false
			}
		}
		return true
	}
}

func TestHomePublishedAndRefreshedAfterApproval(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	t.Cleanup(e.checkViews)
	e.audit(domain.Event{Actor: apptest.Bob, Subject: "C-7", Payload: made(apptest.Bob, apptest.Dave, "book <!here> training", e.dueDate(3))})
	e.audit(domain.Event{Actor: apptest.Carol, Subject: apptest.Dave,
		Payload: domain.PraiseGivenData{Text: "Calm under pressure", Values: []string{"courage"}}})
	_, in := e.decide(apptest.Dave, "discount 250 for ACME")

	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Dave); err != nil {
		t.Fatal(err)
	}
	home := e.home(apptest.Dave, "his box", homeHas("Your box", "discount", "$500", "travel-waiver", "$250", in,
		"inside your box", "<@U0BOB> promised you", "book &lt;!here&gt; training", "Latest praise for you", "Calm under pressure"))
	if len(home.Buttons()) != 0 {
		t.Errorf("Dave's Home has buttons %v; he made no commitment and approves nothing", home.Buttons())
	}
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	bobHome := e.home(apptest.Bob, "no approvals and his commitment", homeHas("Waiting for your answer* (0)", "You promised <@U0DAVE>",
		"Your people's box", "*discount*: theirs up to *$500*; you approve up to *$2,000*"))
	var done bool
	for _, b := range bobHome.Buttons() {
		if b.ActionID == "commitment_done" && b.Value == "C-7" && b.Text == "Done" {
			done = true
		}
	}
	if !done {
		t.Errorf("Bob's Home lacks the Done button of C-7: %v", bobHome.Buttons())
	}

	// Dave asks above the box: Bob's Home is refreshed with the buttons.
	_, above := e.decide(apptest.Dave, "discount 900 for Initech customer threatened to leave")
	bobHome = e.home(apptest.Bob, "the new approval", homeHas("Waiting for your answer* (1)", above, "customer threatened to leave"))
	var labels []string
	for _, b := range bobHome.Buttons() {
		if strings.HasPrefix(b.ActionID, "decision_") {
			labels = append(labels, b.Text)
		}
	}
	if strings.Join(labels, ",") != "Approve,Escalate,Decline" {
		t.Errorf("Home buttons %v; want Approve, Escalate, Decline as on the channel message", labels)
	}
	e.home(apptest.Dave, "the pending decision", homeHas(above, "waiting for the *team lead*"))

	// Bob approves from his Home: the channel message is updated too, both
	// Homes are refreshed, Dave is told.
	msg := e.escalation(above, "team lead")
	if _, err := e.Emu.ClickInView(e.Ctx(), apptest.Bob, bobHome.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	e.waitUpdated(msg.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	e.waitDM(apptest.Dave, "approved your")
	e.home(apptest.Bob, "no approvals left", func(v slackemu.View) bool {
		return strings.Contains(v.AllText(), "Waiting for your answer* (0)") && !strings.Contains(v.AllText(), above)
	})
	e.home(apptest.Dave, "the approval", homeHas(above, "approved by <@U0BOB>"))
	if d := e.decision(above); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("decision after the Home click: %s by %s", d.State, d.DecidedBy)
	}
	if got := e.auditTypes(above); countOf(got, domain.EventDecisionApproved) != 1 {
		t.Errorf("audit after the click: %v; want one approval", got)
	}

	// Someone who never opened the Home gets no views.publish.
	for _, c := range e.Emu.Calls("views.publish") {
		if u, _ := c.Params["user_id"].(string); u == apptest.Carol || u == apptest.Alice {
			t.Errorf("views.publish for %s, who never opened the Home", u)
		}
	}
}

func TestHomeStaysWithinBlockLimit(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	t.Cleanup(e.checkViews)
	const n = 25
	for i := range n {
		e.decide(apptest.Dave, "discount 900 for C"+string(rune('A'+i)))
	}
	for i := range 20 {
		id := "C-" + string(rune('A'+i))
		e.audit(domain.Event{Actor: apptest.Bob, Subject: id, Payload: made(apptest.Bob, apptest.Dave, "promise "+id, e.dueDate(i-5))})
	}
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	v := e.home(apptest.Bob, "the summary", homeHas("Waiting for your answer* (25)", "…and 5 more", "…and 5 more you made"))
	var blocks []json.RawMessage
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > 100 {
		t.Errorf("Home has %d blocks; Slack allows 100", len(blocks))
	}
	if !strings.Contains(v.AllText(), "overdue") {
		t.Errorf("overdue commitments are not marked:\n%s", v.AllText())
	}
}

func TestDigestWithoutChartWhenUploadFails(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	e.decide(apptest.Dave, "discount 250")
	e.Emu.InjectError("files.completeUploadExternal", 1, "not_in_channel")
	h := e.Bots()[0].App.Handlers
	tick := e.Clock.Now().Add(time.Minute)
	if err := h.Digest(e.Ctx(), tick); err != nil {
		t.Fatal(err)
	}
	ms := e.Emu.Messages(apptest.Leaders)
	if len(ms) != 1 || ms[0].Source != "chat.postMessage" || !strings.Contains(ms[0].AllText(), "*Decisions*: 1") || !strings.Contains(ms[0].Text, "Weekly digest") {
		t.Fatalf("want the digest posted once without the chart, got:%s", dump(ms))
	}
	// The tick is done: running it again posts nothing.
	if err := h.Digest(e.Ctx(), tick); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Emu.Messages(apptest.Leaders)); n != 1 {
		t.Errorf("%d digests after a rerun; want 1", n)
	}
}

// commitmentIDRe finds a commitment ID in a reply.
var commitmentIDRe = regexp.MustCompile(`C-[0-9A-Z]{6}`)

// commitmentEmployee is the person commitment id was made to.
func (e *decisionEnv) commitmentEmployee(id string) string {
	e.t.Helper()
	c, err := e.store.GetCommitment(context.Background(), apptest.Team, id)
	if err != nil {
		e.t.Fatalf("get commitment %s: %v", id, err)
	}
	return c.Employee
}

func TestHomeCommitmentDoneFromHome(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	t.Cleanup(e.checkViews)
	res := e.Command(apptest.Bob, "commit <@U0DAVE|dave> book the first-aid training by in 3 days")
	id := commitmentIDRe.FindString(res.AllText())
	if id == "" {
		t.Fatalf("no commitment made: %s", res.AllText())
	}
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Dave); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Dave, "the commitment to him", homeHas("<@U0BOB> promised you", "book the first-aid training"))
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	bobHome := e.home(apptest.Bob, "his commitment", homeHas("You promised <@U0DAVE>", "book the first-aid training"))
	if _, err := e.Emu.ClickInView(e.Ctx(), apptest.Bob, bobHome.ID, "Done"); err != nil {
		t.Fatal(err)
	}
	e.waitDM(apptest.Dave, "did what they promised")
	e.home(apptest.Bob, "the commitment gone", func(v slackemu.View) bool {
		return !strings.Contains(v.AllText(), "book the first-aid training")
	})
	e.home(apptest.Dave, "the commitment gone", func(v slackemu.View) bool {
		return !strings.Contains(v.AllText(), "book the first-aid training")
	})
	if c, err := e.store.GetCommitment(context.Background(), apptest.Team, id); err != nil || c.State != domain.CommitmentDone {
		t.Errorf("commitment after Done from Home: %+v, %v", c, err)
	}
}
