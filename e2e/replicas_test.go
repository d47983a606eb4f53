package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// /readyz writes to the team's slot: a Redis that answers PING but refuses
// writes (here: min-replicas-to-write without a replica, as a Cluster whose
// team master is down answers on the other nodes) is not ready.
func TestReadyzNeedsTheTeamSlotToTakeAWrite(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	env := apptest.Start(t, apptest.Options{Redis: rs, HTTP: true})
	base := "http://" + env.Bots()[0].App.HTTPAddr()
	readyz := func() (int, string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if got, body := readyz(); got != http.StatusOK {
		t.Fatalf("/readyz = %d %s, want 200", got, body)
	}
	rc := rs.Client(t)
	if err := rc.ConfigSet(t.Context(), "min-replicas-to-write", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING with writes refused: %v (the point is that it answers)", err)
	}
	if got, body := readyz(); got != http.StatusServiceUnavailable || !strings.Contains(body, "NOREPLICAS") {
		t.Errorf("/readyz with the team's slot refusing writes = %d %s, want 503 naming NOREPLICAS", got, body)
	}
	if err := rc.ConfigSet(t.Context(), "min-replicas-to-write", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if got, body := readyz(); got != http.StatusOK {
		t.Errorf("/readyz with writes taken again = %d %s, want 200", got, body)
	}
}

// REDIS_WAIT_REPLICAS=1 with no replica answering: the decision is written
// but not confirmed, and the person is told exactly that, never that
// nothing was recorded.
func TestWaitReplicasUnansweredSaysSavedButUnconfirmed(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	e := startDecisions(t, apptest.Options{Redis: rs, WaitReplicas: 1})
	res := e.Command(apptest.Dave, "discount 250 for ACME kept the contract")
	txt := res.AllText()
	if !strings.Contains(txt, handlers.UnconfirmedText) || strings.Contains(txt, "nothing was recorded") {
		t.Fatalf("reply with no replica confirming = %q, want %q", txt, handlers.UnconfirmedText)
	}
	ids, err := e.store.DecisionsBetween(context.Background(), apptest.Team, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("decisions written = %v, want the one told 'saved'", ids)
	}
}
