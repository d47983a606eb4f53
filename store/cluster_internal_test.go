package store

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestNewClientBuildsAClusterClientThatReloadsOften(t *testing.T) {
	for _, addrs := range [][]string{{"127.0.0.1:1"}, {"127.0.0.1:1", "127.0.0.1:2"}} {
		rdb, err := NewClient(ClientOptions{Addrs: addrs})
		if err != nil {
			t.Fatal(err)
		}
		cc, ok := rdb.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("NewClient(Addrs %v) = %T, want a *redis.ClusterClient", addrs, rdb)
		}
		if got := cc.Options().ClusterStateReloadInterval; got != ClusterReloadInterval {
			t.Errorf("cluster state reload interval = %s, want %s (go-redis's default is 60s)", got, ClusterReloadInterval)
		}
		if got := cc.Options().MaxRetries; got != -1 {
			t.Errorf("cluster MaxRetries = %d, want -1", got)
		}
		_ = cc.Close()
	}
}

func TestClusterReloadsOnConnectionErrorsRateLimited(t *testing.T) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer func() { _ = cc.Close() }()
	h := &reloadOnConnError{cc: cc, gap: ClusterReloadMinGap * 1000}
	h.check(redis.Nil)
	h.check(fmt.Errorf("moved on: %w", redis.TxFailedErr))
	if got := h.reloads.Load(); got != 0 {
		t.Fatalf("reloads after answers = %d, want 0", got)
	}
	refused := fmt.Errorf("dial tcp 127.0.0.1:7001: %w", syscall.ECONNREFUSED)
	h.check(refused)
	if got := h.reloads.Load(); got != 1 {
		t.Fatalf("reloads after a refused connection = %d, want 1", got)
	}
	for range 10 {
		h.check(refused)
	}
	if got := h.reloads.Load(); got != 1 {
		t.Errorf("reloads after 10 more refusals within the gap = %d, want 1 (rate limited)", got)
	}
}
