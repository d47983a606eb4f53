package store_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

func TestAuditReadByTime(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	for i := range 5 {
		ev := domain.Event{Actor: "U1", Subject: "x", At: t0.Add(time.Duration(i) * time.Hour),
			Payload: domain.DecisionCreatedData{DecisionFacts: domain.DecisionFacts{Activity: "discount", Amount: 99999999999}}}
		if _, err := s.Audit(ctx, team, ev); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"all", t0, t0.Add(5 * time.Hour), 5},
		{"half-open end", t0, t0.Add(2 * time.Hour), 2},
		{"middle", t0.Add(time.Hour), t0.Add(3*time.Hour + time.Minute), 3},
		{"before", t0.Add(-2 * time.Hour), t0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := s.ReadAudit(ctx, team, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tt.want {
				t.Errorf("got %d events, want %d", len(evs), tt.want)
			}
		})
	}
	evs, _ := s.ReadAudit(ctx, team, t0, t0.Add(time.Minute))
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	p, ok := evs[0].Payload.(domain.DecisionCreatedData)
	if !ok {
		t.Fatalf("payload: got %T, want domain.DecisionCreatedData", evs[0].Payload)
	}
	if p.Amount != 99999999999 || p.Activity != "discount" {
		t.Errorf("payload read back: got %+v, want amount 99999999999 (exact, never a float)", p)
	}
	if !evs[0].At.Equal(t0) || evs[0].Actor != "U1" {
		t.Errorf("event: got %+v", evs[0])
	}
}

func TestAuditIDsGrowWhenClocksDisagree(t *testing.T) {
	s, rdb, _ := setupDecisions(t)
	ctx := t.Context()
	// A replica whose clock is behind appends after one that is ahead.
	for _, at := range []time.Time{t0.Add(time.Minute), t0, t0.Add(-time.Hour)} {
		if _, err := s.Audit(ctx, team, domain.Event{Payload: domain.UnknownData{Type: "test.event"}, At: at}); err != nil {
			t.Fatalf("Audit at %v: %v", at, err)
		}
	}
	n, err := rdb.XLen(ctx, s.AuditKey(team)).Result()
	if err != nil || n != 3 {
		t.Errorf("stream length: got %d, %v; want 3", n, err)
	}
}

func TestAppendAuditInsideMulti(t *testing.T) {
	s, rdb, _ := setupDecisions(t)
	ctx := t.Context()
	key := "other-feature-key"
	var cmd *redis.Cmd
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, "1", 0)
		var err error
		cmd, err = s.AppendAudit(ctx, p, team, domain.Event{Actor: "U1", Subject: "U2", At: t0, Payload: domain.PraiseGivenData{Text: "thanks"}})
		return err
	})
	if err != nil {
		t.Fatalf("TxPipelined: %v", err)
	}
	if id, _ := cmd.Text(); id == "" {
		t.Errorf("AppendAudit returned no entry ID")
	}
	evs, _ := s.ReadAudit(ctx, team, t0, t0.Add(time.Second))
	if len(evs) != 1 || evs[0].Type() != domain.EventPraiseGiven {
		t.Errorf("audit after MULTI: got %+v", evs)
	}
}

// The stream's entries as earlier versions wrote them read back typed; an
// entry whose data does not fit its type is an error, not an empty event.
func TestAuditReadsStoredEntries(t *testing.T) {
	s, rdb, _ := setupDecisions(t)
	ctx := t.Context()
	add := func(id string, fields ...any) {
		t.Helper()
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.AuditKey(team), ID: id, Values: fields}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	at := strconv.FormatInt(t0.UnixMilli(), 10)
	add(at+"-1", "type", "decision.declined", "actor", "U0BOB", "subject", "D-AAAAAA", "from", "pending", "to", "declined", "at", at,
		"data", `{"activity":"discount","amount":90000,"autonomous":false,"created_at":1772463600000,"currency":"USD","level":"team-lead","reason":"no","requester":"U0DAVE","tags":["safety"]}`)
	add(at+"-2", "type", "outcome.asked", "actor", "", "subject", "D-AAAAAA", "from", "", "to", "", "at", at, "data", "{}")
	add(at+"-3", "type", "later.feature", "actor", "", "subject", "x", "from", "", "to", "", "at", at, "data", `{"k":1}`)
	evs, err := s.ReadAudit(ctx, team, t0, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Event{
		{ID: at + "-1", Actor: "U0BOB", Subject: "D-AAAAAA", From: "pending", To: "declined", At: t0, Payload: domain.DecisionDeclinedData{
			DecisionFacts: domain.DecisionFacts{Activity: "discount", Amount: 90000, Currency: "USD", Requester: "U0DAVE",
				CreatedAt: 1772463600000, Level: "team-lead", Tags: []string{"safety"}},
			Reason: "no",
		}},
		{ID: at + "-2", Subject: "D-AAAAAA", At: t0, Payload: domain.OutcomeAskedData{}},
		{ID: at + "-3", Subject: "x", At: t0, Payload: domain.UnknownData{Type: "later.feature", Data: json.RawMessage(`{"k":1}`)}},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	add(at+"-4", "type", "decision.created", "actor", "", "subject", "D-BBBBBB", "from", "", "to", "pending", "at", at, "data", `{"amount":"lots"}`)
	if evs, err := s.ReadAudit(ctx, team, t0, t0.Add(time.Second)); err == nil {
		t.Errorf("a bad entry: got %d events and no error, want an error", len(evs))
	}
}

// The bot's clock moved forward and then back (the sandbox's Now, a node
// whose clock stepped back): what happens after it went back has IDs from
// the later time, and still counts at its own time.
func TestAuditReadsByTheEventsTimeAfterTheClockWentBack(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	for _, at := range []time.Time{t0, t0.Add(11 * 24 * time.Hour), t0.Add(time.Minute), t0.Add(2 * time.Minute)} {
		if _, err := s.Audit(ctx, team, domain.Event{Actor: "U1", Payload: domain.PraiseGivenData{Text: "thanks"}, At: at}); err != nil {
			t.Fatalf("Audit at %v: %v", at, err)
		}
	}
	evs, err := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Duration
	for _, ev := range evs {
		got = append(got, ev.At.Sub(t0))
	}
	if want := []time.Duration{0, time.Minute, 2 * time.Minute}; !slices.Equal(got, want) {
		t.Errorf("ReadAudit of the hour around t0 after the clock went back: got events at t0+%v, want t0+%v", got, want)
	}
	n := 0
	if err := s.EachAudit(ctx, team, t0.Add(time.Second), t0.Add(time.Hour), func(domain.Event) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("EachAudit from t0+1s: got %d events (%v), want the 2 logged after the clock went back", n, err)
	}
}
