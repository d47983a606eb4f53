package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

func TestFanoutClaim(t *testing.T) {
	s, rdb, _ := newStore(t)
	ctx := t.Context()
	const team, job, run = "T1", "feedback", "1000"
	if _, err := s.FanoutBegin(ctx, team, job, run, time.UnixMilli(1000)); err != nil {
		t.Fatal(err)
	}
	claim := func(person, owner string, ttl time.Duration) (store.LeaseState, bool) {
		t.Helper()
		st, takenOver, err := s.FanoutClaim(ctx, team, job, run, person, owner, ttl)
		if err != nil {
			t.Fatalf("FanoutClaim(%s, %s): %v", person, owner, err)
		}
		return st, takenOver
	}
	if st, over := claim("U1", "alive", time.Minute); st != store.LeaseClaimed || over {
		t.Errorf("first claim = %v, taken over %v; want claimed", st, over)
	}
	if err := s.FanoutSent(ctx, team, job, run, "U1", "alive", "D1", "1.2"); err != nil {
		t.Fatal(err)
	}
	if st, _ := claim("U1", "other", time.Minute); st != store.LeaseDone {
		t.Errorf("claim of a sent person = %v; want done", st)
	}

	// The claim of a run that died mid-send is taken over once it expires,
	// and the claimer is told so.
	claim("U2", "dead", time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, over := claim("U2", "alive", time.Minute)
		if st == store.LeaseClaimed {
			if !over {
				t.Error("claim of a dead run's person: not reported as taken over")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead run's claim never expired (claim = %v)", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The dead run, back, records nothing.
	if err := s.FanoutSent(ctx, team, job, run, "U2", "dead", "D2", "9.9"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Errorf("FanoutSent by the run that lost the claim = %v; want ErrLeaseHeld", err)
	}
	// A release gives the person back, with its ledger entry, only for its
	// owner.
	if err := s.FanoutRelease(ctx, team, job, run, "U2", "someone-else"); err != nil {
		t.Fatal(err)
	}
	if st, _ := claim("U2", "third", time.Minute); st != store.LeaseHeld {
		t.Errorf("claim after a foreign release = %v; want held", st)
	}
	if err := s.FanoutRelease(ctx, team, job, run, "U2", "alive"); err != nil {
		t.Fatal(err)
	}
	if st, over := claim("U2", "third", time.Minute); st != store.LeaseClaimed || over {
		t.Errorf("claim after release = %v, taken over %v; want claimed, not taken over", st, over)
	}

	if err := s.FanoutFailed(ctx, team, job, run, "U3", "alive", "user_not_found"); err != nil {
		t.Fatal(err)
	}
	ledger, err := s.FanoutLedger(ctx, team, job, run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.FanoutState{
		"U1": {Kind: 's', Channel: "D1", TS: "1.2"},
		"U2": {Kind: 'c', Owner: "third"},
		"U3": {Kind: 'f', Code: "user_not_found"},
	}
	for k, w := range want {
		if got := ledger[k]; got != w {
			t.Errorf("ledger[%s] = %+v; want %+v", k, got, w)
		}
	}
	if len(ledger) != len(want) {
		t.Errorf("ledger has %d entries; want %d", len(ledger), len(want))
	}
	if ttl, err := rdb.PTTL(ctx, s.Keys().Team(team, "fanout", job, run)).Result(); err != nil || ttl <= 0 || ttl > store.FanoutTTL {
		t.Errorf("ledger PTTL = %v, %v; want in (0, FanoutTTL]", ttl, err)
	}
}

func TestFeedbackRounds(t *testing.T) {
	s, rdb, _ := newStore(t)
	ctx := t.Context()
	const team = "T1"
	r1 := domain.FeedbackRound{ID: domain.RoundID(time.UnixMilli(1000)), Question: "Q1?", Index: 0, Tick: time.UnixMilli(1000)}
	r2 := domain.FeedbackRound{ID: domain.RoundID(time.UnixMilli(2000)), Question: "Q2?", Index: 1, Tick: time.UnixMilli(2000)}

	if cur, err := s.CurrentFeedbackRound(ctx, team); err != nil || cur != nil {
		t.Fatalf("CurrentFeedbackRound before any = %v, %v; want nil, nil", cur, err)
	}
	tests := []struct {
		open     domain.FeedbackRound
		wantPrev string
		wantCur  string
	}{
		{r1, "", r1.ID},
		{r1, r1.ID, r1.ID}, // a rerun of the same tick
		{r2, r1.ID, r2.ID},
		{r1, r2.ID, r2.ID}, // an older tick never becomes current again
	}
	for _, tt := range tests {
		prev, err := s.OpenFeedbackRound(ctx, team, tt.open)
		if err != nil {
			t.Fatal(err)
		}
		if prev != tt.wantPrev {
			t.Errorf("OpenFeedbackRound(%s) prev = %q; want %q", tt.open.ID, prev, tt.wantPrev)
		}
		cur, err := s.CurrentFeedbackRound(ctx, team)
		if err != nil {
			t.Fatal(err)
		}
		if cur == nil || cur.ID != tt.wantCur {
			t.Errorf("current after opening %s = %+v; want %s", tt.open.ID, cur, tt.wantCur)
		}
	}
	got, err := s.FeedbackRound(ctx, team, r2.ID)
	if err != nil || got == nil || got.Question != "Q2?" || got.Index != 1 || !got.Tick.Equal(r2.Tick) {
		t.Errorf("FeedbackRound(r2) = %+v, %v; want %+v", got, err, r2)
	}

	// Three people were sent the question, two answered (one anonymously).
	for _, u := range []string{"U1", "U2", "U3"} {
		if err := s.FanoutSent(ctx, team, "feedback", r2.ID, u, "o", "D"+u, "1.1"); err != nil {
			t.Fatal(err)
		}
	}
	at := time.UnixMilli(5000)
	answer := func(user string, a domain.FeedbackAnswer) {
		t.Helper()
		a.Round, a.Question, a.At = r2.ID, "Q2?", at
		actor := user
		if a.Anonymous {
			actor = ""
		} else {
			a.User = user
		}
		ev := domain.Event{Actor: actor, Subject: a.Round, At: at, Payload: domain.FeedbackAnsweredData{Anonymous: a.Anonymous}}
		if err := s.SaveFeedbackAnswer(ctx, team, user, a, ev); err != nil {
			t.Fatalf("SaveFeedbackAnswer(%s): %v", user, err)
		}
	}
	answer("U1", domain.FeedbackAnswer{Text: "more training"})
	answer("USECRET", domain.FeedbackAnswer{Text: "clearer goals", Anonymous: true})
	answer("U2", domain.FeedbackAnswer{Text: "x"})
	// An anonymous answer that names its author is refused.
	named := domain.FeedbackAnswer{Round: r2.ID, Text: "y", Anonymous: true, User: "USECRET", At: at}
	if err := s.SaveFeedbackAnswer(ctx, team, "USECRET", named, domain.Event{Subject: r2.ID, At: at, Payload: domain.FeedbackAnsweredData{Anonymous: true}}); err == nil {
		t.Error("SaveFeedbackAnswer of an anonymous answer with its user: no error")
	}
	if err := s.SaveFeedbackAnswer(ctx, team, "USECRET", domain.FeedbackAnswer{Round: r2.ID, Text: "y", Anonymous: true, At: at},
		domain.Event{Actor: "USECRET", Subject: r2.ID, At: at, Payload: domain.FeedbackAnsweredData{Anonymous: true}}); err == nil {
		t.Error("SaveFeedbackAnswer of an anonymous answer whose event names the person: no error")
	}
	answers, err := s.FeedbackAnswers(ctx, team, r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 3 || answers[0].User != "U1" || answers[1].User != "" || !answers[1].Anonymous {
		t.Errorf("answers = %+v; want U1's, then an anonymous one without user", answers)
	}
	raw, err := rdb.LRange(ctx, s.Keys().Team(team, "feedback", "answers", r2.ID), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw[1], "USECRET") {
		t.Errorf("stored anonymous answer %s holds the user ID", raw[1])
	}

	reached, err := s.FanoutDelivered(ctx, team, "feedback", r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reached, " "); got != "U1 U2 U3" {
		t.Errorf("FanoutDelivered = %q; want the three people sent the question", got)
	}
	rate, err := s.FeedbackRoundRate(ctx, team, r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.FeedbackRate{Sent: 3, Answered: 2}); rate != want || rate.Pct() != 66 {
		t.Errorf("rate = %+v (%d%%); want %+v (66%%)", rate, rate.Pct(), want)
	}
	evs, err := s.ReadAudit(ctx, team, time.UnixMilli(0), time.UnixMilli(10_000))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, string(ev.Type())+"/"+ev.Actor)
		if p, ok := ev.Payload.(domain.FeedbackRoundData); ev.Actor == "USECRET" || ok && strings.Contains(p.Question, "USECRET") {
			t.Errorf("audit event %+v names the anonymous person", ev)
		}
	}
	wantTypes := "feedback.answered/U1 feedback.answered/ feedback.answered/U2"
	if got := strings.Join(types, " "); got != wantTypes {
		t.Errorf("audit = %q; want %q", got, wantTypes)
	}
}

func TestFanoutPending(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := t.Context()
	const team, job = "T1", "feedback"
	for i, run := range []string{"r1", "r2", "r3"} {
		if _, err := s.FanoutBegin(ctx, team, job, run, time.UnixMilli(int64(1000*(i+1)))); err != nil {
			t.Fatal(err)
		}
	}
	// Beginning again (a resumed run) keeps the first begin time.
	if _, err := s.FanoutBegin(ctx, team, job, "r1", time.UnixMilli(9000)); err != nil {
		t.Fatal(err)
	}
	if err := s.FanoutComplete(ctx, team, job, "r3"); err != nil {
		t.Fatal(err)
	}
	got, err := s.FanoutPending(ctx, team, job, time.UnixMilli(0))
	if err != nil {
		t.Fatal(err)
	}
	if want := "r1 r2"; strings.Join(got, " ") != want {
		t.Errorf("FanoutPending = %q; want %q", got, want)
	}
	got, err = s.FanoutPending(ctx, team, job, time.UnixMilli(1500))
	if err != nil {
		t.Fatal(err)
	}
	if want := "r2"; strings.Join(got, " ") != want {
		t.Errorf("FanoutPending(since 1500) = %q; want %q", got, want)
	}
}

func TestDMChannels(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := t.Context()
	var users []string
	for i := range 2500 {
		u := fmt.Sprintf("U%05d", i)
		users = append(users, u)
		if i%2 == 0 {
			if err := s.SetDMChannel(ctx, "T1", u, "D"+u); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.DMChannels(ctx, "T1", users)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1250 {
		t.Errorf("DMChannels found %d channels; want 1250", len(got))
	}
	for i, u := range users {
		if want := map[bool]string{true: "D" + u, false: ""}[i%2 == 0]; got[u] != want {
			t.Fatalf("DMChannels[%s] = %q; want %q", u, got[u], want)
		}
	}
}

func TestDMOpenClaim(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := t.Context()
	claim := func(owner string) (store.LeaseState, string) {
		t.Helper()
		st, ch, err := s.ClaimDMOpen(ctx, "T1", "U1", owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return st, ch
	}
	if st, _ := claim("a"); st != store.LeaseClaimed {
		t.Fatalf("first claim = %v; want claimed", st)
	}
	if st, _ := claim("b"); st != store.LeaseHeld {
		t.Errorf("claim while a opens it = %v; want held", st)
	}
	// Opened: the channel is cached and the claim ends in one step; every
	// later claim finds the channel.
	if err := s.DMOpened(ctx, "T1", "U1", "a", "D1"); err != nil {
		t.Fatal(err)
	}
	if ch, err := s.DMChannel(ctx, "T1", "U1"); err != nil || ch != "D1" {
		t.Errorf("cached channel = %q, %v; want D1", ch, err)
	}
	if st, ch := claim("b"); st != store.LeaseDone || ch != "D1" {
		t.Errorf("claim after the open = %v, %q; want done, D1", st, ch)
	}
	// A channel cached another way (a fan-out's send) is done too.
	if err := s.SetDMChannel(ctx, "T1", "U2", "D2"); err != nil {
		t.Fatal(err)
	}
	if st, ch, err := s.ClaimDMOpen(ctx, "T1", "U2", "a", time.Minute); err != nil || st != store.LeaseDone || ch != "D2" {
		t.Errorf("claim of a cached channel = %v, %q, %v; want done, D2", st, ch, err)
	}
	// A failed open gives the claim back at once.
	if st, _, _ := s.ClaimDMOpen(ctx, "T1", "U3", "a", time.Minute); st != store.LeaseClaimed {
		t.Fatalf("claim = %v; want claimed", st)
	}
	if err := s.ReleaseDMOpen(ctx, "T1", "U3", "a"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.ClaimDMOpen(ctx, "T1", "U3", "b", time.Minute); st != store.LeaseClaimed {
		t.Errorf("claim after a release = %v; want claimed", st)
	}
}
