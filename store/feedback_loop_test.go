package store_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// anonAnswer is an anonymous answer of policy team north, with its event.
func anonAnswer(text string) (domain.FeedbackAnswer, domain.Event) {
	at := time.UnixMilli(7000)
	a := domain.FeedbackAnswer{ID: domain.NewAnswerID(), Round: "R1", Question: "Q?", Text: text, Anonymous: true, At: at, TeamName: "north"}
	return a, domain.Event{Subject: "R1", At: at, Payload: domain.FeedbackAnsweredData{Anonymous: true}}
}

// The floor: anonymous answers are held until three of the team wait, then
// the third releases all three at once; the same call sent twice answers
// the same and changes nothing; a named answer is never held.
func TestKeepFeedbackAnswerFloor(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := t.Context()
	const team = "T1"
	var ids []string
	for i, u := range []string{"U1", "U2"} {
		a, ev := anonAnswer("answer " + u)
		ids = append(ids, a.ID)
		for range 2 { // sent twice: held both times, kept once
			got, err := s.KeepFeedbackAnswer(ctx, team, u, a, ev, 3)
			if err != nil || len(got) != 0 {
				t.Fatalf("answer %d = %v, %v; want held", i+1, got, err)
			}
		}
	}
	if n, err := s.HeldFeedbackAnswers(ctx, team, "north"); err != nil || n != 2 {
		t.Errorf("held = %d, %v; want 2 (each answer once)", n, err)
	}
	named := domain.FeedbackAnswer{ID: domain.NewAnswerID(), Round: "R1", Text: "named", User: "U9", TeamName: "north", At: time.UnixMilli(7000)}
	if got, err := s.KeepFeedbackAnswer(ctx, team, "U9", named, domain.Event{Actor: "U9", Subject: "R1", At: named.At, Payload: domain.FeedbackAnsweredData{}}, 3); err != nil || !slices.Equal(got, []string{named.ID}) {
		t.Errorf("named answer = %v, %v; want posted at once", got, err)
	}
	a3, ev3 := anonAnswer("answer U3")
	ids = append(ids, a3.ID)
	got, err := s.KeepFeedbackAnswer(ctx, team, "U3", a3, ev3, 3)
	if err != nil || !slices.Equal(sorted(got), sorted(ids)) {
		t.Fatalf("third answer = %v, %v; want all three released: %v", got, err, ids)
	}
	again, err := s.KeepFeedbackAnswer(ctx, team, "U3", a3, ev3, 3)
	if err != nil || !slices.Equal(sorted(again), sorted(ids)) {
		t.Errorf("third answer sent again = %v, %v; want the same release", again, err)
	}
	if n, _ := s.HeldFeedbackAnswers(ctx, team, "north"); n != 0 {
		t.Errorf("held after the release = %d; want 0", n)
	}
	answers, _ := s.FeedbackAnswers(ctx, team, "R1")
	if len(answers) != 4 {
		t.Errorf("%d answers stored; want 4 (none twice)", len(answers))
	}
	evs, err := s.ReadAudit(ctx, team, time.UnixMilli(0), time.UnixMilli(100_000))
	if err != nil {
		t.Fatal(err)
	}
	var answered, released int
	for _, ev := range evs {
		switch p := ev.Payload.(type) {
		case domain.FeedbackAnsweredData:
			answered++
		case domain.FeedbackReleasedData:
			released++
			if p.Count != 3 || p.TeamName != "north" {
				t.Errorf("feedback.released = %+v; want 3 of north", p)
			}
		}
	}
	if answered != 4 || released != 1 {
		t.Errorf("audit: %d answered, %d released; want 4 and 1", answered, released)
	}
	// The author is kept apart from the answer, which never names them.
	a, _, err := s.FeedbackAnswer(ctx, team, ids[0])
	if err != nil || a.User != "" || a.Text != "answer U1" {
		t.Errorf("answer = %+v, %v; want it without its author", a, err)
	}
	if u, err := s.FeedbackAuthor(ctx, team, ids[0]); err != nil || u != "U1" {
		t.Errorf("author = %q, %v; want U1", u, err)
	}
	if _, _, err := s.FeedbackAnswer(ctx, team, "F-NOPE00"); !errors.Is(err, domain.ErrAnswerNotFound) {
		t.Errorf("unknown answer: %v; want ErrAnswerNotFound", err)
	}
}

// Two replicas, each with its own connection, saving answers at once: the
// floor is never crossed with fewer than three, and every answer is
// released exactly once.
func TestKeepFeedbackAnswerFloorConcurrent(t *testing.T) {
	srv := redistest.Start(t)
	prefix := srv.Prefix(t)
	s := store.New(srv.Client(t), store.NewKeys(prefix))
	other := store.New(srv.Client(t), store.NewKeys(prefix)) // a second replica
	ctx := t.Context()
	const team, n = "T1", 12
	var mu sync.Mutex
	var batches [][]string
	var wg sync.WaitGroup
	for i := range n {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, ev := anonAnswer("x")
			got, err := st.KeepFeedbackAnswer(ctx, team, "U"+a.ID, a, ev, 3)
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) > 0 {
				mu.Lock()
				batches = append(batches, got)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, b := range batches {
		if len(b) != 3 {
			t.Errorf("a batch of %d: %v; want 3", len(b), b)
		}
		for _, id := range b {
			if seen[id] {
				t.Errorf("answer %s released twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != n {
		t.Errorf("%d answers released; want %d", len(seen), n)
	}
}

// A reply is relayed once per op; a second commitment to an answer is
// refused with the first one's ID and leader.
func TestFeedbackReplyAndCommitmentClaims(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := t.Context()
	const team = "T1"
	a, ev := anonAnswer("x")
	if _, err := s.KeepFeedbackAnswer(ctx, team, "U1", a, ev, 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimFeedbackReply(ctx, team, "V1"); err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, _ := s.ClaimFeedbackReply(ctx, team, "V1"); ok {
		t.Error("the same reply claimed twice")
	}
	rev := domain.Event{Actor: "UBOB", Subject: a.ID, At: time.UnixMilli(8000), Payload: domain.FeedbackRepliedData{Anonymous: true}}
	for range 2 {
		if err := s.FeedbackReplySent(ctx, team, "V1", rev); err != nil {
			t.Fatal(err)
		}
	}
	_, st, _ := s.FeedbackAnswer(ctx, team, a.ID)
	if !slices.Equal(st.RepliedBy, []string{"UBOB"}) {
		t.Errorf("replied by %v; want UBOB once", st.RepliedBy)
	}
	evs, _ := s.ReadAudit(ctx, team, time.UnixMilli(0), time.UnixMilli(100_000))
	replies := 0
	for _, e := range evs {
		if e.Type() == domain.EventFeedbackReplied {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d feedback.replied events; want 1", replies)
	}
	if ok, _, _, err := s.ClaimFeedbackCommitment(ctx, team, a.ID, "C-AAAAAA", "UBOB"); err != nil || !ok {
		t.Fatalf("first commitment claim = %v, %v", ok, err)
	}
	ok, first, by, err := s.ClaimFeedbackCommitment(ctx, team, a.ID, "C-BBBBBB", "UCAROL")
	if err != nil || ok || first != "C-AAAAAA" || by != "UBOB" {
		t.Errorf("second claim = %v %s %s %v; want refused, naming C-AAAAAA by UBOB", ok, first, by, err)
	}
	if err := s.ReleaseFeedbackCommitment(ctx, team, a.ID, "C-AAAAAA"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _, _ := s.ClaimFeedbackCommitment(ctx, team, a.ID, "C-BBBBBB", "UCAROL"); !ok {
		t.Error("claim after the release refused")
	}
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
