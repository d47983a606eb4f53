package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/sandbox"
)

// getJSON GETs url and decodes the JSON answer into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, body, _ := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func tourOf(t *testing.T, base string) map[string]sandbox.TourStep {
	t.Helper()
	var res struct{ Steps []sandbox.TourStep }
	getJSON(t, base+"api/tour", &res)
	out := map[string]sandbox.TourStep{}
	for _, s := range res.Steps {
		out[s.ID] = s
	}
	return out
}

func stateOf(t *testing.T, base string) sandbox.StateJSON {
	t.Helper()
	var st sandbox.StateJSON
	getJSON(t, base+"api/state", &st)
	return st
}

// TestSandboxTourFollowsWhatHappened: the tour's steps are ticked from what the bot did,
// whoever did it and however (here through the API, with no page at all).
func TestSandboxTourFollowsWhatHappened(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	tour := tourOf(t, base)
	if len(tour) != 8 {
		t.Fatalf("tour has %d steps, want 8", len(tour))
	}
	for id, s := range tour {
		if s.Done || s.Person == "" || s.Conv == "" || s.Title == "" || s.Text == "" {
			t.Errorf("step %s at start: %+v; want not done, with a person, a conversation, a title and a text", id, s)
		}
	}
	if in := tour["inside"]; in.Person != "U0ALICE" || in.Conv != "C0GENERAL" || !strings.Contains(in.Composer, "discount 120") {
		t.Errorf("inside: %+v; want Alice in #general with a $120 discount ready", in)
	}
	if ap := tour["approve"]; ap.Person != "U0BOB" || ap.Conv != "C0ESCALATE" {
		t.Errorf("approve: %+v; want Bob in #escalations", ap)
	}
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0ALICE", "channel": "C0GENERAL", "text": tour["inside"].Composer}); code != http.StatusOK {
		t.Fatalf("command = %d %v", code, res)
	}
	tour = tourOf(t, base)
	if !tour["inside"].Done || tour["above"].Done {
		t.Errorf("after a decision inside the box: inside done %v, above done %v; want true, false", tour["inside"].Done, tour["above"].Done)
	}
}

// TestSandboxUnreadPerPerson: each person's unread counts are their own: a card for Bob
// counts for him, reading it clears his count and nobody else's.
func TestSandboxUnreadPerPerson(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0ALICE", "channel": "C0GENERAL", "text": "discount 900 for ACME loyal customer"}); code != http.StatusOK {
		t.Fatalf("command = %d %v", code, res)
	}
	var st sandbox.StateJSON
	deadline := time.Now().Add(10 * time.Second)
	for {
		st = stateOf(t, base)
		if st.Unread["U0BOB"]["C0ESCALATE"].Mentions == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling the state for the card, not timing an assertion
	}
	if u := st.Unread["U0BOB"]["C0ESCALATE"]; u.Messages != 1 || u.Mentions != 1 {
		t.Fatalf("Bob's #escalations: %+v, want 1 message for him", u)
	}
	if u := st.Unread["U0CAROL"]["C0ESCALATE"]; u.Messages != 1 || u.Mentions != 0 {
		t.Errorf("Carol's #escalations: %+v, want 1 message, none for her", u)
	}
	code, res := post(t, base+"api/read", map[string]any{"user": "U0BOB", "channel": "C0ESCALATE"})
	if code != http.StatusOK {
		t.Fatalf("read = %d %v", code, res)
	}
	st = stateOf(t, base)
	if u, ok := st.Unread["U0BOB"]["C0ESCALATE"]; ok {
		t.Errorf("Bob's #escalations after reading: %+v, want nothing", u)
	}
	if st.Unread["U0CAROL"]["C0ESCALATE"].Messages != 1 {
		t.Errorf("Carol's #escalations after Bob read it: %+v, want still 1", st.Unread["U0CAROL"]["C0ESCALATE"])
	}
}

// TestSandboxAdvanceAndRunWhatIsDue: moving the clock with run_due runs the jobs that came
// due meanwhile, and the jobs say in words when they run and their next run.
func TestSandboxAdvanceAndRunWhatIsDue(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	code, res := post(t, base+"api/clock", map[string]any{"advance": "7d", "run_due": true})
	if code != http.StatusOK {
		t.Fatalf("clock = %d %v", code, res)
	}
	ran := map[string]bool{}
	for _, r := range res["ran"].([]any) {
		j := r.(map[string]any)
		if j["error"] != nil {
			t.Errorf("%v failed: %v", j["name"], j["error"])
		}
		ran[j["name"].(string)] = true
	}
	for _, n := range []string{"escalation_timeouts", "outcome_followups", "commitment_reminders", "feedback", "feedback_reminder", "digest"} {
		if !ran[n] {
			t.Errorf("a week ahead: %s did not run (ran %v)", n, ran)
		}
	}
	st := stateOf(t, base)
	for _, j := range st.Jobs {
		if j.About == "" || j.Every == "" || j.Next == nil || !j.Next.After(st.Clock.Now) {
			t.Errorf("job %s: about %q, every %q, next %v (clock %v); want all, next after the clock", j.Name, j.About, j.Every, j.Next, st.Clock.Now)
		}
		if j.Name == "digest" && j.Every != "Fridays at 4:00 PM" {
			t.Errorf("digest every %q, want Fridays at 4:00 PM", j.Every)
		}
	}
}
