package chaos

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

// 30 people-clicks at once on one card: Approve and Decline by the team lead
// and the manager, Escalate by the team lead, and then every decline modal
// that opened submitted at once. Promised: the decision moves once (one
// answer, at most one move up), its cards show that and no buttons, and the
// requester gets exactly one DM of the answer (and one of the move up, when
// an Escalate won the race).
func TestConcurrentMixedClicks(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, WorldOptions{})
	bot := w.StartBot()
	bot.WaitReady()
	emu := w.Emu

	res := w.Run(Load{Commands: []Command{{User: apptest.Dave, Channel: apptest.General, Text: "discount 900 for ACME clicks storm", Above: true}}})
	id := res[0].Decision
	if !res[0].Confirmed {
		t.Fatalf("reply %q", res[0].Reply)
	}
	card, err := w.WaitCard(apptest.Escalations, id, func(m slackemu.Message) bool { return HasButton(m, "Approve") })
	if err != nil {
		t.Fatal(err)
	}

	type click struct{ user, button string }
	var declines, others []click
	for i := range 30 {
		user := apptest.Bob
		if i%2 == 1 {
			user = apptest.Carol
		}
		switch i % 3 {
		case 0:
			others = append(others, click{user, "Approve"})
		case 1:
			others = append(others, click{apptest.Bob, "Escalate"})
		case 2:
			declines = append(declines, click{user, "Decline"})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	storm := func(clicks []click, also ...func()) {
		start := make(chan struct{})
		for _, c := range clicks {
			wg.Go(func() {
				<-start
				if _, err := emu.Click(w.Ctx(), c.user, card, c.button); err != nil {
					errs <- fmt.Errorf("%s by %s: %w", c.button, c.user, err)
				}
			})
		}
		for _, f := range also {
			wg.Go(func() { <-start; f() })
		}
		close(start)
		wg.Wait()
	}
	// The Decline clicks first, at once: each opens its modal.
	storm(declines)
	if err := emu.WaitCalls(w.Ctx(), "views.open", len(declines)); err != nil {
		t.Fatalf("the Decline clicks opened no modals: %v", err)
	}
	var modals []slackemu.View
	users := map[string]string{}
	for _, u := range []string{apptest.Bob, apptest.Carol} {
		for _, v := range emu.OpenViews(u) {
			if v.CallbackID == "decision_decline_reason" {
				modals = append(modals, v)
				users[v.ID] = u
			}
		}
	}
	// Then Approve and Escalate at once with every open modal submitted.
	var submits []func()
	for _, v := range modals {
		submits = append(submits, func() {
			_, _ = emu.SubmitView(w.Ctx(), users[v.ID], v.ID, slackemu.Values{}.Set("reason", "reason", "storm"))
		})
	}
	storm(others, submits...)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	clicks := append(declines, others...)

	// At rest: settle on the manager's card when the storm only moved it up.
	st := w.Store()
	d, err := st.GetDecision(w.Ctx(), Team, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State == domain.StatePending {
		mc, err := w.WaitCard(apptest.Escalations, id, func(m slackemu.Message) bool { return m.TS != card.TS && HasButton(m, "Approve") })
		if err != nil {
			t.Fatalf("pending at %s with no card: %v", d.LevelName, err)
		}
		if _, err := emu.Click(w.Ctx(), apptest.Carol, mc, "Approve"); err != nil {
			t.Fatal(err)
		}
	}
	if err := apptest.WaitFor(stepTimeout, func() bool {
		d, err = st.GetDecision(w.Ctx(), Team, id)
		return err == nil && d.State != domain.StatePending
	}); err != nil {
		t.Fatalf("never decided: %v", err)
	}
	if _, err := emu.WaitDM(w.Ctx(), apptest.Dave, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), id) }); err != nil {
		t.Errorf("Dave not told: %v", err)
	}
	bot.Stop()

	d, err = st.GetDecision(w.Ctx(), Team, id)
	if err != nil {
		t.Fatal(err)
	}
	var f Figures
	f.Sent = len(clicks) + len(modals)
	answers, moves := 0, 0
	var steps []string
	for _, h := range d.History {
		steps = append(steps, h.Action)
		switch h.Action {
		case "approved", "declined":
			answers++
		case "escalated":
			moves++
		}
	}
	if answers != 1 || moves > 1 {
		f.Duplicates += max(0, answers-1) + max(0, moves-1)
		t.Errorf("history %v: %d answers and %d moves up, want 1 and at most 1", steps, answers, moves)
	}
	for _, m := range w.Cards(apptest.Escalations, id) {
		if len(m.Buttons()) != 0 {
			t.Errorf("a card of the %s decision still has buttons %v", d.State, m.Buttons())
		}
	}
	if n := len(w.Cards(apptest.Escalations, id)); n != 1+moves {
		t.Errorf("%d cards for %d moves up", n, moves)
	}
	// One DM per step: the answer, and the move up if there was one.
	dms := len(w.DMsWith(apptest.Dave, id))
	if want := answers + moves; dms != want {
		f.Duplicates += max(0, dms-want)
		f.Lost += max(0, want-dms)
		t.Errorf("Dave got %d DMs about %s (history %v), want %d", dms, id, steps, want)
		for _, m := range w.DMsWith(apptest.Dave, id) {
			t.Logf("DM: %s", m.AllText())
		}
	}
	for _, l := range emu.AckLatencies() {
		f.MaxAck = max(f.MaxAck, l)
	}
	f.Acked = len(emu.AckLatencies()) - 1
	f.Confirmed = answers
	f.Extra = append(f.Extra, fmt.Sprintf("clicks=%d modals_submitted=%d final=%s history=%s requester_dms=%d", len(clicks), len(modals), d.State, strings.Join(steps, ","), dms))
	f.Report(t)
}
