package chaos

import (
	"testing"
)

// The harness itself: a bot process answers a short load, every decision
// is confirmed and stored, every card above the box is posted once.
func TestHarnessSmoke(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, WorldOptions{})
	b := w.StartBot()
	b.WaitReady()
	cmds := Decisions(30)
	res := w.Run(Load{Rate: 40, Commands: cmds})
	f := Tally(res)
	st := w.Store()
	for _, r := range res {
		if !r.Confirmed {
			t.Errorf("command %d %q: reply %q, %v", r.Index, r.Text, r.Reply, r.Err)
			continue
		}
		if d, err := st.GetDecision(w.Ctx(), "T0EMU", r.Decision); err != nil || d == nil {
			f.Lost++
			t.Errorf("decision %s of command %d not stored: %v", r.Decision, r.Index, err)
		}
		if r.Above {
			if _, err := w.WaitCard("C0ESCALATE", r.Decision, nil); err != nil {
				t.Error(err)
			}
		}
	}
	cards := w.CardsByDecision("C0ESCALATE")
	for id, n := range cards {
		if n > 1 {
			f.Duplicates += n - 1
			t.Errorf("%d cards for %s", n, id)
		}
	}
	CheckAckBound(t, res)
	f.Report(t)
	b.Stop()
}
