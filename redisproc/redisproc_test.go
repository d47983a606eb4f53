package redisproc_test

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/redisproc"
)

func need(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip(redisproc.ErrNotFound)
	}
}

func flags(dir string) func(int) ([]string, error) {
	return func(port int) ([]string, error) {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""}, nil
	}
}

// A started server answers PING; killed, it does not; restarted, it answers
// again on the same port.
func TestStartKillRestart(t *testing.T) {
	need(t)
	p, err := redisproc.Start(redisproc.Spec{Args: flags(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(syscall.SIGTERM, 5*time.Second) })
	if !redisproc.Ping(p.Addr()) || p.PID() == 0 {
		t.Fatalf("started server on %s: no PONG (pid %d)", p.Addr(), p.PID())
	}
	port := p.Port()
	p.Kill()
	if redisproc.Ping(p.Addr()) || p.PID() != 0 {
		t.Fatalf("killed server on %s still answers (pid %d)", p.Addr(), p.PID())
	}
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	if p.Port() != port || !redisproc.Ping(p.Addr()) {
		t.Fatalf("restarted server: port %d (was %d), PONG %v", p.Port(), port, redisproc.Ping(p.Addr()))
	}
	p.Stop(syscall.SIGTERM, 5*time.Second)
	p.Stop(syscall.SIGTERM, 5*time.Second) // a second stop does nothing
}

// A server that cannot start says why, with its own words.
func TestStartFailureSaysWhy(t *testing.T) {
	need(t)
	_, err := redisproc.Start(redisproc.Spec{Args: func(port int) ([]string, error) {
		return []string{"--port", strconv.Itoa(port), "--no-such-option", "x"}, nil
	}})
	if err == nil || !strings.Contains(err.Error(), "exited during start-up") || !strings.Contains(strings.ToLower(err.Error()), "no-such-option") {
		t.Fatalf("err = %v; want an exit during start-up naming the bad option", err)
	}
}

// Without redis-server at the path given, Start says so.
func TestStartMissingBinary(t *testing.T) {
	_, err := redisproc.Start(redisproc.Spec{Path: "/nonexistent/redis-server", Args: flags(t.TempDir())})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/redis-server") {
		t.Fatalf("err = %v; want the missing path named", err)
	}
}
