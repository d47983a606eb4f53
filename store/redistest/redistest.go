// Package redistest starts a real redis-server for tests: one process per
// test on a free loopback port, with its data in the test's temporary
// directory, stopped when the test ends. When REDIS_URL is set, Start uses
// that server instead, and Prefix keeps tests that share it apart.
package redistest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
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
	var lastErr error
	for range 5 { // a free port can be taken between picking and binding it
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: pick a port: %v", err)
		}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.url = "redis://" + s.addr + "/0"
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: start redis-server: %v", lastErr)
	return nil
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
func (s *Server) Stop() { s.stop(syscall.SIGTERM) }

// Kill ends the server at once with SIGKILL, as a crash would.
func (s *Server) Kill() { s.stop(syscall.SIGKILL) }

// Restart stops the server if it runs and starts it again on the same port
// with the same data directory, so data in the AOF survives. It fails the
// test when the server does not come back.
func (s *Server) Restart() {
	s.t.Helper()
	if s.dir == "" {
		s.t.Fatal("redistest: Restart needs a server started by StartOwn, not REDIS_URL")
	}
	s.Stop()
	var err error
	for range 50 { // the old socket may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart redis-server on %s: %v", s.addr, err)
}

func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.addr)
	args := []string{
		"--port", port,
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
	}
	if s.opts.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command("redis-server", args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	if err := waitReady(s.addr, done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%w; output:\n%s", err, out.String())
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
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

// waitReady polls addr until it answers PING, the process exits, or
// startTimeout passes.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if ping(addr) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited during start-up")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer PING within %s", addr, startTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ping sends one inline PING and reports whether +PONG came back.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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

// syncBuffer collects a process's output safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
