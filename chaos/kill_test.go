package chaos

import (
	"fmt"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackemu"
)

// The bot is SIGKILLed twice under a load of 210 decisions at 40/s (a third
// above the box) and restarted each time. The emulator redelivers what the
// dead process never acknowledged to the new connection (retry_attempt 1+),
// as Slack does. Promised: every command is answered; nothing confirmed is
// lost; no decision is stored twice and no card is posted twice; every card,
// those posted before a kill included, can still be approved, and the
// requester hears of it once.
func TestKillUnderLoad(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, WorldOptions{})
	bot := w.StartBot()
	bot.WaitReady()

	const n = 210
	kills := map[int]bool{70: true, 140: true}
	cmds := Decisions(n)
	killNow := make(chan int)
	var results []Result
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		results = w.Run(Load{Rate: 40, Commands: cmds, AfterSend: func(i int) {
			if kills[i] {
				killNow <- i // the load goes on while the test kills and restarts
			}
		}})
	}()
	cardsBefore := map[string]slackemu.Message{} // cards posted before a kill, by TS
	restarts := 0
	for range kills {
		<-killNow
		for _, m := range w.Emu.Messages(apptest.Escalations) {
			cardsBefore[m.TS] = m
		}
		bot.Kill()
		bot = w.StartBot()
		restarts++
	}
	<-loaded

	f := Tally(results)
	f.Extra = append(f.Extra, fmt.Sprintf("kills=%d cards_before_kills=%d", restarts, len(cardsBefore)))

	// Every command answered; what was confirmed is stored, once.
	stored := w.StoredDecisions()
	for _, r := range results {
		if !r.Acked || strings.TrimSpace(r.Reply) == "" {
			t.Errorf("command %d %q (attempt %d): unanswered, %v", r.Index, r.Text, r.Attempt, r.Err)
			continue
		}
		if !r.Confirmed && !r.TryAgain {
			t.Errorf("command %d %q: reply %q neither confirms nor says try again", r.Index, r.Text, r.Reply)
		}
		ds := stored[Customer(r.Index)]
		if r.Confirmed && (len(ds) == 0 || ds[0].ID != r.Decision) {
			f.Lost++
			t.Errorf("command %d confirmed %s, stored %v", r.Index, r.Decision, ids(ds))
		}
		if len(ds) > 1 {
			f.Duplicates += len(ds) - 1
			t.Errorf("command %d stored %d decisions: %v", r.Index, len(ds), ids(ds))
		}
	}

	// Every pending decision has exactly one card (waiting for those being
	// posted right now), and every card can still be approved.
	var pending []*domain.DecisionRecord
	for _, ds := range stored {
		for _, d := range ds {
			if d.State == domain.StatePending {
				pending = append(pending, d)
			}
		}
	}
	for _, d := range pending {
		card, err := w.WaitCard(apptest.Escalations, d.ID, func(m slackemu.Message) bool { return HasButton(m, "Approve") })
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := w.Emu.Click(w.Ctx(), apptest.Bob, card, "Approve"); err != nil {
			t.Errorf("approve %s: %v", d.ID, err)
		}
	}
	for _, d := range pending {
		if _, err := w.WaitCard(apptest.Escalations, d.ID, func(m slackemu.Message) bool {
			return len(m.Buttons()) == 0 && strings.Contains(m.AllText(), "Approved by")
		}); err != nil {
			t.Errorf("card of %s not approved: %v", d.ID, err)
			continue
		}
		if _, err := w.Emu.WaitDM(w.Ctx(), d.Requester, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), d.ID) }); err != nil {
			t.Errorf("%s not told of %s: %v", d.Requester, d.ID, err)
		}
	}
	// The cards posted before a kill were among those, and are approved now.
	for ts, old := range cardsBefore {
		m, ok := w.Emu.Message(apptest.Escalations, ts)
		if !ok || len(m.Buttons()) != 0 || !strings.Contains(m.AllText(), "Approved by") {
			t.Errorf("a card posted before a kill was not approved after it: %q", old.AllText())
		}
	}
	for id, c := range w.CardsByDecision(apptest.Escalations) {
		if c > 1 {
			f.Duplicates += c - 1
			t.Errorf("%d cards for %s", c, id)
		}
	}
	// Once everything is settled: one DM per decision to its requester.
	bot.Stop()
	for _, d := range pending {
		if got := len(w.DMsWith(d.Requester, d.ID)); got != 1 {
			f.Duplicates += max(0, got-1)
			t.Errorf("%s got %d DMs about %s, want 1", d.Requester, got, d.ID)
		}
	}
	f.Extra = append(f.Extra, fmt.Sprintf("pending_approved_after_restarts=%d", len(pending)))
	f.Report(t)
}

func ids(ds []*domain.DecisionRecord) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID + ":" + string(d.State)
	}
	return out
}
