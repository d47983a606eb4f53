package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/store"
)

func TestAuditReadByTime(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := t.Context()
	for i := range 5 {
		ev := store.AuditEvent{Type: "test.event", Actor: "U1", Subject: "x", At: t0.Add(time.Duration(i) * time.Hour),
			Data: map[string]any{"n": i, "amount": int64(99999999999)}}
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
	if got := evs[0].Int("amount"); got != 99999999999 {
		t.Errorf("amount read back: got %d, want 99999999999 (exact, never a float)", got)
	}
	if _, ok := evs[0].Data["amount"].(json.Number); !ok {
		t.Errorf("amount type: got %T, want json.Number", evs[0].Data["amount"])
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
		if _, err := s.Audit(ctx, team, store.AuditEvent{Type: "test.event", At: at}); err != nil {
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
		cmd, err = s.AppendAudit(ctx, p, team, store.AuditEvent{Type: "praise.given", Actor: "U1", Subject: "U2", At: t0})
		return err
	})
	if err != nil {
		t.Fatalf("TxPipelined: %v", err)
	}
	if id, _ := cmd.Text(); id == "" {
		t.Errorf("AppendAudit returned no entry ID")
	}
	evs, _ := s.ReadAudit(ctx, team, t0, t0.Add(time.Second))
	if len(evs) != 1 || evs[0].Type != "praise.given" {
		t.Errorf("audit after MULTI: got %+v", evs)
	}
}
