//go:build miniredis

package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

// memStore is the store over the sandbox's in-memory Redis, as the sandbox
// wires it.
func memStore(t *testing.T) (*store.Store, memRedis) {
	t.Helper()
	mem, err := startMiniredis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mem.Close)
	rdb, err := store.NewClient(store.ClientOptions{URL: mem.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(mem.Hook())
	return store.New(rdb, store.NewKeys("sbx")), mem
}

// TestMemRedisRunsTheStoresScripts: the store's "#!lua" scripts (audit
// stream appends, by EVALSHA after the first EVAL) work on miniredis.
func TestMemRedisRunsTheStoresScripts(t *testing.T) {
	st, _ := memStore(t)
	ctx := context.Background()
	at := time.Now()
	for i := range 3 {
		if _, err := st.Audit(ctx, "T1", domain.Event{Payload: domain.UnknownData{Type: "test.event"}, Actor: "U1", At: at.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	evs, err := st.ReadAudit(ctx, "T1", at.Add(-time.Second), at.Add(time.Second))
	if err != nil || len(evs) != 3 {
		t.Fatalf("read audit = %d events, %v; want 3", len(evs), err)
	}
	if _, err := st.AppendAudit(ctx, st.Client(), "T1", domain.Event{Payload: domain.UnknownData{Type: "test.event"}, At: at}); err != nil {
		t.Fatal(err)
	}
}

// TestMemRedisExpiresKeys: TTLs run out with the wall clock and with the
// sandbox clock's advances (miniredis only expires keys when told).
func TestMemRedisExpiresKeys(t *testing.T) {
	st, mem := memStore(t)
	ctx := context.Background()
	if first, err := st.Dedupe(ctx, "T1", "k", "a", 200*time.Millisecond); err != nil || !first {
		t.Fatalf("dedupe = %v %v", first, err)
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		first, err := st.Dedupe(ctx, "T1", "k", "a", time.Hour)
		return err == nil && first
	}); err != nil {
		t.Fatalf("a 200ms key never expired: %v", err)
	}
	if err := mem.Advance(ctx, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if first, err := st.Dedupe(ctx, "T1", "k", "a", time.Hour); err != nil || !first {
		t.Errorf("a 1h key survived a 2h advance: %v %v", first, err)
	}
}
