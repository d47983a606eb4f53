package redistest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartPing(t *testing.T) {
	s := Start(t)
	c := s.Client(t)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING %s: %v", s.URL(), err)
	}
	if s.Addr() == "" || !strings.HasPrefix(s.URL(), "redis://") {
		t.Errorf("Addr() = %q, URL() = %q; want host:port and a redis:// URL", s.Addr(), s.URL())
	}
}

func TestPrefixUnique(t *testing.T) {
	s := Start(t)
	a, b := s.Prefix(t), s.Prefix(t)
	if a == b {
		t.Errorf("Prefix twice = %q, %q; want different prefixes", a, b)
	}
	if strings.ContainsAny(a, "{} *?[]") {
		t.Errorf("Prefix = %q; want no hash-tag, space or glob characters", a)
	}
}

func TestStopAndRestartKeepsAOFData(t *testing.T) {
	ctx := context.Background()
	s := StartOwn(t, Options{AOF: true})
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	s.Kill() // a crash: only the fsynced AOF is left
	down := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	if err := down.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after Kill succeeded; want an error")
	}
	s.Restart()
	got, err := s.Client(t).Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Fatalf("GET k after restart = %q, %v; want \"v\", nil", got, err)
	}
	s.Stop()
	s.Stop() // idempotent
}

func TestRestartWithoutAOFLosesData(t *testing.T) {
	ctx := context.Background()
	s := StartOwn(t, Options{})
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	s.Restart()
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k after restart = %d, %v; want 0, nil", n, err)
	}
}

// fatalTB records Fatal calls and ends the goroutine like testing does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.mu.Lock()
	for _, a := range args {
		f.msg += a.(string)
	}
	f.mu.Unlock()
	panic(errFatal)
}

var errFatal = errors.New("fatal")

func TestMissingRedisServer(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != errFatal {
				t.Errorf("recover() = %v; want the Fatal call", r)
			}
		}()
		Start(f)
	}()
	if want := "redis-server not found on PATH: install it, e.g. apt-get install -y redis-server"; f.msg != want {
		t.Errorf("Fatal message = %q; want %q", f.msg, want)
	}
}
