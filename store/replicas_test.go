package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// replicated starts a master and a replica of it, and returns a Store on
// the master whose writes wait up to timeout for one replica.
func replicated(t *testing.T, timeout time.Duration) (st *store.Store, master, replica *redistest.Server, replicaClient *redis.Client) {
	t.Helper()
	master = redistest.StartOwn(t, redistest.Options{})
	replica = redistest.StartOwn(t, redistest.Options{})
	replicaClient = replica.Client(t)
	host, port, _ := strings.Cut(master.Addr(), ":")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	mc := master.Client(t)
	// The first sync starts at once, not after the default 5 s.
	if err := mc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := replicaClient.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatalf("REPLICAOF: %v", err)
	}
	for {
		info, err := mc.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("replica did not come online: %v\n%s", ctx.Err(), info)
		case <-time.After(20 * time.Millisecond):
		}
	}
	rdb, err := store.NewClient(store.ClientOptions{URL: master.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st = store.New(rdb, store.NewKeys("wait"))
	st.WaitForReplicas(1, timeout)
	return st, master, replica, replicaClient
}

// writes are store calls of each kind the WAIT hook handles: a plain
// command (SET PX), a Lua script (the fan-out claim), a pipeline
// (FanoutBegin) and a MULTI/EXEC transaction (a feedback answer). Each
// returns the key it wrote.
var writes = []struct {
	name string
	do   func(ctx context.Context, s *store.Store) (key string, err error)
}{
	{"command", func(ctx context.Context, s *store.Store) (string, error) {
		return s.Keys().Team("T1", "ready", "r1"), s.CheckWrite(ctx, "T1", "r1")
	}},
	{"script", func(ctx context.Context, s *store.Store) (string, error) {
		_, _, err := s.FanoutClaim(ctx, "T1", "feedback", "run1", "U1", "owner1", time.Minute)
		return s.Keys().Team("T1", "fanout", "feedback", "run1"), err
	}},
	{"pipeline", func(ctx context.Context, s *store.Store) (string, error) {
		_, err := s.FanoutBegin(ctx, "T1", "feedback", "run2", time.Now())
		return s.Keys().Team("T1", "fanout-pending", "feedback"), err
	}},
	{"transaction", func(ctx context.Context, s *store.Store) (string, error) {
		err := s.SaveFeedbackAnswer(ctx, "T1", "U1", domain.FeedbackAnswer{Round: "R1", User: "U1", Text: "ok"},
			domain.Event{Actor: "U1", Subject: "R1", At: time.Now(), Payload: domain.FeedbackAnsweredData{}})
		return s.Keys().Team("T1", "feedback", "answered", "R1"), err
	}},
}

func TestWaitReplicasConfirmsWhatTheReplicaHolds(t *testing.T) {
	// A generous timeout: a busy machine must not make this unconfirmed.
	st, _, _, rc := replicated(t, 5*time.Second)
	ctx := t.Context()
	for _, w := range writes {
		// WAIT is capped below the client's read timeout (900 ms): on a
		// starved machine the replica may miss it, which is the
		// unconfirmed answer, not a loss. Try again, a bounded number of
		// times, until one write is confirmed.
		var key string
		var err error
		for range 10 {
			key, err = w.do(ctx, st)
			if domain.ErrorCode(err) != domain.Unconfirmed {
				break
			}
		}
		if err != nil {
			t.Fatalf("%s with the replica up: %v", w.name, err)
		}
		// Confirmed means the replica has it now, not eventually.
		if n, err := rc.Exists(ctx, key).Result(); err != nil || n != 1 {
			t.Errorf("%s confirmed, but the replica does not hold %s (exists %d, %v)", w.name, key, n, err)
		}
	}
}

func TestWaitReplicasWithoutReplicaIsUnconfirmedNotLost(t *testing.T) {
	// Short: each unconfirmed write waits the whole timeout.
	st, master, replica, _ := replicated(t, 200*time.Millisecond)
	replica.Kill()
	mc := master.Client(t)
	ctx := t.Context()
	for _, w := range writes {
		key, err := w.do(ctx, st)
		if domain.ErrorCode(err) != domain.Unconfirmed || !errors.Is(err, store.ErrNotReplicated) {
			t.Errorf("%s with no replica answering = %v (code %q), want domain.Unconfirmed wrapping ErrNotReplicated",
				w.name, err, domain.ErrorCode(err))
		}
		// Written all the same: the person must not be told otherwise.
		if n, err := mc.Exists(ctx, key).Result(); err != nil || n != 1 {
			t.Errorf("%s unconfirmed, but the master does not hold %s (exists %d, %v)", w.name, key, n, err)
		}
	}
	// Reads do not wait.
	if _, err := st.FanoutLedger(ctx, "T1", "feedback", "run1"); err != nil {
		t.Errorf("a read with no replica answering: %v", err)
	}
}

func TestWaitForReplicasZeroWaitsForNothing(t *testing.T) {
	master := redistest.StartOwn(t, redistest.Options{})
	rdb, err := store.NewClient(store.ClientOptions{URL: master.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.NewKeys("wait"))
	st.WaitForReplicas(0, 0)
	for _, w := range writes {
		if _, err := w.do(t.Context(), st); err != nil {
			t.Errorf("%s without REDIS_WAIT_REPLICAS and no replica: %v", w.name, err)
		}
	}
}
