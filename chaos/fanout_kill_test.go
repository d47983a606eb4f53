package chaos

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
)

// crew is the 497 people who, with Alice, Erin and Dave, make the 500 of
// the fan-out test's frontline.
func crew() []string {
	out := make([]string, 497)
	for i := range out {
		out[i] = fmt.Sprintf("U9%05d", i)
	}
	return out
}

// roundsOf groups the feedback question DMs of people by the fan-out run
// their metadata names: run -> person -> how many DMs.
func roundsOf(w *World, people []string) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, p := range people {
		for _, m := range w.Emu.DMs(p) {
			md := m.Metadata
			if md == nil || md.EventType != handlers.FanoutEventType || md.EventPayload["job"] != "feedback" {
				continue
			}
			run, _ := md.EventPayload["run"].(string)
			if out[run] == nil {
				out[run] = map[string]int{}
			}
			out[run][p]++
		}
	}
	return out
}

// Two replicas run the weekly feedback fan-out to 500 people; the one
// sending it is SIGKILLed when about a third of the DMs are out (Slack
// answers each DM in 30 ms, 8 in flight). The survivor takes the dead run's
// claims over at its next tick, looks each one up in the person's DM
// history, and sends the rest. Promised: each of the 500 people gets
// exactly one DM of that tick (and of every other).
func TestFanoutReplicaKilledMidRun(t *testing.T) {
	t.Parallel()
	people := append([]string{apptest.Alice, apptest.Dave, apptest.Erin}, crew()...)
	users := make([]slackemu.User, 0, len(people))
	for _, id := range crew() {
		users = append(users, slackemu.User{ID: id, Name: strings.ToLower(id), RealName: "Crew " + id})
	}
	policy := strings.Replace(policyWith(Policy, map[string]string{"feedback": `"@every 6s"`}),
		"frontline: [S0FRONTLINE, U0DAVE]", "frontline: [S0FRONTLINE, U0DAVE, S0CREW]", 1)
	w := NewWorld(t, WorldOptions{Policy: policy, Emulator: slackemu.Options{
		Users: users, UserGroups: []slackemu.UserGroup{{ID: "S0CREW", Handle: "crew", Name: "Crew", Users: crew()}},
	}})
	w.Emu.InjectDelay("chat.postMessage", 1000, 30*time.Millisecond)

	first := w.StartBot()
	first.ErrorsOK = true
	// The first round begins on the first replica; the second joins before
	// it is a third done.
	var round string
	waitUntil(t, 30*time.Second, "the first round began", func() bool {
		for r := range roundsOf(w, people[:3]) {
			round = r
			return true
		}
		return false
	})
	second := w.StartBot()
	second.ErrorsOK = true
	var atKill int
	waitUntil(t, 30*time.Second, "a third of the first round out", func() bool {
		atKill = len(roundsOf(w, people)[round])
		return atKill >= 150
	})
	first.Kill()
	atKill = len(roundsOf(w, people)[round])
	if atKill >= len(people) {
		t.Fatalf("the round reached all %d people before the kill", len(people))
	}

	waitUntil(t, 90*time.Second, "the survivor finished the first round", func() bool {
		return len(roundsOf(w, people)[round]) == len(people)
	})
	second.Stop()

	rounds := roundsOf(w, people)
	dups := 0
	for r, got := range rounds {
		for p, k := range got {
			if k != 1 {
				dups += k - 1
				t.Errorf("%s got %d DMs of round %s, want 1", p, k, r)
			}
		}
	}
	for _, p := range people {
		if rounds[round][p] == 0 {
			t.Errorf("%s got no DM of the killed round %s", p, round)
		}
	}
	found, takenOver := 0, 0
	for _, l := range second.Logs.Lines(`"msg":"fanout done"`) {
		if strings.Contains(l, `"run":"`+round+`"`) {
			found += jsonInt(l, "found_sent")
			takenOver += jsonInt(l, "taken_over")
		}
	}
	f := Figures{Sent: len(people), Duplicates: dups, Extra: []string{fmt.Sprintf(
		"round=%s dms_at_kill=%d delivered=%d rounds=%d taken_over=%d found_in_history=%d",
		round, atKill, len(rounds[round]), len(rounds), takenOver, found)}}
	f.Report(t)
}

// jsonInt reads "key":N from a JSON log line (0 when absent).
func jsonInt(line, key string) int {
	_, rest, ok := strings.Cut(line, `"`+key+`":`)
	if !ok {
		return 0
	}
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
