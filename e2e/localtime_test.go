package e2e

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Local time (PRODUCT.md "Local time"): each person's Slack time zone.

// tzTokyo is 15 hours ahead of Chicago in November.
const tzTokyo = "Asia/Tokyo"

// startLocal starts the commitments env with Bob in Tokyo and local_time
// as given, the clock at Wednesday 10:00 in Chicago (Thursday 01:00 in
// Tokyo).
func startLocal(t *testing.T, local bool) *cmEnv {
	t.Helper()
	e := startCommitments(t, apptest.Options{NoBot: true})
	e.Policy.LocalTime = local
	e.Emu.AddUser(slackemu.User{ID: apptest.Bob, Name: "bob", RealName: "Bob Brown", TZ: tzTokyo})
	e.StartBot()
	return e
}

func TestCommitByTomorrowReadInTheLeadersZone(t *testing.T) {
	e := startLocal(t, true)
	if now := e.Clock.Now().In(cmChicago); now.Weekday() != time.Wednesday {
		t.Fatalf("clock at %v", now)
	}
	// In Tokyo it is already Thursday: Bob's tomorrow is Friday.
	reply, id := e.commit(apptest.Bob, "commit "+cmDave+" book the safety course by tomorrow")
	if id == "" {
		t.Fatalf("no commitment: %q", reply)
	}
	if c := e.commitment(id); c.Due != "2026-11-20" {
		t.Errorf("due %s; want 2026-11-20, tomorrow in Bob's Tokyo", c.Due)
	}
	// Dave, in Chicago, asks by tomorrow: his tomorrow is Thursday.
	reply, ask := e.commit(apptest.Dave, "ask "+cmBob+" a new headset by tomorrow")
	if ask == "" {
		t.Fatalf("no ask: %q", reply)
	}
	if c := e.commitment(ask); c.AskedDue != "2026-11-19" {
		t.Errorf("ask by tomorrow typed in Chicago: %s; want 2026-11-19", c.AskedDue)
	}
	// A date Bob can still pick in Tokyo's today is refused when it is
	// before it: "today" for Bob is Thursday.
	_, id2 := e.commit(apptest.Bob, "commit "+cmDave+" call you back by today")
	if c := e.commitment(id2); c.Due != "2026-11-19" {
		t.Errorf("today typed by Bob: due %s; want 2026-11-19", c.Due)
	}
}

func TestCommitByTomorrowWithoutLocalTimeIsThePolicysTomorrow(t *testing.T) {
	e := startLocal(t, false)
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" book the safety course by tomorrow")
	if c := e.commitment(id); c.Due != "2026-11-19" {
		t.Errorf("due %s; want 2026-11-19, tomorrow in the policy's Chicago", c.Due)
	}
	if n := len(e.Emu.Calls("users.list")); n != 0 {
		t.Errorf("users.list called %d times with local_time off", n)
	}
}
