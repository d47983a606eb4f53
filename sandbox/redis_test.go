package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/redisproc"
)

// childClient starts the sandbox's own redis-server and a client of it.
func childClient(t *testing.T) (*childRedis, *redis.Client) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found on PATH: install it, e.g. apt-get install -y redis-server")
	}
	r, err := startChildRedis(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	o, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return r, c
}

// TestChildRedisAdvanceShortensTTLs: moving the sandbox clock by 2h deletes
// the keys with less than 2h to live, takes 2h off the others' and leaves
// keys without a TTL alone, as miniredis's FastForward did.
func TestChildRedisAdvanceShortensTTLs(t *testing.T) {
	r, c := childClient(t)
	ctx := context.Background()
	c.Set(ctx, "k:1h", "a", time.Hour)
	c.Set(ctx, "k:3h", "b", 3*time.Hour)
	c.Set(ctx, "k:forever", "c", 0)
	pipe := c.Pipeline()
	for i := range 2500 { // more than one SCAN page
		pipe.Set(ctx, fmt.Sprintf("bulk:%d", i), "x", 90*time.Minute)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Advance(ctx, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, "k:1h").Val(); n != 0 {
		t.Errorf("a 1h key survived a 2h advance")
	}
	if n := c.DBSize(ctx).Val(); n != 2 {
		t.Errorf("%d keys after the advance, want 2 (k:3h and k:forever)", n)
	}
	if ttl := c.PTTL(ctx, "k:3h").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("a 3h key has %s left after a 2h advance, want just under 1h", ttl)
	}
	if ttl := c.PTTL(ctx, "k:forever").Val(); ttl != -1 {
		t.Errorf("a key without TTL has TTL %s after the advance", ttl)
	}
}

// TestChildRedisCloseStopsTheServer: Close ends redis-server and removes its
// directory.
func TestChildRedisCloseStopsTheServer(t *testing.T) {
	r, c := childClient(t)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if pid := r.proc.PID(); pid != 0 {
		t.Errorf("redis-server (pid %d) still runs after Close", pid)
	}
	if _, err := os.Stat(r.dir); !os.IsNotExist(err) {
		t.Errorf("its directory %s is still there: %v", r.dir, err)
	}
	if redisproc.Ping(r.proc.Addr()) {
		t.Error("the port still answers PING after Close")
	}
}
