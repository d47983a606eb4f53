package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

// The feedback tests' workspace: 50 frontline people, some named directly,
// most through user groups (with overlaps), plus a bot and a deactivated
// user in a group and in the policy, who must never get a DM.
const (
	crewGroup   = "S0CREW"
	botUser     = "U0BOTTY"
	goneUser    = "U0GONE"
	crewSize    = 47 // + Alice, Erin (S0FRONTLINE) and Dave = 50
	yearlySpec  = "0 9 1 1 *"
	feedbackSix = 6
)

func crewID(i int) string { return fmt.Sprintf("U1%03d", i) }

// feedbackPeople are the 50 people every feedback round must reach.
func feedbackPeople() []string {
	out := []string{apptest.Alice, apptest.Dave, apptest.Erin}
	for i := range crewSize {
		out = append(out, crewID(i))
	}
	sort.Strings(out)
	return out
}

func feedbackEmulator() slackemu.Options {
	users := []slackemu.User{
		{ID: botUser, Name: "helperbot", IsBot: true},
		{ID: goneUser, Name: "gone", RealName: "Gone Person", Deleted: true},
	}
	members := []string{apptest.Alice, botUser, goneUser, crewID(0)}
	for i := range crewSize {
		users = append(users, slackemu.User{ID: crewID(i), Name: fmt.Sprintf("crew%d", i), RealName: fmt.Sprintf("Crew Member %d", i)})
		members = append(members, crewID(i))
	}
	return slackemu.Options{Users: users, UserGroups: []slackemu.UserGroup{{ID: crewGroup, Handle: "crew", Name: "Crew", Users: members}}}
}

// feedbackPolicy is apptest's policy with the feedback schedules given, the
// 50-person frontline (small: only Alice, Erin and Dave) and the other jobs
// off for the test's duration.
func feedbackPolicy(feedback, reminder string, small bool) string {
	p := apptest.DefaultPolicy
	if !small {
		p = strings.Replace(p, "frontline: [S0FRONTLINE, U0DAVE]",
			"frontline: [S0FRONTLINE, U0DAVE, "+crewGroup+", "+crewID(0)+", "+botUser+", "+goneUser+"]", 1)
	}
	for _, job := range []string{"commitment_reminders", "escalation_timeouts", "outcome_followups", "digest"} {
		p = replaceSpec(p, job, yearlySpec)
	}
	p = replaceSpec(p, "feedback", feedback)
	return replaceSpec(p, "feedback_reminder", reminder)
}

func replaceSpec(policy, job, spec string) string {
	lines := strings.Split(policy, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  "+job+":") {
			lines[i] = fmt.Sprintf("  %s: %q", job, spec)
		}
	}
	return strings.Join(lines, "\n")
}

// fbEnv is the product running for one feedback test.
type fbEnv struct {
	*apptest.Env
	t     *testing.T
	store *store.Store
}

func startFeedback(t *testing.T, o apptest.Options) *fbEnv {
	t.Helper()
	o.Emulator = feedbackEmulator()
	e := apptest.Start(t, o)
	fe := &fbEnv{Env: e, t: t, store: store.New(e.Redis.Client(t), store.NewKeys(e.Prefix))}
	t.Cleanup(fe.checkBlocks)
	return fe
}

// checkBlocks fails the test when the emulator refused a message or view.
func (e *fbEnv) checkBlocks() {
	for _, m := range []string{"chat.postMessage", "views.open"} {
		for _, c := range e.Emu.Calls(m) {
			if c.Error == "invalid_blocks" || c.Error == "invalid_arguments" {
				e.t.Errorf("%s refused by the emulator: %s %v", m, c.Error, c.Params)
			}
		}
	}
}

// roundOf returns the feedback round a DM belongs to (its Answer button's
// value) and whether it is a reminder.
func roundOf(m slackemu.Message) (round string, reminder, ok bool) {
	for _, b := range m.Buttons() {
		if b.ActionID == handlers.ActionFeedbackAnswer {
			return b.Value, strings.Contains(m.Text, "reminder"), true
		}
	}
	return "", false, false
}

// questionDMs counts, per round, the question DMs (not reminders) each person got.
func (e *fbEnv) questionDMs(people []string) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, p := range people {
		for _, m := range e.Emu.DMs(p) {
			round, reminder, ok := roundOf(m)
			if !ok || reminder {
				continue
			}
			if out[round] == nil {
				out[round] = map[string]int{}
			}
			out[round][p]++
		}
	}
	return out
}

// checkNoDuplicates fails the test when anyone got a round's DM twice, or
// when the bot or the deactivated user got any DM.
func (e *fbEnv) checkNoDuplicates(byRound map[string]map[string]int) {
	e.t.Helper()
	for round, got := range byRound {
		for p, n := range got {
			if n != 1 {
				e.t.Errorf("round %s: %s got %d DMs; want 1", round, p, n)
			}
		}
	}
	for _, u := range []string{botUser, goneUser, apptest.Bob, apptest.Carol} {
		if dms := e.Emu.DMs(u); len(dms) != 0 {
			e.t.Errorf("%s got %d DMs; want none (not frontline, a bot or deactivated)", u, len(dms))
		}
	}
}

// completeRounds lists the rounds every person got.
func completeRounds(byRound map[string]map[string]int, people []string) []string {
	var out []string
	for round, got := range byRound {
		if len(got) == len(people) {
			out = append(out, round)
		}
	}
	sort.Strings(out)
	return out
}

func (e *fbEnv) runNow(job string) {
	e.t.Helper()
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), job); err != nil {
		e.t.Fatalf("run %s: %v", job, err)
	}
}

func counter(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// fanoutPacing paces chat.postMessage to perSecond and lifts the directory
// methods' tiers, so that a fan-out to 50 people takes 50/perSecond seconds.
func fanoutPacing(perSecond rate.Limit) map[string]rate.Limit {
	return map[string]rate.Limit{
		"chat.postMessage": perSecond, "conversations.open": rate.Inf, "users.list": rate.Inf,
		"users.info": rate.Inf, "usergroups.users.list": rate.Inf,
	}
}

func TestFeedbackTwoReplicasEveryTickOnce(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: feedbackPolicy("@every 2s", yearlySpec, false), Replicas: 2})
	people := feedbackPeople()
	if err := apptest.WaitFor(30*time.Second, func() bool {
		return len(completeRounds(e.questionDMs(people), people)) >= 3
	}); err != nil {
		t.Fatalf("three rounds never reached all 50 people: %v (rounds: %v)", err, completeRounds(e.questionDMs(people), people))
	}
	for _, b := range e.Bots() {
		if err := b.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	byRound := e.questionDMs(people)
	e.checkNoDuplicates(byRound)

	// Both replicas took part, and each tick was run by one of them.
	var ran int
	for _, b := range e.Bots() {
		if counter(t, b.App.Metrics.JobRuns.WithLabelValues(jobs.JobFeedback, "ok")) > 0 {
			ran++
		}
	}
	if ran == 0 {
		t.Error("no replica recorded a feedback run")
	}
	if lines := e.Logs.Lines(`"msg":"fanout done"`); len(lines) < 3 {
		t.Errorf("%d fanout log lines; want one per run, at least 3", len(lines))
	} else if !strings.Contains(lines[0], `"sent":`) || !strings.Contains(lines[0], `"excluded":2`) {
		t.Errorf("fanout log line lacks the totals: %s", lines[0])
	}
	// The weekly question is one of the six defaults, with the why line and
	// the Answer button.
	dm := e.Emu.DMs(apptest.Dave)[0]
	if !strings.Contains(dm.AllText(), "How can I help you realize your goals in the next year?") &&
		!strings.Contains(dm.AllText(), "your leader") {
		t.Errorf("feedback DM = %q; want this week's question", dm.AllText())
	}
	if !strings.Contains(dm.AllText(), "Your leader works for you here") {
		t.Errorf("feedback DM = %q; want the line on why the leader asks", dm.AllText())
	}
}

func TestFeedbackStoppedMidFanoutResumesOnRestart(t *testing.T) {
	e := startFeedback(t, apptest.Options{
		Policy:      feedbackPolicy("@every 2s", yearlySpec, false),
		SlackLimits: fanoutPacing(20), // 50 DMs take 2.5s: time to stop mid-run
	})
	people := feedbackPeople()
	var first string
	if err := apptest.WaitFor(20*time.Second, func() bool {
		for round, got := range e.questionDMs(people) {
			if len(got) >= 10 {
				first = round
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no round started: %v", err)
	}
	if err := e.Bots()[0].Stop(); err != nil { // SIGTERM mid fan-out
		t.Fatal(err)
	}
	stopped := len(e.questionDMs(people)[first])
	if stopped >= len(people) {
		t.Fatalf("round %s reached all %d people before the stop; want a stop mid-run", first, stopped)
	}
	t.Logf("stopped after %d of %d DMs of round %s", stopped, len(people), first)

	e.StartBot()
	if err := apptest.WaitFor(30*time.Second, func() bool {
		return len(e.questionDMs(people)[first]) == len(people)
	}); err != nil {
		t.Fatalf("round %s reached %d of %d people after the restart: %v", first, len(e.questionDMs(people)[first]), len(people), err)
	}
	for _, b := range e.Bots() {
		if err := b.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	e.checkNoDuplicates(e.questionDMs(people))
	if lines := e.Logs.Lines(`"left":`); len(lines) == 0 {
		t.Error("no fanout log line")
	}
}

func TestFeedbackRateLimitedDeliversEverything(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: feedbackPolicy(yearlySpec, yearlySpec, false)})
	e.Emu.InjectRateLimit("chat.postMessage", 3, time.Second)
	start := time.Now()
	e.runNow(jobs.JobFeedback)
	people := feedbackPeople()
	byRound := e.questionDMs(people)
	if len(byRound) != 1 {
		t.Fatalf("%d rounds; want 1", len(byRound))
	}
	for round, got := range byRound {
		if len(got) != len(people) {
			t.Errorf("round %s reached %d people; want %d", round, len(got), len(people))
		}
	}
	e.checkNoDuplicates(byRound)
	var limited int
	for _, c := range e.Emu.Calls("chat.postMessage") {
		if c.Status == 429 {
			limited++
		}
	}
	if limited != 3 {
		t.Errorf("%d chat.postMessage calls answered 429; want the 3 injected", limited)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("fan-out finished in %v; want it to wait out Retry-After (1s)", d)
	}
	m := e.Bots()[0].App.Metrics
	if got := counter(t, m.Fanout.WithLabelValues(jobs.JobFeedback, "sent")); got != float64(len(people)) {
		t.Errorf("sent metric = %v; want %d", got, len(people))
	}
	if got := counter(t, m.SlackCalls.WithLabelValues("chat.postMessage", "rate_limited")); got != 3 {
		t.Errorf("rate_limited calls metric = %v; want 3", got)
	}
}

func TestFeedbackMissedTickIsCaughtUpOnce(t *testing.T) {
	e := startFeedback(t, apptest.Options{
		Policy: feedbackPolicy("@every 1h", yearlySpec, false), CatchUpGrace: 2 * time.Hour, NoBot: true,
	})
	// The bot ran before the tick, then was down at the tick: it starts
	// again half an hour later.
	e.Clock.Set(time.Now().Truncate(time.Hour).Add(-10 * time.Minute))
	before := e.StartBot()
	// What the scheduler records at start (idempotent), so the stop below
	// cannot come first.
	if _, err := e.store.JobSince(e.Ctx(), apptest.Team, jobs.JobFeedback, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := before.Stop(); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(time.Now().Truncate(time.Hour).Add(30 * time.Minute))
	e.StartBot()
	people := feedbackPeople()
	if err := apptest.WaitFor(20*time.Second, func() bool { return len(completeRounds(e.questionDMs(people), people)) == 1 }); err != nil {
		t.Fatalf("the missed tick was not caught up: %v", err)
	}
	round := completeRounds(e.questionDMs(people), people)[0]
	tick := e.Clock.Now().Truncate(time.Hour)
	if want := domain.RoundID(tick); round != want {
		t.Errorf("caught-up round = %s; want the missed tick %s (%v)", round, want, tick)
	}
	// A second replica, and a restart of the first, find the tick done.
	second := e.StartBot()
	if err := e.Bots()[0].Stop(); err != nil {
		t.Fatal(err)
	}
	third := e.StartBot()
	for _, b := range []*apptest.Bot{second, third} {
		if err := apptest.WaitFor(10*time.Second, func() bool {
			return counter(t, b.App.Metrics.JobRuns.WithLabelValues(jobs.JobFeedback, "skipped")) >= 1
		}); err != nil {
			t.Fatalf("a later replica did not skip the caught-up tick: %v", err)
		}
	}
	byRound := e.questionDMs(people)
	if len(byRound) != 1 {
		t.Errorf("%d rounds after restarts; want 1 (caught up once)", len(byRound))
	}
	e.checkNoDuplicates(byRound)
}

// fbAnswer opens the feedback modal from user's DM and submits text.
func (e *fbEnv) fbAnswer(user, text string, anonymous bool) slackemu.Ack {
	e.t.Helper()
	dm, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool { _, _, ok := roundOf(m); return ok })
	if err != nil {
		e.t.Fatalf("no feedback DM to %s: %v", user, err)
	}
	if _, err := e.Emu.Click(e.Ctx(), user, dm, "Answer"); err != nil {
		e.t.Fatalf("%s clicks Answer: %v", user, err)
	}
	return e.fbSubmit(user, text, anonymous)
}

func (e *fbEnv) fbSubmit(user, text string, anonymous bool) slackemu.Ack {
	e.t.Helper()
	v, err := e.Emu.WaitView(e.Ctx(), user, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewFeedback && v.Open })
	if err != nil {
		e.t.Fatalf("no feedback modal for %s: %v", user, err)
	}
	vals := slackemu.Values{}.Set("feedback_text", "text", text)
	if anonymous {
		vals.Set("feedback_anon", "anon", []string{"anonymous"})
	}
	ack, err := e.Emu.SubmitView(e.Ctx(), user, v.ID, vals)
	if err != nil {
		e.t.Fatalf("%s submits feedback: %v", user, err)
	}
	return ack
}

// noFloor sets feedback.anonymity_floor to 1: each anonymous answer goes
// to the leaders at once (feedback_loop_test.go tests the floor).
func noFloor(policy string) string {
	return strings.Replace(policy, "  anonymous_allowed: true", "  anonymous_allowed: true\n  anonymity_floor: 1", 1)
}

func TestFeedbackAnonymousAnswerNeverExposesThePerson(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: noFloor(feedbackPolicy(yearlySpec, yearlySpec, true))})
	e.runNow(jobs.JobFeedback)
	question := e.feedbackDMOf(apptest.Alice, false)
	fromCall := len(e.Emu.Calls(""))
	fromLog := len(e.Logs.String())

	const answer = "Clearer goals each quarter would help. <!channel> & thanks"
	ack := e.fbAnswer(apptest.Alice, answer, true)
	if ack.ResponseAction != "update" {
		t.Errorf("submission ack = %q; want the modal updated with a thank-you", ack.ResponseAction)
	}
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Clearer goals") })
	if err != nil {
		t.Fatalf("anonymous answer not posted to the leaders channel: %v", err)
	}
	if !strings.Contains(post.AllText(), "Anonymous") {
		t.Errorf("leaders post = %q; want it marked anonymous", post.AllText())
	}
	if strings.Contains(post.AllText(), "<!channel>") || !strings.Contains(post.AllText(), "&lt;!channel&gt; &amp; thanks") {
		t.Errorf("leaders post = %q; want the answer's markup escaped", post.AllText())
	}
	if views := e.Emu.OpenViews(apptest.Alice); len(views) != 1 || !strings.Contains(string(views[0].Blocks), "Thank you") {
		t.Errorf("Alice's modals after the answer = %v; want one thank-you", views)
	}

	// Her own question DM thanks her, without the Answer button: the one
	// call that names her DM channel, and it carries nothing of the answer.
	e.waitAnswered(apptest.Alice, question, "")
	updatedOf(e.Emu, question.TS) // its call is recorded just after the DM shows it

	// Nothing else sent to Slack or logged from the click on names Alice,
	// her user ID or her DM channel.
	secrets := []string{apptest.Alice, e.Emu.DMChannelID(apptest.Alice), "alice", "Alice Adams"}
	var ownDM []string // the updates of her own DM
	for _, c := range e.Emu.Calls("")[fromCall:] {
		raw, _ := json.Marshal(c.Params)
		if c.Method == "chat.update" && c.Param("channel") == question.Channel && c.Param("ts") == question.TS {
			ownDM = append(ownDM, string(raw))
			continue
		}
		for _, s := range secrets {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s call exposes %q: %s", c.Method, s, raw)
			}
		}
	}
	// The envelope line is written after the ack; wait for it before reading
	// the log, so the check below sees every line of the submission.
	if err := apptest.WaitFor(5*time.Second, func() bool {
		return strings.Contains(e.Logs.String()[fromLog:], `"route":"feedback"`)
	}); err != nil {
		t.Errorf("no envelope log line for the submission in:\n%s", e.Logs.String()[fromLog:])
	}
	logs := e.Logs.String()[fromLog:]
	for _, line := range strings.Split(logs, "\n") {
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line exposes %q: %s", s, line)
			}
		}
	}
	// The answer is stored without the person; the audit event has no actor.
	round, err := e.store.CurrentFeedbackRound(e.Ctx(), apptest.Team)
	if err != nil || round == nil {
		t.Fatalf("current round = %v, %v", round, err)
	}
	answers, err := e.store.FeedbackAnswers(e.Ctx(), apptest.Team, round.ID)
	if err != nil || len(answers) != 1 || answers[0].User != "" || !answers[0].Anonymous || answers[0].Text != answer {
		t.Fatalf("stored answers = %+v, %v; want one anonymous answer without user", answers, err)
	}
	if len(ownDM) != 1 {
		t.Errorf("%d updates of Alice's own DM; want 1", len(ownDM))
	}
	for _, raw := range ownDM {
		for _, never := range []string{"Clearer goals", "&amp; thanks", answers[0].ID, "anonym"} {
			if strings.Contains(raw, never) {
				t.Errorf("the update of Alice's own DM carries %q of her answer: %s", never, raw)
			}
		}
	}
	evs, err := e.store.ReadAudit(e.Ctx(), apptest.Team, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type() == domain.EventFeedbackAnswered && ev.Actor != "" {
			t.Errorf("feedback.answered audit actor = %q; want none for an anonymous answer", ev.Actor)
		}
	}

	// A named answer carries the person's name.
	e.fbAnswer(apptest.Erin, "More time for training.", false)
	named, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "More time for training") })
	if err != nil {
		t.Fatalf("named answer not posted: %v", err)
	}
	if !strings.Contains(named.AllText(), "<@"+apptest.Erin+">") {
		t.Errorf("named leaders post = %q; want Erin named", named.AllText())
	}
}

func TestFeedbackReminderReachesOnlyNonResponders(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: feedbackPolicy(yearlySpec, yearlySpec, true)})
	e.runNow(jobs.JobFeedback)
	e.fbAnswer(apptest.Alice, "Tell me more about next year's plans.", false)
	e.fbAnswer(apptest.Dave, "Fewer meetings.", true)

	// An empty answer is refused in the modal.
	if res := e.Command(apptest.Erin, "feedback"); res.AllText() != "" {
		t.Errorf("/empower feedback replied %q; want the modal only", res.AllText())
	}
	if ack := e.fbSubmit(apptest.Erin, "   ", false); ack.ResponseAction != "errors" || ack.Errors["feedback_text"] == "" {
		t.Errorf("empty answer ack = %+v; want an error on the answer", ack)
	}

	e.runNow(jobs.JobFeedbackReminder)
	e.runNow(jobs.JobFeedbackReminder) // once per round, however often it runs
	reminders := func(user string) int {
		n := 0
		for _, m := range e.Emu.DMs(user) {
			if _, reminder, ok := roundOf(m); ok && reminder {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		user string
		want int
	}{{apptest.Erin, 1}, {apptest.Alice, 0}, {apptest.Dave, 0}} {
		if got := reminders(tt.user); got != tt.want {
			t.Errorf("%s got %d reminders; want %d", tt.user, got, tt.want)
		}
	}

	// The response rate of the round is in the audit stream for the digest.
	evs, err := e.store.ReadAudit(e.Ctx(), apptest.Team, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if p, ok := ev.Payload.(domain.FeedbackRoundData); ok {
			got = append(got, fmt.Sprintf("%s %d/%d %d%%", ev.To, p.Answered, p.Sent, p.RatePct))
		}
	}
	want := "open 0/3 0% reminded 2/3 66% reminded 2/3 66%"
	if strings.Join(got, " ") != want {
		t.Errorf("feedback.round events = %q; want %q", strings.Join(got, " "), want)
	}
}

// TestFeedbackQuestionsRotateByWeek checks the six default questions come
// round one a week.
func TestFeedbackQuestionsRotateByWeek(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: feedbackPolicy(yearlySpec, yearlySpec, true), NoBot: true})
	seen := map[string]bool{}
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, e.Policy.Location)
	for w := range feedbackSix {
		q, i := feedback.QuestionOfWeek(e.Policy.Feedback.Questions, e.Policy.Location, monday.AddDate(0, 0, 7*w))
		seen[q] = true
		if again, j := feedback.QuestionOfWeek(e.Policy.Feedback.Questions, e.Policy.Location, monday.AddDate(0, 0, 7*w+4)); again != q || j != i {
			t.Errorf("week %d: Friday's question %q differs from Monday's %q", w, again, q)
		}
	}
	if len(seen) != feedbackSix {
		t.Errorf("six weeks asked %d distinct questions; want 6", len(seen))
	}
}
