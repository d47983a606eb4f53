package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

var cmIDRe = regexp.MustCompile(`C-[0-9A-Z]{6}`)

// cmEnv is the product running for one commitments test, its clock set to
// Wednesday 2026-11-18, 10:00 in Chicago (the policy's timezone).
type cmEnv struct {
	*decisionEnv
}

var cmChicago = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}()

// cmStart is Wednesday 2026-11-18, 10:00 in Chicago.
var cmStart = time.Date(2026, 11, 18, 10, 0, 0, 0, cmChicago)

func startCommitments(t *testing.T, o apptest.Options) *cmEnv {
	t.Helper()
	e := &cmEnv{startDecisions(t, o)}
	e.Clock.Set(cmStart)
	return e
}

const (
	cmBob   = "<@U0BOB|bob>"
	cmDave  = "<@U0DAVE|dave>"
	cmCarol = "<@U0CAROL|carol>"
	cmErin  = "<@U0ERIN|erin>"
)

// commit runs `/empower text` as user and returns the reply and the
// commitment ID it names ("" when none).
func (e *cmEnv) commit(user, text string) (string, string) {
	e.t.Helper()
	res := e.Command(user, text)
	return res.AllText(), cmIDRe.FindString(res.AllText())
}

func (e *cmEnv) commitment(id string) *store.CommitmentRecord {
	e.t.Helper()
	c, err := e.store.GetCommitment(context.Background(), apptest.Team, id)
	if err != nil {
		e.t.Fatalf("get commitment %s: %v", id, err)
	}
	return c
}

// audits returns the audit events of subject id.
func (e *cmEnv) audits(id string) []domain.Event {
	e.t.Helper()
	evs, err := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(10000*time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.Event
	for _, ev := range evs {
		if ev.Subject == id {
			out = append(out, ev)
		}
	}
	return out
}

func cmAuditTypes(evs []domain.Event) []domain.EventType {
	out := make([]domain.EventType, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Type())
	}
	return out
}

// runReminders runs commitment_reminders on every replica, n times each,
// all at once.
func (e *cmEnv) runReminders(n int) {
	e.t.Helper()
	var wg sync.WaitGroup
	for _, b := range e.Bots() {
		for range n {
			// Runs started in the same millisecond share a tick and wait
			// for its lease; a small stagger gives each run its own tick,
			// so only the per-(commitment, day) claim keeps DMs single.
			time.Sleep(2 * time.Millisecond)
			wg.Go(func() {
				if err := b.App.Jobs.RunNow(e.Ctx(), jobs.JobCommitmentReminders); err != nil && !errors.Is(err, jobs.ErrNotClaimed) {
					e.t.Errorf("run %s: %v", jobs.JobCommitmentReminders, err)
				}
			})
		}
	}
	wg.Wait()
}

// reminders returns the reminder DMs user got about commitment id.
func (e *cmEnv) reminders(user, id string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range e.Emu.DMs(user) {
		if strings.Contains(m.AllText(), id) && (strings.Contains(m.AllText(), "coming due") || strings.Contains(m.AllText(), "is overdue") ||
			strings.Contains(m.AllText(), "Your commitment to")) {
			out = append(out, m)
		}
	}
	return out
}

// waitTold waits until user was told want (ephemeral or DM) n times.
func (e *cmEnv) waitTold(user, want string, n int) {
	e.t.Helper()
	count := func() int {
		c := 0
		for _, m := range append(e.Emu.Ephemerals(user), e.Emu.DMs(user)...) {
			if strings.Contains(m.AllText(), want) {
				c++
			}
		}
		return c
	}
	if err := apptest.WaitFor(10*time.Second, func() bool { return count() >= n }); err != nil {
		e.t.Fatalf("%s was not told %q %d times (got %d): %v", user, want, n, count(), err)
	}
}

// waitTold1 waits until user was told want at least once.
func (e *cmEnv) waitTold1(user, want string) { e.t.Helper(); e.waitTold(user, want, 1) }

// openModal waits for user's open modal with callback.
func (e *cmEnv) openModal(user, callback string) slackemu.View {
	e.t.Helper()
	v, err := e.Emu.WaitView(e.Ctx(), user, func(v slackemu.View) bool { return v.CallbackID == callback && v.Open })
	if err != nil {
		e.t.Fatalf("no %s modal for %s: %v", callback, user, err)
	}
	return v
}

func (e *cmEnv) submit(user string, v slackemu.View, values slackemu.Values) slackemu.Ack {
	e.t.Helper()
	ack, err := e.Emu.SubmitView(e.Ctx(), user, v.ID, values)
	if err != nil {
		e.t.Fatalf("%s submits %s: %v", user, v.CallbackID, err)
	}
	return ack
}

func TestCommitByLeader(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	reply, id := e.commit(apptest.Bob, "commit "+cmDave+" get you on the safety course by friday")
	if id == "" || !strings.Contains(reply, "Recorded") || !strings.Contains(reply, "Fri Nov 20") {
		t.Fatalf("reply: %q", reply)
	}
	c := e.commitment(id)
	if c.State != domain.CommitmentOpen || c.Leader != apptest.Bob || c.Employee != apptest.Dave ||
		c.Text != "get you on the safety course" || c.Due != "2026-11-20" || c.Source != domain.SourceCommit {
		t.Errorf("stored: %+v", c)
	}
	e.waitDM(apptest.Dave, "<@U0BOB> committed to you: *get you on the safety course*, by *Fri Nov 20*")
	e.waitDM(apptest.Bob, "You committed to <@U0DAVE>")
	evs := e.audits(id)
	want := domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{
		Leader: apptest.Bob, Employee: apptest.Dave, Due: "2026-11-20", Source: "commit", Text: "get you on the safety course",
	}}
	if len(evs) != 1 || evs[0].Actor != apptest.Bob || !cmp.Equal(evs[0].Payload, domain.Payload(want)) {
		t.Errorf("audit: %+v", evs)
	}
	// The reply is private; nothing was posted in a channel.
	if n := len(e.Emu.Messages(apptest.General)); n != 0 {
		t.Errorf("%d messages in #general; want none", n)
	}
	// Markup in the text is shown, never live; the last " by " splits text and date.
	_, id2 := e.commit(apptest.Carol, "commit "+cmBob+" stand by you in the <!channel> review by 12/15")
	c2 := e.commitment(id2)
	if c2.Text != "stand by you in the <!channel> review" || c2.Due != "2026-12-15" {
		t.Errorf("second: %q due %s", c2.Text, c2.Due)
	}
	// A mention followed by a comma still names the person.
	if _, id3 := e.commit(apptest.Bob, "commit "+cmDave+", order new boots by tomorrow"); id3 == "" || e.commitment(id3).Text != "order new boots" {
		t.Errorf("mention with a comma: %q", id3)
	}
	m := e.waitDM(apptest.Bob, "committed to you")
	if strings.Contains(m.AllText(), "<!channel>") || !strings.Contains(m.AllText(), "&lt;!channel&gt;") {
		t.Errorf("markup not escaped: %s", m.AllText())
	}
}

func TestCommitRefusedForNonLeader(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	for _, user := range []string{apptest.Dave, apptest.Mallory} {
		reply, _ := e.commit(user, "commit "+cmErin+" cover your Tuesday shift by friday")
		want := "Commitments are what leaders promise their people, so only leaders make them; to ask a leader for support, use `/empower ask @leader …`"
		if !strings.Contains(reply, want) {
			t.Errorf("%s: reply %q", user, reply)
		}
	}
	if dms := e.Emu.DMs(apptest.Erin); len(dms) != 0 {
		t.Errorf("Erin got %d DMs", len(dms))
	}
	if evs, _ := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); len(evs) != 0 {
		t.Errorf("audit events after refusals: %v", cmAuditTypes(evs))
	}
}

func TestCommitInputErrors(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	tests := []struct {
		name, text, want string
	}{
		{"empty", "commit", "Say who you commit to"},
		{"no mention", "commit dave the course by friday", "`dave` isn't a person I know"},
		{"group", "commit <!subteam^S0FRONTLINE|@frontline> the course by friday", "not a group"},
		{"channel", "commit <#C0GENERAL|general> the course by friday", "That's a channel"},
		{"self", "commit " + cmBob + " the course by friday", "not to yourself"},
		{"bot", "commit <@" + e.Emu.BotUserID() + "|empowerbot> the course by friday", "That's me"},
		{"missing by", "commit " + cmDave + " the course on friday", "end with `by <date>`"},
		{"empty text", "commit " + cmDave + " by friday", "Say what you will do"},
		{"empty date", "commit " + cmDave + " the course by ", "end with `by <date>`"},
		{"unreadable date", "commit " + cmDave + " the course by someday", "can't read `someday` as a date"},
		{"past date", "commit " + cmDave + " the course by 2026-11-01", "That's in the past (Sun Nov 1; today is Wed Nov 18)"},
		{"past slash date", "commit " + cmDave + " the course by 11/17/2026", "in the past"},
		{"in 0 days", "commit " + cmDave + " the course by in 0 days", "is today"},
		{"too far", "commit " + cmDave + " the course by 2040-01-01", "more than 5 years away"},
		{"no such day", "commit " + cmDave + " the course by 2/30", "February has no day 30"},
		{"no such month", "commit " + cmDave + " the course by 13/1", "no month 13"},
		{"months", "commit " + cmDave + " the course by in 2 months", "only days and weeks"},
		{"too long", "commit " + cmDave + " " + strings.Repeat("x", 501) + " by friday", "keep it to 500 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, id := e.commit(apptest.Bob, tt.text)
			if !strings.Contains(reply, tt.want) {
				t.Errorf("reply %q; want it to contain %q", reply, tt.want)
			}
			if !strings.Contains(reply, command.MustLookup("commit").Usage()) {
				t.Errorf("reply %q lacks the usage line", reply)
			}
			if id != "" {
				t.Errorf("a commitment was made: %s", id)
			}
		})
	}
	if evs, _ := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); len(evs) != 0 {
		t.Errorf("audit events after errors: %v", cmAuditTypes(evs))
	}
	if dms := e.Emu.DMs(apptest.Dave); len(dms) != 0 {
		t.Errorf("Dave got %d DMs", len(dms))
	}
}

func TestCommitDateForms(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	// Wednesday 2026-11-18 in Chicago.
	forms := []struct{ date, want string }{
		{"2026-12-15", "2026-12-15"},
		{"12/15", "2026-12-15"},
		{"1/5", "2027-01-05"},
		{"12/15/2026", "2026-12-15"},
		{"friday", "2026-11-20"},
		{"Fri", "2026-11-20"},
		{"wednesday", "2026-11-25"},
		{"today", "2026-11-18"},
		{"tomorrow", "2026-11-19"},
		{"in 1 day", "2026-11-19"},
		{"in 3 days", "2026-11-21"},
		{"in a week", "2026-11-25"},
		{"in 2 weeks", "2026-12-02"},
		{"next week", "2026-11-23"},
		{"end of week", "2026-11-20"},
		{"end of month", "2026-11-30"},
	}
	for _, f := range forms {
		reply, id := e.commit(apptest.Bob, "commit "+cmDave+" call back by phone by "+f.date)
		if id == "" {
			t.Errorf("by %s: no commitment: %q", f.date, reply)
			continue
		}
		if c := e.commitment(id); c.Due != f.want || c.Text != "call back by phone" {
			t.Errorf("by %s: due %s text %q; want %s", f.date, c.Due, c.Text, f.want)
		}
	}
}

func TestAskAcceptWithChangedDate(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	reply, id := e.commit(apptest.Dave, "ask "+cmBob+" a second van for Tuesdays by friday")
	if id == "" || !strings.Contains(reply, "Asked <@U0BOB>") {
		t.Fatalf("reply: %q", reply)
	}
	if c := e.commitment(id); c.State != domain.CommitmentAsked || c.AskedDue != "2026-11-20" || c.Due != "" {
		t.Fatalf("stored ask: %+v", c)
	}
	dm := e.waitDM(apptest.Bob, "asks for your support")
	if got := buttonLabels(dm); !slices.Equal(got, []string{"Accept", "Decline"}) {
		t.Fatalf("buttons: %q", got)
	}
	for _, b := range dm.Buttons() {
		if b.Text == "Accept" && b.Style != "primary" {
			t.Errorf("Accept style %q", b.Style)
		}
	}
	// Someone else's click changes nothing.
	e.click(apptest.Carol, dm, "Accept")
	e.waitTold(apptest.Carol, "Only <@U0BOB> can answer this ask: it was put to them", 1)

	e.click(apptest.Bob, dm, "Accept")
	v := e.openModal(apptest.Bob, handlers.ViewAskAccept)
	if !strings.Contains(string(v.Blocks), `"initial_date":"2026-11-20"`) {
		t.Errorf("date not prefilled: %s", v.Blocks)
	}
	ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-10"))
	if !strings.Contains(ack.Errors["due"], "in the past") {
		t.Errorf("past date: errors %v", ack.Errors)
	}
	ack = e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-27"))
	if len(ack.Errors) != 0 {
		t.Fatalf("errors: %v", ack.Errors)
	}
	c := e.commitment(id)
	if c.State != domain.CommitmentOpen || c.Due != "2026-11-27" || c.Source != domain.SourceAsk {
		t.Errorf("after accept: %+v", c)
	}
	e.waitDM(apptest.Dave, "<@U0BOB> accepted your ask: *a second van for Tuesdays*, by *Fri Nov 27* (you asked for Fri Nov 20)")
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == dm.TS && strings.Contains(m.AllText(), "You accepted it") && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("the ask's DM was not updated in place: %v", err)
	}
	// A second click on the stale DM: exactly one transition.
	e.click(apptest.Bob, dm, "Accept")
	e.waitTold(apptest.Bob, "was accepted already", 1)
	e.click(apptest.Bob, dm, "Decline")
	e.waitTold(apptest.Bob, "was accepted already", 2)
	if types := cmAuditTypes(e.audits(id)); !slices.Equal(types, []domain.EventType{domain.EventCommitmentAsked, domain.EventCommitmentMade}) {
		t.Errorf("audit: %v", types)
	}
	if n := len(e.Emu.DMs(apptest.Dave)); n != 1 {
		t.Errorf("Dave got %d DMs; want 1", n)
	}
	made := e.audits(id)[1]
	if p, _ := made.Payload.(domain.CommitmentMadeData); made.Actor != apptest.Bob || p.Due != "2026-11-27" || p.Source != "ask" || p.AskedDue != "2026-11-20" {
		t.Errorf("made event: %+v", made)
	}
}

func TestAskDeclineWithReason(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	// Only leaders can be asked; the error names them.
	reply, _ := e.commit(apptest.Dave, "ask "+cmErin+" cover my shift")
	if !strings.Contains(reply, "<@U0ERIN> doesn't lead a team here") || !strings.Contains(reply, "<@U0BOB> <@U0CAROL>") ||
		!strings.Contains(reply, command.MustLookup("ask").Usage()) {
		t.Errorf("non-leader ask: %q", reply)
	}
	reply, _ = e.commit(apptest.Dave, "ask "+cmBob+" a van by 2026-01-01")
	if !strings.Contains(reply, "in the past") {
		t.Errorf("past ask: %q", reply)
	}
	// "by" followed by no date stays in the text, and the ask has no date.
	_, id := e.commit(apptest.Dave, "ask "+cmBob+" help me by covering the Tuesday route")
	if c := e.commitment(id); c.Text != "help me by covering the Tuesday route" || c.AskedDue != "" {
		t.Errorf("ask without a date: %+v", c)
	}
	dm := e.waitDM(apptest.Bob, "asks for your support")
	e.click(apptest.Bob, dm, "Decline")
	v := e.openModal(apptest.Bob, handlers.ViewAskDecline)
	// The modal says where the reason goes, and Slack's own "(optional)" is
	// the only one (issue 16 item 6).
	if blocks := string(v.Blocks); !strings.Contains(blocks, "Only they see it: I send it to them by DM.") || strings.Contains(strings.ToLower(strings.ReplaceAll(blocks, `"optional":true`, "")), "optional") ||
		!strings.Contains(blocks, `"optional":true`) {
		t.Errorf("ask-decline modal: want an optional reason whose hint says it goes by DM, with no \"optional\" of its own: %s", blocks)
	}
	ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("reason", "reason", "The route is covered by Erin from Monday <!here>"))
	if len(ack.Errors) != 0 {
		t.Fatalf("errors: %v", ack.Errors)
	}
	if c := e.commitment(id); c.State != domain.CommitmentDeclined || c.DeclineReason == "" {
		t.Errorf("after decline: %+v", c)
	}
	m := e.waitDM(apptest.Dave, "can't take on your ask")
	if !strings.Contains(m.AllText(), "Their reason: The route is covered by Erin from Monday &lt;!here&gt;") {
		t.Errorf("decline DM: %s", m.AllText())
	}
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == dm.TS && strings.Contains(m.AllText(), "You declined it") && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("the ask's DM was not updated in place: %v", err)
	}
	e.click(apptest.Bob, dm, "Accept")
	e.waitTold1(apptest.Bob, "was declined already")
	evs := e.audits(id)
	if types := cmAuditTypes(evs); !slices.Equal(types, []domain.EventType{domain.EventCommitmentAsked, domain.EventCommitmentDeclined}) {
		t.Fatalf("audit: %v", types)
	}
	if p, _ := evs[1].Payload.(domain.CommitmentDeclinedData); evs[1].Actor != apptest.Bob || !strings.Contains(p.Reason, "covered by Erin") {
		t.Errorf("declined event: %+v", evs[1])
	}
}

func TestCommitmentRemindersTwoReplicas(t *testing.T) {
	e := startCommitments(t, apptest.Options{Replicas: 2})
	_, soon := e.commit(apptest.Bob, "commit "+cmDave+" sign off your overtime by tomorrow")
	_, later := e.commit(apptest.Bob, "commit "+cmDave+" book the training by in 5 days")
	_, carols := e.commit(apptest.Carol, "commit "+cmBob+" review your budget by 11/20")

	// Wednesday: Bob's "tomorrow" is within remind_before (24h); the others are not.
	e.runReminders(3)
	if err := apptest.WaitFor(5*time.Second, func() bool { return len(e.reminders(apptest.Bob, soon)) >= 1 }); err != nil {
		t.Fatalf("no reminder for %s: %v", soon, err)
	}
	if n := len(e.reminders(apptest.Bob, soon)); n != 1 {
		t.Errorf("due-soon reminders on day 1: %d; want 1", n)
	}
	r := e.reminders(apptest.Bob, soon)[0]
	if !strings.Contains(r.AllText(), "coming due") || !strings.Contains(r.AllText(), "due tomorrow (Thu Nov 19)") {
		t.Errorf("reminder: %s", r.AllText())
	}
	if got := buttonLabels(r); !slices.Equal(got, []string{"Done", "New date"}) {
		t.Errorf("reminder buttons: %q", got)
	}
	if n := len(e.reminders(apptest.Bob, later)); n != 0 {
		t.Errorf("reminded of %s 5 days early", later)
	}
	if n := len(e.reminders(apptest.Carol, carols)); n != 0 {
		t.Errorf("reminded Carol 2 days early")
	}

	// Thursday: due today, already reminded once; Carol's is due tomorrow.
	e.Clock.Advance(24 * time.Hour)
	e.runReminders(3)
	if err := apptest.WaitFor(5*time.Second, func() bool { return len(e.reminders(apptest.Carol, carols)) >= 1 }); err != nil {
		t.Fatalf("no reminder for Carol: %v", err)
	}
	if n := len(e.reminders(apptest.Bob, soon)); n != 1 {
		t.Errorf("reminders of %s on day 2: %d; want still 1", soon, n)
	}

	// Friday to Monday: overdue, one reminder a working day; Saturday and
	// Sunday are not working days.
	for _, day := range []struct {
		name string
		want int
	}{{"Friday", 2}, {"Saturday", 2}, {"Sunday", 2}, {"Monday", 3}} {
		e.Clock.Advance(24 * time.Hour)
		e.runReminders(3)
		if day.want > 2 {
			if err := apptest.WaitFor(5*time.Second, func() bool { return len(e.reminders(apptest.Bob, soon)) >= day.want }); err != nil {
				t.Fatalf("%s overdue: no reminder: %v", day.name, err)
			}
		}
		if n := len(e.reminders(apptest.Bob, soon)); n != day.want {
			t.Errorf("%s: %d reminders; want %d", day.name, n, day.want)
		}
	}
	last := e.reminders(apptest.Bob, soon)
	if txt := last[len(last)-1].AllText(); !strings.Contains(txt, "is overdue") || !strings.Contains(txt, "was due Thu Nov 19 (4 days ago)") {
		t.Errorf("overdue reminder: %s", txt)
	}
	if n := len(e.reminders(apptest.Carol, carols)); n != 2 {
		t.Errorf("Carol's reminders: %d; want 2 (due soon, overdue on Monday)", n)
	}
	// The later one (due Monday) was reminded once, on Sunday.
	if n := len(e.reminders(apptest.Bob, later)); n != 1 {
		t.Errorf("reminders of %s: %d; want 1", later, n)
	}
	if n := countOf(cmAuditTypes(e.audits(soon)), domain.EventCommitmentOverdue); n != 1 {
		t.Errorf("overdue events of %s: %d; want 1", soon, n)
	}
	if evs := e.audits(soon); len(evs) != 2 || evs[1].Actor != "" || evs[1].Payload.(interface{ Commitment() domain.CommitmentFacts }).Commitment().Leader != apptest.Bob {
		t.Errorf("audit of %s: %+v", soon, evs)
	}
	// The employee is never reminded.
	for _, m := range e.Emu.DMs(apptest.Dave) {
		if len(m.Buttons()) > 0 {
			t.Errorf("Dave got buttons: %s", m.AllText())
		}
	}
}

func TestReminderDoneAndNewDate(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" fix the van's heater by tomorrow")
	e.runReminders(1)
	r := e.waitDM(apptest.Bob, "coming due")

	// The employee can't act on the leader's buttons.
	e.click(apptest.Dave, r, "Done")
	e.waitTold(apptest.Dave, "only they can mark it done", 1)

	// New date: the modal starts at the current date; a past or the same date is refused.
	e.click(apptest.Bob, r, "New date")
	v := e.openModal(apptest.Bob, handlers.ViewCommitmentNewDate)
	if !strings.Contains(string(v.Blocks), `"initial_date":"2026-11-19"`) {
		t.Errorf("date not prefilled: %s", v.Blocks)
	}
	if ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-17")); !strings.Contains(ack.Errors["due"], "in the past") {
		t.Errorf("past: %v", ack.Errors)
	}
	if ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-19")); !strings.Contains(ack.Errors["due"], "already") {
		t.Errorf("same date: %v", ack.Errors)
	}
	if ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-24")); len(ack.Errors) != 0 {
		t.Fatalf("errors: %v", ack.Errors)
	}
	e.waitDM(apptest.Dave, "<@U0BOB> set a new date for their commitment to you, *fix the van's heater*: now *Tue Nov 24* (it was Thu Nov 19)")
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == r.TS && strings.Contains(m.AllText(), "New date: *Tue Nov 24*") && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("reminder DM not updated in place: %v", err)
	}
	if c := e.commitment(id); c.Due != "2026-11-24" || c.Redates != 1 {
		t.Errorf("after new date: %+v", c)
	}
	// Re-dated: no reminder until it comes due again (today already had one).
	e.Clock.Advance(24 * time.Hour)
	e.runReminders(1)
	if n := len(e.reminders(apptest.Bob, id)); n != 1 {
		t.Errorf("reminders after re-dating: %d; want 1", n)
	}
	// Monday Nov 23: due tomorrow, reminded again.
	e.Clock.Advance(4 * 24 * time.Hour)
	e.runReminders(1)
	if err := apptest.WaitFor(5*time.Second, func() bool { return len(e.reminders(apptest.Bob, id)) == 2 }); err != nil {
		t.Fatalf("no reminder before the new date: %d", len(e.reminders(apptest.Bob, id)))
	}
	r2 := e.reminders(apptest.Bob, id)[1]
	e.click(apptest.Bob, r2, "Done")
	e.waitDM(apptest.Dave, "<@U0BOB> did what they promised: *fix the van's heater*.")
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == r2.TS && strings.Contains(m.AllText(), "Done.") && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("reminder DM not updated in place: %v", err)
	}
	c := e.commitment(id)
	if c.State != domain.CommitmentDone || !c.OnTime {
		t.Errorf("after done: %+v", c)
	}
	// Double click on the stale reminder: one transition, one thank-you.
	e.click(apptest.Bob, r2, "Done")
	e.waitTold1(apptest.Bob, "is already done")
	e.click(apptest.Bob, r, "New date")
	e.waitTold(apptest.Bob, "is already done", 2)
	e.waitDM(apptest.Dave, "did what they promised")
	thanks := 0
	for _, m := range e.Emu.DMs(apptest.Dave) {
		if strings.Contains(m.AllText(), "did what they promised") {
			thanks++
		}
	}
	if thanks != 1 {
		t.Errorf("thank-you DMs: %d; want 1", thanks)
	}
	evs := e.audits(id)
	if types := cmAuditTypes(evs); !slices.Equal(types, []domain.EventType{domain.EventCommitmentMade, domain.EventCommitmentRedated, domain.EventCommitmentDone}) {
		t.Fatalf("audit: %v", types)
	}
	done, _ := evs[2].Payload.(domain.CommitmentDoneData)
	if evs[1].From != "2026-11-19" || evs[1].To != "2026-11-24" || done.OnTime == nil || !*done.OnTime {
		t.Errorf("redated %s→%s, done %+v", evs[1].From, evs[1].To, done)
	}
	// Done after its date: not on time. No more reminders once done.
	_, late := e.commit(apptest.Bob, "commit "+cmDave+" order gloves by today")
	e.Clock.Advance(48 * time.Hour)
	e.runReminders(1)
	lr := e.waitDM(apptest.Bob, "is overdue")
	e.click(apptest.Bob, lr, "Done")
	e.waitDM(apptest.Dave, "did what they promised: *order gloves*")
	if c := e.commitment(late); c.State != domain.CommitmentDone || c.OnTime {
		t.Errorf("late done: %+v", c)
	}
	before := len(e.Emu.DMs(apptest.Bob))
	e.Clock.Advance(24 * time.Hour)
	e.runReminders(1)
	if n := len(e.Emu.DMs(apptest.Bob)); n != before {
		t.Errorf("reminded of a done commitment: %d DMs, was %d", n, before)
	}
}

func TestCommitmentsListOrderAndStatuses(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	// Wednesday Nov 18.
	_, overdue := e.commit(apptest.Bob, "commit "+cmDave+" first aid kit by tomorrow")
	_, open := e.commit(apptest.Bob, "commit "+cmDave+" new ladder by 11/28")
	_, dueSoon := e.commit(apptest.Bob, "commit "+cmErin+" shift swap by 11/21")
	_, done := e.commit(apptest.Bob, "commit "+cmDave+" parking pass by 12/20")
	_, toBob := e.commit(apptest.Carol, "commit "+cmBob+" your promotion case by 11/25")
	_, asked := e.commit(apptest.Dave, "ask "+cmBob+" a quieter route")
	for _, id := range []string{overdue, open, dueSoon, done, toBob, asked} {
		if id == "" {
			t.Fatal("a commitment was not made")
		}
	}
	e.waitDM(apptest.Bob, "You committed to <@U0DAVE>: *parking pass*")
	// Done from the list itself.
	res := e.Command(apptest.Bob, "commitments")
	e.click(apptest.Bob, cmFindSection(t, res.Message, done), "Done")
	e.waitDM(apptest.Dave, "did what they promised: *parking pass*")

	// Friday Nov 20, 10:00.
	e.Clock.Advance(48 * time.Hour)
	res = e.Command(apptest.Bob, "commitments")
	txt := slackemu.Message{Blocks: res.Message.Blocks}.AllText()
	order := []string{overdue, dueSoon, toBob, open, asked, "Recently closed", done}
	last := -1
	for _, s := range order {
		i := strings.Index(txt, s)
		if i < 0 || i < last {
			t.Fatalf("order: %s missing or out of place in:\n%s", s, txt)
		}
		last = i
	}
	status := map[string]string{
		overdue: "overdue", dueSoon: "due soon", toBob: "open", open: "open", asked: "asked", done: "done",
	}
	for id, want := range status {
		line := cmSectionText(t, res.Message, id)
		if !strings.Contains(line, want) {
			t.Errorf("%s: %q; want status %q", id, line, want)
		}
	}
	if !strings.Contains(cmSectionText(t, res.Message, overdue), "was due Thu Nov 19 (yesterday)") &&
		!strings.Contains(cmSectionText(t, res.Message, overdue), "was due yesterday") {
		t.Errorf("overdue line: %s", cmSectionText(t, res.Message, overdue))
	}
	if !strings.Contains(cmSectionText(t, res.Message, toBob), "<@U0CAROL> → you") {
		t.Errorf("made to Bob: %s", cmSectionText(t, res.Message, toBob))
	}
	// Done buttons only on Bob's own open commitments; Accept and Decline on the ask to him.
	var withDone []string
	for _, b := range res.Message.Buttons() {
		switch b.ActionID {
		case handlers.ActionCommitmentDone:
			withDone = append(withDone, b.Value)
		case handlers.ActionAskAccept, handlers.ActionAskDecline:
			if b.Value != asked {
				t.Errorf("ask button on %s", b.Value)
			}
		default:
			t.Errorf("unexpected button %+v", b)
		}
	}
	slices.Sort(withDone)
	want := []string{overdue, open, dueSoon}
	slices.Sort(want)
	if !slices.Equal(withDone, want) {
		t.Errorf("Done buttons on %v; want %v", withDone, want)
	}
	// Done from the list: the list is refreshed in place.
	e.click(apptest.Bob, res.Message, "Done") // the first Done: the overdue one
	list, err := e.Emu.WaitEphemeral(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == res.Message.TS && strings.Contains(m.AllText(), "4 open") && len(m.Buttons()) == 4
	})
	if err != nil {
		t.Fatalf("list not refreshed after Done: %v", err)
	}
	e.waitDM(apptest.Dave, "did what they promised: *first aid kit*")
	// Accept the ask from the list: it becomes a commitment with a Done button.
	e.click(apptest.Bob, list, "Accept")
	v := e.openModal(apptest.Bob, handlers.ViewAskAccept)
	if ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-12-04")); len(ack.Errors) != 0 {
		t.Fatalf("accept errors: %v", ack.Errors)
	}
	if _, err := e.Emu.WaitEphemeral(e.Ctx(), apptest.Bob, func(m slackemu.Message) bool {
		return m.TS == res.Message.TS && len(m.Buttons()) == 3 && !strings.Contains(m.AllText(), "asked")
	}); err != nil {
		t.Errorf("list not refreshed after Accept: %v", err)
	}
	e.waitDM(apptest.Dave, "accepted your ask: *a quieter route*, by *Fri Dec 4*")

	// Dave sees what was made to him and his ask, with no buttons.
	res = e.Command(apptest.Dave, "commitments")
	if len(res.Message.Buttons()) != 0 {
		t.Errorf("Dave sees buttons: %v", buttonLabels(res.Message))
	}
	for _, id := range []string{open, asked, done, overdue} {
		if !strings.Contains(res.AllText(), id) {
			t.Errorf("Dave's list lacks %s", id)
		}
	}
	if strings.Contains(res.AllText(), dueSoon) || strings.Contains(res.AllText(), toBob) {
		t.Errorf("Dave sees others' commitments:\n%s", res.AllText())
	}
	// Nothing at all, and junk after the word.
	if txt := e.Command(apptest.Mallory, "commitments").AllText(); !strings.Contains(txt, "No commitments yet") {
		t.Errorf("empty list: %q", txt)
	}
	if txt := e.Command(apptest.Bob, "commitments all").AllText(); !strings.Contains(txt, "takes nothing after it") {
		t.Errorf("junk: %q", txt)
	}
}

// cmSectionText returns the text of the section of m naming id.
func cmSectionText(t *testing.T, m slackemu.Message, id string) string {
	t.Helper()
	bs, err := m.SlackBlocks()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && strings.Contains(s.Text.Text, id) {
			return s.Text.Text
		}
	}
	t.Fatalf("no section naming %s in %s", id, m.AllText())
	return ""
}

// cmFindSection returns m reduced to the section naming id, so that Click
// clicks its button.
func cmFindSection(t *testing.T, m slackemu.Message, id string) slackemu.Message {
	t.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal(m.Blocks, &raw); err != nil {
		t.Fatal(err)
	}
	for _, b := range raw {
		if strings.Contains(string(b), id) {
			one := m
			one.Blocks = json.RawMessage("[" + string(b) + "]")
			return one
		}
	}
	t.Fatalf("no block naming %s", id)
	return m
}

func TestCommitmentRedeliveryAndDoubleClicks(t *testing.T) {
	e := startCommitments(t, apptest.Options{Replicas: 2})
	res := e.Command(apptest.Bob, "commit "+cmDave+" a new torque wrench by friday")
	if _, err := e.Emu.Redeliver(e.Ctx(), res.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redeliver commit: %v", err)
	}
	res = e.Command(apptest.Dave, "ask "+cmBob+" two more hours of training by 12/1")
	askID := cmIDRe.FindString(res.AllText())
	if _, err := e.Emu.Redeliver(e.Ctx(), res.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redeliver ask: %v", err)
	}
	if err := apptest.WaitFor(5*time.Second, func() bool { return len(e.Logs.Lines(`"outcome":"duplicate"`)) >= 2 }); err != nil {
		t.Fatalf("redeliveries not seen as duplicates: %v", err)
	}
	byBob, _, err := e.store.CommitmentsOf(context.Background(), apptest.Team, apptest.Bob, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(byBob) != 2 {
		t.Errorf("Bob's commitments and asks: %d; want 2", len(byBob))
	}
	asks := 0
	for _, m := range e.Emu.DMs(apptest.Bob) {
		if strings.Contains(m.AllText(), "asks for your support") {
			asks++
		}
	}
	if asks != 1 {
		t.Errorf("ask DMs to Bob: %d; want 1", asks)
	}

	// The accept submission redelivered: one transition, one DM.
	dm := e.waitDM(apptest.Bob, "asks for your support")
	e.click(apptest.Bob, dm, "Accept")
	v := e.openModal(apptest.Bob, handlers.ViewAskAccept)
	ack := e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-12-01"))
	if _, err := e.Emu.Redeliver(e.Ctx(), ack.EnvelopeID, "timeout"); err != nil {
		t.Fatalf("redeliver submission: %v", err)
	}
	e.waitDM(apptest.Dave, "accepted your ask")

	// Two Done clicks at once on the reminder, on two replicas: one thank-you.
	e.Clock.Advance(24 * time.Hour) // Thursday: Friday's commitment comes due
	e.runReminders(1)
	r := e.waitDM(apptest.Bob, "coming due")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := e.Emu.Click(e.Ctx(), apptest.Bob, r, "Done"); err != nil {
				t.Errorf("click: %v", err)
			}
		})
	}
	wg.Wait()
	e.waitTold(apptest.Bob, "is already done", 2)
	e.waitDM(apptest.Dave, "did what they promised")
	thanks := 0
	for _, m := range e.Emu.DMs(apptest.Dave) {
		if strings.Contains(m.AllText(), "did what they promised") {
			thanks++
		}
	}
	if thanks != 1 {
		t.Errorf("thank-you DMs: %d; want 1", thanks)
	}
	if types := cmAuditTypes(e.audits(askID)); !slices.Equal(types, []domain.EventType{domain.EventCommitmentAsked, domain.EventCommitmentMade}) {
		t.Errorf("ask audit: %v", types)
	}
}

func TestCommitmentLongMarkupTextFitsBlockKit(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	text := strings.Repeat("<!channel>&", 45) // 495 characters, about 1,400 once escaped
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" "+text+" by tomorrow")
	if id == "" {
		t.Fatal("not made")
	}
	if c := e.commitment(id); c.Text != text {
		t.Errorf("text not kept as typed: %q", c.Text)
	}
	_, askID := e.commit(apptest.Dave, "ask "+cmBob+" "+text)
	e.runReminders(1)
	r := e.waitDM(apptest.Bob, "coming due")
	res := e.Command(apptest.Bob, "commitments")
	if !strings.Contains(res.AllText(), id) || !strings.Contains(res.AllText(), askID) {
		t.Errorf("list: %s", res.AllText())
	}
	e.click(apptest.Bob, r, "New date")
	v := e.openModal(apptest.Bob, handlers.ViewCommitmentNewDate)
	e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-30"))
	e.waitDM(apptest.Dave, "set a new date")
	dm := e.waitDM(apptest.Bob, "asks for your support")
	e.click(apptest.Bob, dm, "Accept")
	v = e.openModal(apptest.Bob, handlers.ViewAskAccept)
	e.submit(apptest.Bob, v, slackemu.Values{}.Set("due", "due", "2026-11-30"))
	e.waitDM(apptest.Dave, "accepted your ask")
	for _, u := range []string{apptest.Bob, apptest.Dave} {
		for _, m := range e.Emu.DMs(u) {
			if strings.Contains(m.Text+string(m.Blocks), "<!channel>") {
				t.Errorf("live markup in a DM to %s", u)
			}
		}
	}
	// checkBlockKit (cleanup) fails the test if Slack would have refused anything.
}

func TestCommitGoesAheadWhenSlackCannotLookUpThePerson(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	e.Emu.InjectError("users.info", 1, "fatal_error")
	reply, id := e.commit(apptest.Bob, "commit "+cmDave+" order new gloves by friday")
	if id == "" || !strings.Contains(reply, "Recorded") {
		t.Fatalf("reply when users.info fails: %q; want the commitment recorded", reply)
	}
	e.waitDM(apptest.Dave, "order new gloves")
	// A person Slack does not know is still refused.
	if reply, id := e.commit(apptest.Bob, "commit <@U0NOBODY|nobody> order gloves by friday"); id != "" || !strings.Contains(reply, "can't find") {
		t.Errorf("reply for an unknown person: %q (id %q); want a refusal", reply, id)
	}
}
