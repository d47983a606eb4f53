package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// Redis down: the person is told nothing was recorded, the bot keeps
// running, and it recovers by itself when Redis is back.
func TestRedisDownNothingRecordedThenRecovers(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	e := startDecisions(t, apptest.Options{Redis: rs})
	rs.Stop()
	res := e.Command(apptest.Dave, "discount 250 for ACME kept the contract")
	if !strings.Contains(res.AllText(), "nothing was recorded") {
		t.Fatalf("reply with Redis down = %q, want \"nothing was recorded\"", res.AllText())
	}
	if res.Ack.Attempt != 0 {
		t.Errorf("acked on attempt %d with Redis down, want the first delivery", res.Ack.Attempt)
	}
	rs.Restart()
	var id string
	if err := apptest.WaitFor(15*time.Second, func() bool {
		_, id = e.decide(apptest.Dave, "discount 250 for ACME kept the contract")
		return id != ""
	}); err != nil {
		t.Fatalf("no decision recorded after Redis came back: %v", err)
	}
	if d := e.decision(id); d.State != domain.StateAutonomous {
		t.Errorf("decision after recovery = %s, want autonomous", d.State)
	}
}

// A restart of Redis with AOF keeps every decision, and a pending escalation
// stays actionable.
func TestRedisRestartWithAOFKeepsPendingEscalation(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{AOF: true})
	e := startDecisions(t, apptest.Options{Redis: rs})
	_, inside := e.decide(apptest.Dave, "discount 100 for ACME")
	_, pending := e.decide(apptest.Dave, "discount 900 for Globex")
	m := e.escalation(pending, "team lead")
	rs.Kill() // a crash, not a clean shutdown
	rs.Restart()
	if err := apptest.WaitFor(15*time.Second, func() bool {
		return rs.Client(t).Ping(t.Context()).Err() == nil
	}); err != nil {
		t.Fatal(err)
	}
	if d := e.decision(inside); d.State != domain.StateAutonomous {
		t.Errorf("inside-the-box decision after the Redis crash = %s", d.State)
	}
	e.click(apptest.Bob, m, "Approve")
	e.waitDM(apptest.Dave, "approved your")
	if d := e.decision(pending); d.State != domain.StateApproved {
		t.Errorf("pending decision approved after the Redis crash = %s, want approved", d.State)
	}
}
