package e2e

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// The decision's script reaches Redis, which saves it, and its reply never
// comes back (a proxy between the bot and Redis holds it past the client's
// read timeout). The person is told it may have been saved and to look at
// their Home tab before logging it again, never that nothing was recorded
// or to try again; the decision is stored once, and the Home tab lists it.
func TestDecisionWhoseReplyNeverCameMayBeSaved(t *testing.T) {
	rs := redistest.Start(t)
	proxy := redistest.StartProxy(t, rs.Addr())
	e := startDecisions(t, apptest.Options{Redis: rs, RedisURL: proxy.URL()})
	// A first decision: Redis learns the script (EVALSHA then runs it).
	if _, id := e.decide(apptest.Dave, "discount 100 for Globex loyal customer"); id == "" {
		t.Fatal("the first decision was not logged")
	}

	proxy.HoldReply("Initech")
	res := e.Command(apptest.Dave, "discount 250 for Initech kept the contract")
	if proxy.Triggered() != 1 {
		t.Fatalf("the proxy saw the decision %d times, want 1", proxy.Triggered())
	}
	txt := res.AllText()
	if !strings.Contains(txt, handlers.MaybeAppliedText) || strings.Contains(txt, "nothing was recorded") ||
		strings.Contains(strings.ToLower(txt), "try again") {
		t.Fatalf("reply with the answer lost = %q, want %q", txt, handlers.MaybeAppliedText)
	}
	if n := decisionsOf(t, e, apptest.Dave); n != 2 {
		t.Errorf("decisions logged = %d, want 2 (the one told 'may have been saved' is)", n)
	}
	// Where the words send them, the decision is.
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Dave); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Dave, "the decision for Initech", homeHas("Initech"))
}
