package e2e

import (
	"sync"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
)

// A person's DM channel is opened once, even when many DMs to them go out
// at the same moment from two replicas.
func TestDMChannelOpenedOnceAcrossReplicasAtOnce(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Replicas: 2})
	var wg sync.WaitGroup
	channels := make(chan string, 20)
	for _, b := range e.Bots() {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ch, err := b.App.Handlers.DMChannel(e.Ctx(), apptest.Team, apptest.Erin)
				if err != nil {
					t.Errorf("DMChannel: %v", err)
					return
				}
				channels <- ch
			}()
		}
	}
	wg.Wait()
	close(channels)
	seen := map[string]bool{}
	for ch := range channels {
		seen[ch] = true
	}
	if len(seen) != 1 {
		t.Errorf("DM channels returned: %v, want one", seen)
	}
	n := 0
	for _, c := range e.Emu.Calls("conversations.open") {
		if c.Param("users") == apptest.Erin {
			n++
		}
	}
	if n != 1 {
		t.Errorf("conversations.open called %d times for Erin, want once", n)
	}
}
