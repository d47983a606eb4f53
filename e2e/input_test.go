package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/handlers"
)

// TestDecisionCustomerOfSeveralWords: a customer of several words is read
// up to a comma or inside quotes, and the confirmation (inside and above the
// box) says what was understood as customer and reason; the card leaders
// read says the amount is above *their* box.
func TestDecisionCustomerOfSeveralWords(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	tests := []struct {
		text, customer, reason string
		wantReply              []string
	}{
		{"discount 900 for Umbrella Corp, billing error #courage", "Umbrella Corp", "billing error",
			[]string{"above your box", "Customer: *Umbrella Corp* · Reason: billing error"}},
		{`discount 250 for "Umbrella Corp" billing error`, "Umbrella Corp", "billing error",
			[]string{"yours to make", "Customer: *Umbrella Corp* · Reason: billing error"}},
		// Without quotes or a comma the customer is one word, and the
		// confirmation shows how it was read.
		{"discount 250 for Umbrella Corp billing error", "Umbrella", "Corp billing error",
			[]string{"yours to make", "Customer: *Umbrella* · Reason: Corp billing error"}},
		{"discount 250 double billed", "", "double billed",
			[]string{"Customer: none given · Reason: double billed"}},
	}
	for _, tt := range tests {
		res, id := e.decide(apptest.Dave, tt.text)
		if id == "" {
			t.Fatalf("%q: reply names no decision: %q", tt.text, res.AllText())
		}
		for _, want := range tt.wantReply {
			if !strings.Contains(res.AllText(), want) {
				t.Errorf("%q: reply lacks %q: %q", tt.text, want, res.AllText())
			}
		}
		if d := e.decision(id); d.Customer != tt.customer || d.Reason != tt.reason {
			t.Errorf("%q: stored customer %q reason %q; want %q, %q", tt.text, d.Customer, d.Reason, tt.customer, tt.reason)
		}
		if strings.HasPrefix(tt.text, "discount 900") {
			card := e.escalation(id, "Umbrella Corp")
			if txt := card.AllText(); !strings.Contains(txt, "$900 is above their $500 box") || strings.Contains(txt, "your") {
				t.Errorf("card: want \"$900 is above their $500 box\" and no \"your\": %q", txt)
			}
		}
	}
	// The help and the error for a missing customer show the quotes.
	if txt := e.Command(apptest.Dave, "help").AllText(); !strings.Contains(txt, `for "Umbrella Corp"`) || !strings.Contains(txt, "for Umbrella Corp, billing error") {
		t.Errorf("help lacks the quoted and comma forms: %q", txt)
	}
	if txt := e.Command(apptest.Dave, "discount 250 for").AllText(); !strings.Contains(txt, `for "Umbrella Corp"`) || !strings.Contains(txt, "Usage:") {
		t.Errorf("missing customer: want the quoted form and the usage line: %q", txt)
	}
}

// TestAskUnreadableDateIsRefused: `ask @bob a ladder by someday` is refused
// with the words commit uses (nothing stored, nobody asked), and `by
// yesterday` says it is in the past; several words after "by" that are no
// date still belong to the ask.
func TestAskUnreadableDateIsRefused(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	commitReply, _ := e.commit(apptest.Bob, "commit "+cmDave+" a ladder by someday")
	for _, tt := range []struct{ user, text, want string }{
		{apptest.Dave, "ask " + cmBob + " a ladder by someday", "can't read `someday` as a date"},
		{apptest.Dave, "ask " + cmBob + " a ladder by yesterday", "That's in the past (Tue Nov 17; today is Wed Nov 18)"},
		{apptest.Bob, "commit " + cmDave + " a ladder by yesterday", "That's in the past (Tue Nov 17; today is Wed Nov 18)"},
	} {
		reply, id := e.commit(tt.user, tt.text)
		if !strings.Contains(reply, tt.want) || strings.Contains(reply, "can't read `yesterday`") {
			t.Errorf("%q: reply %q; want it to contain %q", tt.text, reply, tt.want)
		}
		if id != "" {
			t.Errorf("%q: stored %s", tt.text, id)
		}
	}
	askReply, _ := e.commit(apptest.Dave, "ask "+cmBob+" a ladder by someday")
	firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
	if firstLine(askReply) != firstLine(commitReply) {
		t.Errorf("ask and commit refuse `someday` differently:\n ask:    %q\n commit: %q", askReply, commitReply)
	}
	if !strings.Contains(askReply, command.MustLookup("ask").Usage()) {
		t.Errorf("ask refusal lacks its usage line: %q", askReply)
	}
	if evs, _ := e.store.ReadAudit(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); len(evs) != 0 {
		t.Errorf("audit events after refusals: %v", cmAuditTypes(evs))
	}
	if dms := e.Emu.DMs(apptest.Bob); len(dms) != 0 {
		t.Errorf("Bob was asked anyway: %s", dump(dms))
	}
	// Several words that are no date stay part of what is asked.
	if _, id := e.commit(apptest.Dave, "ask "+cmBob+" help me by covering the Tuesday route"); id == "" || e.commitment(id).Text != "help me by covering the Tuesday route" {
		t.Errorf("ask with \"by\" in its text was not kept whole")
	}
}

// TestSmallInputs: extra words after a subcommand that takes none are
// refused alike, with the usage line; praise of a word that is no mention
// says who is unknown; the self-praise refusal's usage line does not
// suggest praising oneself; a `$` with no amount says so.
func TestSmallInputs(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	for _, tt := range []struct{ text, want string }{
		{"help me please", "`/empower help` takes nothing after it (got `me please`)."},
		{"feedback now", "`/empower feedback` takes nothing after it (got `now`)."},
		{"commitments all", "`/empower commitments` takes nothing after it (got `all`)."},
		{"box extra", "`extra` isn't a person I know"},
		{"praise @nobody great save", "I don't know `@nobody`: start with the person you're praising"},
		{"discount $ for ACME", "The amount after `$` is missing: write it like `discount $250`."},
	} {
		txt := e.Command(apptest.Dave, tt.text).AllText()
		if !strings.Contains(txt, tt.want) || !strings.Contains(txt, "Usage:") {
			t.Errorf("/empower %s = %q; want %q and the usage line", tt.text, txt, tt.want)
		}
	}
	// `box @user` still works for a leader.
	if txt := e.Command(apptest.Bob, "box <@U0DAVE|dave>").AllText(); !strings.Contains(txt, "<@U0DAVE>'s box") {
		t.Errorf("/empower box @dave as Bob = %q", txt)
	}
	txt := e.Command(apptest.Dave, "praise <@U0DAVE|dave> great save").AllText()
	if !strings.Contains(txt, "Praising yourself doesn't count") || strings.Contains(txt, "@dave") || strings.Contains(txt, "U0DAVE") {
		t.Errorf("self-praise = %q; want the refusal, with no example that praises @dave", txt)
	}
	if ids, err := e.store.DecisionsBetween(context.Background(), apptest.Team, time.Unix(0, 0), time.Now().Add(1000*time.Hour)); err != nil || len(ids) != 0 {
		t.Errorf("stored decisions after bad input: %v, %v", ids, err)
	}
}

// TestNewDateAfterAMissedDate: the new-date modal of an overdue commitment
// starts tomorrow, not on the missed date, and says "It was due yesterday".
func TestNewDateAfterAMissedDate(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	e.commit(apptest.Bob, "commit "+cmDave+" order gloves by today") // Wed Nov 18
	e.Clock.Advance(24 * time.Hour)                                  // Thu Nov 19
	e.runReminders(1)
	r := e.waitDM(apptest.Bob, "is overdue")
	e.click(apptest.Bob, r, "New date")
	v := e.openModal(apptest.Bob, handlers.ViewCommitmentNewDate)
	blocks := string(v.Blocks)
	if !strings.Contains(blocks, `"initial_date":"2026-11-20"`) {
		t.Errorf("new-date modal does not start tomorrow (2026-11-20): %s", blocks)
	}
	if !strings.Contains(blocks, "It was due yesterday (Wed Nov 18)") || strings.Contains(blocks, "It's was") {
		t.Errorf("new-date modal: want \"It was due yesterday (Wed Nov 18)\": %s", blocks)
	}
}

// TestBoxWithoutLevelLimits: an activity whose levels have no limit of
// their own says once that the first level approves any amount.
func TestBoxWithoutLevelLimits(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	txt := e.Command(apptest.Dave, "box").AllText()
	_, travel, ok := strings.Cut(txt, "*travel-waiver*")
	if !ok {
		t.Fatalf("box lacks travel-waiver: %q", txt)
	}
	travel, _, _ = strings.Cut(travel, ":shield:")
	if n := strings.Count(travel, "approves any amount"); n != 1 || !strings.Contains(travel, "above that, the *team lead* approves any amount (<@U0BOB>)") {
		t.Errorf("travel-waiver in the box says \"approves any amount\" %d times; want once, for team-lead: %q", n, travel)
	}
}
