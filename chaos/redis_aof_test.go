package chaos

import (
	"fmt"
	"testing"
	"time"
)

// Redis (with AOF, an fsync per write) is stopped in the middle of a load of
// 160 decisions at 40/s and started again 60 commands later. Promised:
// every command sent while Redis is down is told to try again; nothing that
// was confirmed is lost across the restart; nothing is stored twice; the
// bot serves again by itself once Redis is back.
func TestRedisRestartWithAOFUnderLoad(t *testing.T) {
	t.Parallel()
	w := NewWorld(t, WorldOptions{})
	bot := w.StartBot()
	bot.ErrorsOK = true // Redis goes away on purpose
	bot.WaitReady()

	const n, stopAt, restartAt = 160, 40, 100
	var down, up time.Time
	event := make(chan int)
	var results []Result
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		results = w.Run(Load{Rate: 40, Commands: Decisions(n), AfterSend: func(i int) {
			if i == stopAt || i == restartAt {
				event <- i
			}
		}})
	}()
	<-event
	w.Redis.Stop()
	down = time.Now()
	<-event
	w.Redis.Restart()
	up = time.Now()
	<-loaded
	bot.WaitReady()

	f := Tally(results)
	kinds := checkDecisions(t, w, results, &f)
	for _, r := range results {
		// Handled while Redis was down (sent in the outage, acked before
		// it ended): told to try again.
		if r.Sent.After(down) && r.Sent.Add(r.Total).Before(up) && outcome(r) != "try_again" {
			t.Errorf("command %d sent during the outage: %q, want try again", r.Index, r.Reply)
		}
	}
	if kinds["confirmed"] == 0 || !results[n-1].Confirmed {
		t.Errorf("the last command after Redis came back: %q, want confirmed (the bot recovers by itself)", results[n-1].Reply)
	}
	window, refused := refusedWindow(results)
	f.Extra = append(f.Extra, fmt.Sprintf("outage=%v refused=%d refused_window=%v",
		up.Sub(down).Round(time.Millisecond), refused, window.Round(time.Millisecond)))
	CheckAckBound(t, results)
	bot.Stop()
	f.Report(t)
}
