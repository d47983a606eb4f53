package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/redisproc"
	"github.com/empowerbot/empowerbot/store"
)

// startCluster starts a one-node Redis Cluster (every slot on one master)
// for t, stopped by its PID on t's cleanup, and returns its address.
func startCluster(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p, err := redisproc.Start(redisproc.Spec{Args: func(port int) ([]string, error) {
		bus, err := redisproc.FreePort()
		if err != nil {
			return nil, err
		}
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + strconv.Itoa(port) + ".conf",
			"--cluster-port", strconv.Itoa(bus), "--save", "", "--appendonly", "no"}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := c.Do(ctx, "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	for {
		info, _ := c.ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_state:ok") {
			return p.Addr()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the cluster never came up: %s", info)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// slowIncr counts its runs in KEYS[1], then keeps Redis busy for ARGV[1]
// ms: longer than the client's read timeout, its reply is lost to a
// timeout after it ran.
const slowIncr = `
redis.call('INCR', KEYS[1])
local function now() local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000) end
local stop = now() + tonumber(ARGV[1])
while now() < stop do end
return 1`

// On a Cluster, go-redis sends a command again after a timeout even with
// MaxRetries -1: a script whose reply was lost ran twice. The store's
// cluster client never sends again a command, a pipeline or a transaction
// that may have run: each slow script below runs once, and its caller gets
// the timeout (as on a single node) to decide.
func TestClusterClientNeverSendsAgainWhatMayHaveRun(t *testing.T) {
	addr := startCluster(t)
	rdb, err := store.NewClient(store.ClientOptions{Addrs: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := t.Context()
	spin := (store.ReadTimeout + 300*time.Millisecond).Milliseconds()
	calls := []struct {
		name string
		run  func(key string) error
	}{
		{"script", func(key string) error {
			return redis.NewScript(slowIncr).Run(ctx, rdb, []string{key}, spin).Err()
		}},
		{"pipeline", func(key string) error {
			_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Eval(ctx, slowIncr, []string{key}, spin)
				return nil
			})
			return err
		}},
		{"transaction", func(key string) error {
			_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Eval(ctx, slowIncr, []string{key}, spin)
				return nil
			})
			return err
		}},
	}
	for _, c := range calls {
		key := fmt.Sprintf("{T1}:once:%s", c.name)
		err := c.run(key)
		if err == nil {
			t.Errorf("%s: no error, want the read timeout (the script takes %d ms)", c.name, spin)
		}
		// Redis runs one command at a time: this read waits for the script.
		n, gerr := rdb.Get(ctx, key).Int()
		if gerr != nil {
			t.Fatalf("%s: read the count: %v", c.name, gerr)
		}
		if n != 1 {
			t.Errorf("%s sent once ran %d times (error %v), want once", c.name, n, err)
		}
	}
	// What has not run is sent as before.
	if err := rdb.Set(ctx, "{T1}:once:after", "1", time.Minute).Err(); err != nil {
		t.Errorf("a write after the timeouts: %v", err)
	}
}
