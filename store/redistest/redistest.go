// Package redistest starts a real redis-server for tests: one process per
// test on a free loopback port, with its data in the test's temporary
// directory, stopped when the test ends. When REDIS_URL is set, Start uses
// that server instead, and Prefix keeps tests that share it apart.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/redisproc"
)

// notFound is the message of a test that needs redis-server and has none.
const notFound = "redis-server not found on PATH: install it, e.g. apt-get install -y redis-server"

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 10 * time.Second

// Options configures a redis-server started by StartOwn.
type Options struct {
	// AOF turns on the append-only file with an fsync per write
	// (--appendonly yes --appendfsync always), so that Restart keeps every
	// acknowledged write.
	AOF bool
}

// Server is a Redis server for one test: either a redis-server process it
// owns, or the external server named by REDIS_URL.
type Server struct {
	t    testing.TB
	opts Options
	url  string
	addr string
	dir  string

	proc *redisproc.Proc // nil for REDIS_URL
}

// Start returns a Redis server for t: the one at REDIS_URL when that is set,
// otherwise a new redis-server process stopped on t's cleanup. It fails t
// when redis-server is not on PATH.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		o, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("redistest: REDIS_URL %q: %v", u, err)
		}
		return &Server{t: t, url: u, addr: o.Addr}
	}
	return StartOwn(t, Options{})
}

// StartOwn always starts a new redis-server process, for tests that stop,
// restart or crash Redis. The process is stopped on t's cleanup.
func StartOwn(t testing.TB, opts Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(notFound)
	}
	s := &Server{t: t, opts: opts, dir: t.TempDir()}
	proc, err := redisproc.Start(redisproc.Spec{Args: s.args, StartTimeout: startTimeout})
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s.proc = proc
	s.addr = proc.Addr()
	s.url = "redis://" + s.addr + "/0"
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL, suitable for redis.ParseURL and REDIS_URL.
func (s *Server) URL() string { return s.url }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Client returns a new client of the server, closed on t's cleanup.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(s.url)
	if err != nil {
		t.Fatalf("redistest: parse %q: %v", s.url, err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix unique to t, so that tests can share one server.
// When the server is external (REDIS_URL), the keys under it are deleted on
// t's cleanup.
func (s *Server) Prefix(t testing.TB) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	p := "test:" + sanitize(t.Name()) + ":" + hex.EncodeToString(b[:])
	if s.dir == "" { // external server: leave it clean
		t.Cleanup(func() { s.deletePrefix(p) })
	}
	return p
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
// It does nothing for an external server or one already stopped.
func (s *Server) Stop() {
	if s.proc != nil {
		s.proc.Stop(syscall.SIGTERM, 5*time.Second)
	}
}

// Kill ends the server at once with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.proc != nil {
		s.proc.Kill()
	}
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data directory, so data in the AOF survives. It fails the
// test when the server does not come back.
func (s *Server) Restart() {
	s.t.Helper()
	if s.proc == nil {
		s.t.Fatal("redistest: Restart needs a server started by StartOwn, not REDIS_URL")
	}
	if err := s.proc.Restart(); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
}

// args are redis-server's flags for port: no RDB snapshots; the
// append-only file with an fsync per write when Options.AOF is set.
func (s *Server) args(port int) ([]string, error) {
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
	}
	if s.opts.AOF {
		return append(args, "--appendonly", "yes", "--appendfsync", "always"), nil
	}
	return append(args, "--appendonly", "no"), nil
}

func (s *Server) deletePrefix(prefix string) {
	o, err := redis.ParseURL(s.url)
	if err != nil {
		return
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// sanitize keeps a test name usable inside a key: no spaces, braces or
// glob characters.
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '/', r == '.':
			return r
		default:
			return '_'
		}
	}, name)
}
