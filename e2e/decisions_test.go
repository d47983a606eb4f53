package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

var decisionIDRe = regexp.MustCompile(`D-[0-9A-Z]{6}`)

// decisionEnv is the product running for one decisions test.
type decisionEnv struct {
	*apptest.Env
	t     testing.TB
	store *store.Store
}

func startDecisions(t testing.TB, o apptest.Options) *decisionEnv {
	t.Helper()
	e := apptest.Start(t, o)
	de := &decisionEnv{Env: e, t: t, store: store.New(e.Redis.Client(t), store.NewKeys(e.Prefix))}
	t.Cleanup(de.checkBlockKit)
	return de
}

// checkBlockKit fails the test when any message or view the bot sent was
// refused by the emulator's Block Kit checks.
func (e *decisionEnv) checkBlockKit() {
	for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update"} {
		for _, c := range e.Emu.Calls(m) {
			if c.Error == "invalid_blocks" || c.Error == "invalid_arguments" {
				e.t.Errorf("%s refused by the emulator: %s %v", m, c.Error, c.Params)
			}
		}
	}
}

// decide sends `/empower text` as user and returns the reply and the ID of
// the decision it names ("" when none).
func (e *decisionEnv) decide(user, text string) (slackemu.SlashResult, string) {
	e.t.Helper()
	res := e.Command(user, text)
	return res, decisionIDRe.FindString(res.AllText())
}

func (e *decisionEnv) decision(id string) *domain.DecisionRecord {
	e.t.Helper()
	d, err := e.store.GetDecision(context.Background(), apptest.Team, id)
	if err != nil {
		e.t.Fatalf("get decision %s: %v", id, err)
	}
	return d
}

// escalation waits for the escalation message of decision id whose text
// contains want.
func (e *decisionEnv) escalation(id, want string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		txt := m.AllText()
		return m.ThreadTS == "" && strings.Contains(txt, id) && strings.Contains(txt, want)
	})
	if err != nil {
		e.t.Fatalf("no escalation message for %s containing %q: %v\nmessages: %s", id, want, err, dump(e.Emu.Messages(apptest.Escalations)))
	}
	e.recorded(id, m)
	return m
}

// recorded waits until card m is recorded with decision id (found in the
// card when id is ""). The card is posted after the ack, then recorded: a
// click before that would race its recording (a person takes longer).
func (e *decisionEnv) recorded(id string, m slackemu.Message) {
	e.t.Helper()
	if id == "" {
		id = decisionIDRe.FindString(m.AllText())
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		d, err := e.store.GetDecision(context.Background(), apptest.Team, id)
		return err == nil && slices.ContainsFunc(d.Messages, func(dm domain.DecisionMessage) bool { return dm.TS == m.TS })
	}); err != nil {
		e.t.Fatalf("escalation message %s of %q never recorded with the decision: %v", m.TS, id, err)
	}
}

func (e *decisionEnv) click(user string, m slackemu.Message, button string) {
	e.t.Helper()
	if _, err := e.Emu.Click(e.Ctx(), user, m, button); err != nil {
		e.t.Fatalf("%s clicks %s: %v", user, button, err)
	}
}

// waitEphemeral waits for an ephemeral message to user containing want.
func (e *decisionEnv) waitEphemeral(user, want string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitEphemeral(e.Ctx(), user, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), want) })
	if err != nil {
		e.t.Fatalf("no ephemeral message to %s containing %q: %v\nephemerals: %s", user, want, err, dump(e.Emu.Ephemerals(user)))
	}
	return m
}

func (e *decisionEnv) waitDM(user, want string) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitDM(e.Ctx(), user, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), want) })
	if err != nil {
		e.t.Fatalf("no DM to %s containing %q: %v\nDMs: %s", user, want, err, dump(e.Emu.DMs(user)))
	}
	return m
}

// waitUpdated waits until the message at ts satisfies pred.
func (e *decisionEnv) waitUpdated(ts string, what string, pred func(slackemu.Message) bool) slackemu.Message {
	e.t.Helper()
	m, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool { return m.TS == ts && pred(m) })
	if err != nil {
		cur, _ := e.Emu.Message(apptest.Escalations, ts)
		e.t.Fatalf("escalation message %s never became %s: %v\nit is: %s", ts, what, err, cur.AllText())
	}
	return m
}

// countOf counts t in types.
func countOf(types []domain.EventType, t domain.EventType) int {
	n := 0
	for _, x := range types {
		if x == t {
			n++
		}
	}
	return n
}

func (e *decisionEnv) auditTypes(id string) []domain.EventType {
	e.t.Helper()
	evs, err := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.EventType
	for _, ev := range evs {
		if ev.Subject == id {
			out = append(out, ev.Type())
		}
	}
	return out
}

func buttonLabels(m slackemu.Message) []string {
	var out []string
	for _, b := range m.Buttons() {
		out = append(out, b.Text)
	}
	return out
}

func dump(ms []slackemu.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  [%s %s] %s", m.Channel, m.TS, m.AllText())
	}
	return b.String()
}

func TestDecisionInsideTheBox(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived #customer-first")
	if id == "" {
		t.Fatalf("reply names no decision: %q", res.AllText())
	}
	if res.ResponseType == "in_channel" {
		t.Errorf("reply is public; want ephemeral")
	}
	for _, want := range []string{"yours to make", "$250", "ACME"} {
		if !strings.Contains(res.AllText(), want) {
			t.Errorf("reply lacks %q: %q", want, res.AllText())
		}
	}
	d := e.decision(id)
	if d.State != domain.StateAutonomous || d.Amount != 25000 || d.Customer != "ACME" || !slices.Equal(d.Tags, []string{"customer-first"}) {
		t.Errorf("stored decision: got %+v", d)
	}
	if got := e.auditTypes(id); !slices.Equal(got, []domain.EventType{domain.EventDecisionCreated}) {
		t.Errorf("audit: got %v, want [decision.created]", got)
	}
	if ms := e.Emu.Messages(apptest.Escalations); len(ms) != 0 {
		t.Errorf("inside the box posted to the escalations channel: %s", dump(ms))
	}
	// Exactly at the limit is inside too.
	if _, id := e.decide(apptest.Dave, "discount 500"); e.decision(id).State != domain.StateAutonomous {
		t.Errorf("$500 (exactly the limit): got %s, want autonomous", e.decision(id).State)
	}
}

func TestDecisionAboveTheBox(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res, id := e.decide(apptest.Dave, "discount 900 for ACME customer threatened to leave")
	// Said once, and of the level as a person (issue 16): not "It's above
	// your box ($900 is above your $500 box), so I've asked team-lead (@bob)".
	for _, want := range []string{"$900 is above your box of $500, so I've asked your team lead, <@U0BOB>, in <#C0ESCALATE>."} {
		if !strings.Contains(res.AllText(), want) {
			t.Errorf("reply lacks %q: %q", want, res.AllText())
		}
	}
	if txt := res.AllText(); strings.Contains(txt, "It's above your box") || strings.Contains(txt, "team-lead") {
		t.Errorf("reply repeats itself or names the level's slug: %q", txt)
	}
	m := e.escalation(id, "$900 is above their $500 box")
	for _, want := range []string{"<@U0BOB>", "<@U0DAVE>", "ACME", "customer threatened to leave", "discount", "$900", "USD", "team lead"} {
		if !strings.Contains(m.AllText(), want) {
			t.Errorf("escalation message lacks %q: %s", want, m.AllText())
		}
	}
	if got, want := buttonLabels(m), []string{"Approve", "Escalate", "Decline"}; !slices.Equal(got, want) {
		t.Errorf("buttons: got %q, want %q", got, want)
	}
	for _, b := range m.Buttons() {
		if b.Text == "Decline" && !b.HasConfirm {
			t.Errorf("Decline has no confirm dialog")
		}
	}
	// The card is posted after the ack, then recorded with the decision.
	var d *domain.DecisionRecord
	if err := apptest.WaitFor(10*time.Second, func() bool { d = e.decision(id); return len(d.Messages) > 0 }); err != nil {
		t.Errorf("the card of %s was never recorded: %v", id, err)
	}
	if d.State != domain.StatePending || d.Level != 0 || len(d.Messages) != 1 {
		t.Errorf("stored decision: state %s level %d messages %v", d.State, d.Level, d.Messages)
	}
	ids, _ := e.store.DueDecisions(context.Background(), apptest.Team, time.Now().Add(5*time.Hour), 10)
	if !slices.Contains(ids, id) {
		t.Errorf("pending index lacks %s: %v", id, ids)
	}
}

func TestDecisionRefusals(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, small := e.decide(apptest.Dave, "discount 900 for ACME")
	_, big := e.decide(apptest.Dave, "discount 5000 for Globex")
	smallMsg := e.escalation(small, "team lead")
	bigMsg := e.escalation(big, "manager")

	tests := []struct {
		name, user string
		msg        slackemu.Message
		id         string
		want       string
	}{
		{"not an approver", apptest.Mallory, smallMsg, small, "Only its leaders"},
		{"the requester", apptest.Dave, smallMsg, small, "This call is yours"},
		{"a lower level above its limit", apptest.Bob, bigMsg, big, "up to $2,000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.decision(tt.id)
			e.click(tt.user, tt.msg, "Approve")
			e.waitEphemeral(tt.user, tt.want)
			after := e.decision(tt.id)
			if after.State != domain.StatePending || after.Version != before.Version {
				t.Errorf("state changed: %s v%d -> %s v%d", before.State, before.Version, after.State, after.Version)
			}
		})
	}
	if got := e.auditTypes(big); !slices.Equal(got, []domain.EventType{domain.EventDecisionCreated}) {
		t.Errorf("audit of the refused decision: got %v", got)
	}
}

func TestDecisionApprove(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "team lead")
	e.click(apptest.Bob, m, "Approve")
	up := e.waitUpdated(m.TS, "approved", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Approved by <@U0BOB>") })
	if b := up.Buttons(); len(b) != 0 {
		t.Errorf("buttons left after approval: %q", buttonLabels(up))
	}
	// PRODUCT.md: "Approved by @bob at 10:42", in the blocks and in the
	// notification text, which no longer asks for an answer.
	if !regexp.MustCompile(`Approved by <@U0BOB> at \d{1,2}:\d\d [AP]M [A-Z]{3,5}\b`).MatchString(up.AllText()) ||
		!strings.Contains(up.Text, "Approved by <@U0BOB> at ") {
		t.Errorf("approved message = text %q blocks %s", up.Text, up.Blocks)
	}
	e.waitDM(apptest.Dave, "approved your")
	if d := e.decision(id); d.State != domain.StateApproved || d.DecidedBy != apptest.Bob {
		t.Errorf("stored: %s by %s", d.State, d.DecidedBy)
	}
	if got := e.auditTypes(id); !slices.Equal(got, []domain.EventType{domain.EventDecisionCreated, domain.EventDecisionApproved}) {
		t.Errorf("audit: got %v", got)
	}
	// A later click is told who was first.
	e.click(apptest.Carol, m, "Approve")
	e.waitEphemeral(apptest.Carol, "already approved")
}

func TestDecisionEscalate(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "team lead")
	e.click(apptest.Bob, m, "Escalate")
	up := e.waitUpdated(m.TS, "escalated", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Brought to the manager by <@U0BOB>")
	})
	if b := up.Buttons(); len(b) != 0 {
		t.Errorf("old message keeps buttons: %q", buttonLabels(up))
	}
	if !strings.Contains(up.Text, "now with the manager") {
		t.Errorf("old message's notification text = %q; want it to say it moved up", up.Text)
	}
	next := e.escalation(id, "<@U0CAROL>")
	if next.TS == m.TS {
		t.Fatalf("no new message for the manager")
	}
	if got, want := buttonLabels(next), []string{"Approve", "Decline"}; !slices.Equal(got, want) {
		t.Errorf("top-level buttons: got %q, want %q (no Escalate at the top)", got, want)
	}
	e.waitDM(apptest.Dave, "brought in your manager, <@U0CAROL>,")
	if d := e.decision(id); d.Level != 1 || d.State != domain.StatePending {
		t.Errorf("stored: level %d state %s", d.Level, d.State)
	}
	// Bob is below the decision's level now.
	e.click(apptest.Bob, next, "Approve")
	e.waitEphemeral(apptest.Bob, "This one has moved up: it's for the manager, <@U0CAROL>, now")
	e.click(apptest.Carol, next, "Approve")
	e.waitDM(apptest.Dave, "approved your")
	e.waitUpdated(m.TS, "approved too", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Approved by <@U0CAROL>") })
}

func TestDecisionDeclineWithReason(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "team lead")
	e.click(apptest.Bob, m, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewDecline })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	reason := "Margin is too thin this quarter <!channel>"
	ack, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", reason))
	if err != nil {
		t.Fatalf("submit decline: %v", err)
	}
	if len(ack.Errors) > 0 {
		t.Fatalf("decline modal errors: %v", ack.Errors)
	}
	up := e.waitUpdated(m.TS, "declined", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Declined by <@U0BOB>") })
	if !strings.Contains(up.Text, "Declined by <@U0BOB> at ") {
		t.Errorf("declined message text = %q", up.Text)
	}
	if len(up.Buttons()) != 0 || !strings.Contains(up.AllText(), "Margin is too thin") {
		t.Errorf("declined message: %s buttons %q", up.AllText(), buttonLabels(up))
	}
	dm := e.waitDM(apptest.Dave, "declined your")
	if !strings.Contains(dm.AllText(), "Margin is too thin this quarter &lt;!channel&gt;") {
		t.Errorf("DM lacks the escaped reason: %s", dm.AllText())
	}
	if d := e.decision(id); d.State != domain.StateDeclined || d.DeclineReason != reason {
		t.Errorf("stored: %s reason %q", d.State, d.DeclineReason)
	}
}

func TestDecisionConcurrentApprovals(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "team lead")
	var wg sync.WaitGroup
	for i := range 20 {
		user := []string{apptest.Bob, apptest.Carol}[i%2]
		wg.Go(func() {
			if _, err := e.Emu.Click(e.Ctx(), user, m, "Approve"); err != nil {
				t.Errorf("click: %v", err)
			}
		})
	}
	wg.Wait()
	e.waitDM(apptest.Dave, "approved your")
	err := apptest.WaitFor(10*time.Second, func() bool {
		return len(e.Emu.Ephemerals(apptest.Bob))+len(e.Emu.Ephemerals(apptest.Carol)) >= 19
	})
	if err != nil {
		t.Errorf("losers told: %d, want 19", len(e.Emu.Ephemerals(apptest.Bob))+len(e.Emu.Ephemerals(apptest.Carol)))
	}
	types := e.auditTypes(id)
	if n := countOf(types, domain.EventDecisionApproved); n != 1 {
		t.Errorf("approvals in the audit stream: got %d (%v), want exactly 1", n, types)
	}
	d := e.decision(id)
	if d.Version != 2 {
		t.Errorf("version: got %d, want 2 (one transition)", d.Version)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 1 {
		t.Errorf("DMs to the requester: got %d, want 1", n)
	}
	for _, u := range []string{apptest.Bob, apptest.Carol} {
		for _, eph := range e.Emu.Ephemerals(u) {
			if !strings.Contains(eph.AllText(), "already approved") && !strings.Contains(eph.AllText(), "moved it up") {
				t.Errorf("loser %s told: %s", u, eph.AllText())
			}
		}
	}
}

func TestDecisionSafetyTagReachesManager(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res, id := e.decide(apptest.Dave, "discount $10 for ACME loose cable near the panel #safety")
	if !strings.Contains(res.AllText(), "manager") {
		t.Errorf("reply does not name the manager level: %s", res.AllText())
	}
	// Raising a safety issue is thanked, not framed as going beyond one's
	// authority (issue 16).
	if txt := res.AllText(); !strings.Contains(txt, "Thank you for flagging #safety: that always comes to a leader, so I've asked your manager, <@U0CAROL>,") ||
		strings.Contains(txt, "above your box") {
		t.Errorf("the #safety reply does not thank the person, or says it is above their box: %s", txt)
	}
	m := e.escalation(id, "flagged #safety")
	if !strings.Contains(m.AllText(), "<@U0CAROL>") || strings.Contains(m.AllText(), "<@U0BOB>") {
		t.Errorf("safety message should mention the manager only: %s", m.AllText())
	}
	if got := buttonLabels(m); slices.Contains(got, "Escalate") {
		t.Errorf("top level offers Escalate: %q", got)
	}
	if d := e.decision(id); d.Level != 1 {
		t.Errorf("level: got %d, want 1 (manager)", d.Level)
	}
}

func TestDecisionTimeoutWithTwoReplicas(t *testing.T) {
	e := startDecisions(t, apptest.Options{Replicas: 2})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	first := e.escalation(id, "team lead")

	// Before the deadline nothing moves.
	for _, b := range e.Bots() {
		_ = b.App.Jobs.RunNow(e.Ctx(), "escalation_timeouts")
	}
	if d := e.decision(id); d.Level != 0 {
		t.Fatalf("moved before its deadline: level %d", d.Level)
	}

	e.Clock.Advance(4*time.Hour + time.Minute)
	var wg sync.WaitGroup
	for _, b := range e.Bots() {
		for range 3 {
			wg.Go(func() {
				if err := b.App.Jobs.RunNow(e.Ctx(), "escalation_timeouts"); err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
					t.Errorf("run escalation_timeouts: %v", err)
				}
			})
		}
	}
	wg.Wait()
	e.escalation(id, "<@U0CAROL>")
	e.waitDM(apptest.Dave, "without an answer")
	e.waitUpdated(first.TS, "timed out", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Moved up to the manager when the team lead's time to answer ran out") && len(m.Buttons()) == 0
	})

	types := e.auditTypes(id)
	if n := countOf(types, domain.EventDecisionTimeout); n != 1 {
		t.Errorf("timeouts in the audit stream: got %d (%v), want exactly 1", n, types)
	}
	var top int
	for _, m := range e.Emu.Messages(apptest.Escalations) {
		if m.ThreadTS == "" && strings.Contains(m.AllText(), id) && strings.Contains(m.AllText(), "<@U0CAROL>") {
			top++
		}
	}
	if top != 1 {
		t.Errorf("messages to the manager: got %d, want 1", top)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 1 {
		t.Errorf("DMs to the requester: got %d, want 1", n)
	}

	// At the top: one reminder per respond_within (24h), not one per run.
	e.Clock.Advance(24*time.Hour + time.Minute)
	for _, b := range e.Bots() {
		_ = b.App.Jobs.RunNow(e.Ctx(), "escalation_timeouts")
		_ = b.App.Jobs.RunNow(e.Ctx(), "escalation_timeouts")
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return m.ThreadTS != "" && strings.Contains(m.AllText(), "still waiting")
	}); err != nil {
		t.Fatalf("no reminder to the top level: %v", err)
	}
	var reminders int
	for _, m := range e.Emu.Messages(apptest.Escalations) {
		if m.ThreadTS != "" && strings.Contains(m.AllText(), "still waiting") {
			reminders++
		}
	}
	if reminders != 1 {
		t.Errorf("reminders: got %d, want 1", reminders)
	}
	if d := e.decision(id); d.State != domain.StatePending || d.Level != 1 || d.Reminders != 1 {
		t.Errorf("after the reminder: %s level %d reminders %d", d.State, d.Level, d.Reminders)
	}

	// Once Carol approves, the nudge in the thread says so instead.
	var nudge slackemu.Message
	for _, m := range e.Emu.Messages(apptest.Escalations) {
		if m.ThreadTS != "" && strings.Contains(m.AllText(), "still waiting") {
			nudge = m
		}
	}
	e.click(apptest.Carol, e.escalation(id, "for the manager"), "Approve")
	e.waitUpdated(nudge.TS, "the nudge after the approval", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "was approved by <@U0CAROL>: nothing more is needed here") && !strings.Contains(m.AllText(), "still waiting")
	})
}

func TestDecisionApprovedAfterRestart(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "team lead")
	for _, b := range e.Bots() {
		if err := b.Stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
	}
	e.StartBot()
	e.click(apptest.Bob, m, "Approve")
	e.waitDM(apptest.Dave, "approved your")
	if d := e.decision(id); d.State != domain.StateApproved {
		t.Errorf("after restart: %s", d.State)
	}
}

func TestDecisionBadInput(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	long := strings.Repeat("x", 2001)
	tests := []struct {
		text string
		want string
	}{
		{"discount 0", "more than zero"},
		{"discount -5", "negative"},
		{"discount 12.345", "at most 2 decimals"},
		{"discount abc", "isn't an amount"},
		{"discount NaN", "isn't an amount"},
		{"discount Inf", "isn't an amount"},
		{"discount 1e3", "1e3"},
		{"discount 1000000000", "below 1,000,000,000"},
		{"discount", "Add the amount"},
		{"discont 250", "did you mean discount"},
		{"hepl", "did you mean `help`"},
		{"prase great save", "did you mean `praise`"},
		{"discount 250 #nope", "#customer-first"},
		{"discount 250 for ACME " + long, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.text[:min(len(tt.text), 30)], func(t *testing.T) {
			res, _ := e.decide(apptest.Dave, tt.text)
			txt := res.AllText()
			if !strings.Contains(txt, tt.want) {
				t.Errorf("reply lacks %q: %q", tt.want, txt)
			}
			if !strings.Contains(txt, "Usage:") {
				t.Errorf("reply lacks the usage line: %q", txt)
			}
			// A typo is no alarm (issue 16): no :warning: on an input error.
			if strings.Contains(txt, ":warning:") || strings.Contains(txt, "⚠") {
				t.Errorf("an input error carries a warning sign: %q", txt)
			}
		})
	}
	ids, err := e.store.DecisionsBetween(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour))
	if err != nil || len(ids) != 0 {
		t.Errorf("stored decisions after bad input: %v, %v", ids, err)
	}
	if evs, _ := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); len(evs) != 0 {
		t.Errorf("audit events after bad input: %d", len(evs))
	}
}

func TestDecisionModal(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	e.Command(apptest.Dave, "")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewLogDecision })
	if err != nil {
		t.Fatalf("no log modal: %v", err)
	}
	bad := slackemu.Values{}.Set("activity", "activity", "discount").Set("amount", "amount", "12.345")
	ack, err := e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, bad)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if ack.ResponseAction != "errors" || ack.Errors["amount"] == "" {
		t.Errorf("bad amount: got %q %v, want errors on amount", ack.ResponseAction, ack.Errors)
	}
	if ids, _ := e.store.DecisionsBetween(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); len(ids) != 0 {
		t.Errorf("stored after a refused submission: %v", ids)
	}
	good := slackemu.Values{}.Set("activity", "activity", "discount").Set("amount", "amount", "1,250.50").
		Set("customer", "customer", "ACME").Set("reason", "reason", "kept the account").Set("tags", "tags", []string{"customer-first"})
	ack, err = e.Emu.SubmitView(e.Ctx(), apptest.Dave, v.ID, good)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if ack.ResponseAction != "update" {
		t.Errorf("good submission: got %q %v, want update", ack.ResponseAction, ack.Errors)
	}
	m := e.escalation("", "$1,250.50 is above their $500 box")
	id := decisionIDRe.FindString(m.AllText())
	if d := e.decision(id); d.Amount != 125050 || d.Customer != "ACME" || d.State != domain.StatePending {
		t.Errorf("stored: %+v", d)
	}
}

func TestDecisionMentionsAreNeutralised(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	text := `discount 900 for "<!here> Corp" please <!channel> <!everyone> <!subteam^S0FRONTLINE|@frontline> @here <@U0MALLORY>`
	res, id := e.decide(apptest.Dave, text)
	m := e.escalation(id, "team lead")
	e.click(apptest.Bob, m, "Approve")
	e.waitDM(apptest.Dave, "approved your")

	live := []string{"<!here>", "<!channel>", "<!everyone>", "<!subteam^S0FRONTLINE", "<@U0MALLORY>"}
	var surfaces []string
	surfaces = append(surfaces, res.AllText())
	for _, c := range append(e.Emu.Calls("chat.postMessage"), e.Emu.Calls("chat.update")...) {
		surfaces = append(surfaces, c.Param("text")+c.Param("blocks"))
	}
	for _, s := range surfaces {
		for _, l := range live {
			if strings.Contains(s, l) {
				t.Errorf("live mention %s reached Slack: %s", l, s)
			}
		}
		if strings.Contains(s, "@here") {
			t.Errorf("bare @here reached Slack unbroken: %s", s)
		}
	}
}

func TestDecisionBoxCommand(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	res := e.Command(apptest.Dave, "box")
	for _, want := range []string{"discount", "yours up to *$500*", "team lead", "up to $2,000", "<@U0CAROL>", "travel-waiver", "#safety"} {
		if !strings.Contains(res.AllText(), want) {
			t.Errorf("box reply lacks %q: %s", want, res.AllText())
		}
	}
	res = e.Command(apptest.Bob, "box")
	if !strings.Contains(res.AllText(), "You answer escalations as *team lead*") {
		t.Errorf("an approver's box lacks their role: %s", res.AllText())
	}
}

// BenchmarkInsideTheBox measures an inside-the-box decision end to end: the
// slash command through the emulator's socket, the bot, Redis and back in
// the ack. It reports the ack latency percentiles and the Redis round trips
// per command.
func BenchmarkInsideTheBox(b *testing.B) {
	env := apptest.Start(b, apptest.Options{NoBot: true})
	rtt := startHookedBot(b, env)
	ctx := context.Background()
	// Warm up (scripts loaded, connections open).
	for range 5 {
		if _, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 250 for ACME"); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	rtt.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 250 for ACME")
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(res.Text, "yours to make") {
			b.Fatalf("reply: %q", res.Text)
		}
		lat = append(lat, res.Ack.Latency)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ack-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(float64(rtt.n.Load())/float64(b.N), "redis-rtt/op")
}

// TestRedisRoundTripsPerCommand counts the Redis round trips of each kind
// of decision command (the closing note's figure): one before the ack, inside
// the box and above it (the envelope's claim, the decision, its indexes and
// its audit event in one script). Inside the box that is all: the same
// script records the envelope handled with its answer. Above it, after the
// ack, the posted card is recorded and the envelope recorded done with its
// answer (so a redelivery gets it). The App Home's set of who opened it,
// read every few seconds by a replica, is not a command's and not counted.
func TestRedisRoundTripsPerCommand(t *testing.T) {
	env := apptest.Start(t, apptest.Options{NoBot: true})
	keys := store.NewKeys(env.Prefix)
	homeOpened := keys.Team(apptest.Team, "home", "opened")
	rtt := startHookedBot(t, env, func(cmd redis.Cmder) bool {
		args := cmd.Args()
		return cmd.Name() == "smembers" && len(args) == 2 && fmt.Sprint(args[1]) == homeOpened
	})
	ctx := context.Background()
	rdb := env.Redis.Client(t)
	// settled waits until the command's envelope is recorded done: the last
	// step of its handling, after the ack.
	settled := func(res slackemu.SlashResult) {
		t.Helper()
		key := keys.Team(apptest.Team, "dedupe", "slash", res.TriggerID)
		if err := apptest.WaitFor(10*time.Second, func() bool {
			v, _ := rdb.Get(ctx, key).Result()
			return strings.HasPrefix(v, "d:") || strings.HasPrefix(v, "f:")
		}); err != nil {
			t.Fatalf("the envelope of %q was never recorded done: %v", res.Text, err)
		}
	}
	tests := []struct {
		text         string
		ackPath, all int64
	}{
		{"discount 250 for ACME", 1, 1},
		{"discount 900 for ACME", 1, 3},
	}
	for _, warm := range []string{"discount 250 for warmup", "discount 900 for warmup"} {
		res, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, warm)
		if err != nil {
			t.Fatal(err)
		}
		settled(res)
	}
	for _, tt := range tests {
		rtt.n.Store(0)
		rtt.inHandler.Store(0)
		res, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		settled(res)
		ackPath, all := rtt.inHandler.Load(), rtt.n.Load()
		t.Logf("%q: %d Redis round trips before the ack, %d in all", tt.text, ackPath, all)
		if ackPath > tt.ackPath || all > tt.all {
			t.Errorf("%q: %d Redis round trips before the ack and %d in all, want at most %d and %d", tt.text, ackPath, all, tt.ackPath, tt.all)
		}
	}
}

// roundTrips counts Redis round trips: one per command sent alone, one per
// pipeline or transaction; inHandler counts those of a slash command's
// handler (its context carries the request key), which the ack waits for.
type roundTrips struct {
	n, inHandler atomic.Int64
	// skip, when set, leaves out the commands it is true for.
	skip func(redis.Cmder) bool
}

func (h *roundTrips) count(ctx context.Context) {
	h.n.Add(1)
	if domain.RequestKey(ctx) != "" {
		h.inHandler.Add(1)
	}
}

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.skip == nil || !h.skip(cmd) {
			h.count(ctx)
		}
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.count(ctx)
		return next(ctx, cmds)
	}
}

// startHookedBot starts one replica wired by app.New exactly as apptest
// does, but on a Redis client that counts round trips (but those skip,
// when given, is true for).
func startHookedBot(tb testing.TB, env *apptest.Env, skip ...func(redis.Cmder) bool) *roundTrips {
	tb.Helper()
	rdb, err := store.NewClient(store.ClientOptions{URL: env.Redis.URL()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rdb.Close() })
	rtt := &roundTrips{}
	if len(skip) > 0 {
		rtt.skip = skip[0]
	}
	rdb.AddHook(rtt)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{
		AppToken: env.Emu.AppToken(), BotToken: env.Emu.BotToken(), APIURL: env.Emu.URL(),
		Redis: rdb, KeyPrefix: env.Prefix, Policy: env.Policy, Clock: env.Clock,
		Log: slog.New(slog.DiscardHandler), PingInterval: 10 * time.Second,
	})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	if err := apptest.WaitFor(10*time.Second, a.Bot.Connected); err != nil {
		tb.Fatal(err)
	}
	return rtt
}

func TestDecisionGroupApproversAreResolvedAndCached(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "approvers: [U0BOB]", "approvers: [S0LEADS]", 1)
	e := startDecisions(t, apptest.Options{Policy: pol, NoBot: true})
	e.Emu.AddUserGroup("S0LEADS", "leads", apptest.Bob)
	e.StartBot()
	// The roster lists the policy's groups (S0FRONTLINE, S0LEADS) once at
	// start-up; deciding and clicking read it from memory.
	atStart := e.Emu.CallCount("usergroups.users.list")
	if atStart != 2 {
		t.Errorf("usergroups.users.list calls at start-up: got %d, want 2 (one per group)", atStart)
	}
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	m := e.escalation(id, "<!subteam^S0LEADS>")
	e.click(apptest.Mallory, m, "Approve")
	e.waitEphemeral(apptest.Mallory, "Only its leaders")
	e.click(apptest.Bob, m, "Approve")
	e.waitDM(apptest.Dave, "approved your")
	if n := e.Emu.CallCount("usergroups.users.list"); n != atStart {
		t.Errorf("usergroups.users.list calls after deciding and clicking: got %d, want %d (none on the ack path)", n, atStart)
	}
}
