package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/redisproc"
)

// Redis processes of the Sentinel and Cluster tests: each a redis-server
// (or redis-server --sentinel) on a loopback port, started and stopped by
// PID, its files in the test's temporary directory.

// needTool fails the test when name is not on PATH and CI is set, and
// skips it otherwise.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := name + " not found on PATH: install it (Debian: apt-get install -y redis-server redis-tools)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// redisProc is one redis-server process.
type redisProc struct {
	t    *testing.T
	Port int
	proc *redisproc.Proc
}

// Addr is the process's host:port.
func (p *redisProc) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// startRedis starts redis-server with config lines conf (and --sentinel
// when sentinel) on a free port; it is SIGKILLed on t's cleanup.
func startRedis(t *testing.T, name string, sentinel bool, conf ...string) *redisProc {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	proc, err := redisproc.Start(redisproc.Spec{Args: func(port int) ([]string, error) {
		lines := append([]string{
			"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir, `save ""`, "appendonly no",
			"daemonize no", `logfile ""`, "repl-diskless-sync-delay 0",
		}, conf...)
		if sentinel {
			lines = append([]string{"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir, "daemonize no", `logfile ""`}, conf...)
		}
		file := filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
		if sentinel {
			return []string{file, "--sentinel"}, nil
		}
		return []string{file}, nil
	}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	p := &redisProc{t: t, Port: proc.Port(), proc: proc}
	t.Cleanup(p.Kill)
	return p
}

// Kill ends the process with SIGKILL and waits for it.
func (p *redisProc) Kill() { p.proc.Kill() }

// Restart starts the process again on the same port and files.
func (p *redisProc) Restart() {
	p.t.Helper()
	if err := p.proc.Restart(); err != nil {
		p.t.Fatal(err)
	}
}

// Client is a plain client of the process (closed on cleanup).
func (p *redisProc) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	p.t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitUntil polls cond every 50 ms until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outcome classifies a reply of a decision command under Redis failures:
// confirmed (a decision ID), try again (nothing was recorded), saved but
// not confirmed (REDIS_WAIT_REPLICAS), or maybe saved (sent, and Redis
// went away before it answered).
func outcome(r Result) string {
	switch {
	case r.Confirmed:
		return "confirmed"
	case strings.Contains(r.Reply, handlers.UnconfirmedText):
		return "unconfirmed"
	case strings.Contains(r.Reply, handlers.MaybeAppliedText):
		return "maybe"
	case r.TryAgain:
		return "try_again"
	}
	return "other"
}

// refusedWindow is the span between the first and the last command (by send
// time) that was not confirmed, and how many were not.
func refusedWindow(results []Result) (time.Duration, int) {
	var first, last time.Time
	n := 0
	for _, r := range results {
		if r.Confirmed {
			continue
		}
		n++
		if first.IsZero() {
			first = r.Sent
		}
		last = r.Sent
	}
	if n == 0 {
		return 0, 0
	}
	return last.Sub(first), n
}

// checkDecisions fails t for a command whose reply is neither confirmed,
// try again nor unconfirmed, counts confirmed-and-lost and stored twice
// into f, and returns the counts of each outcome.
func checkDecisions(t *testing.T, w *World, results []Result, f *Figures) map[string]int {
	t.Helper()
	stored := w.StoredDecisions()
	kinds := map[string]int{}
	maybeStored := 0
	for _, r := range results {
		k := outcome(r)
		kinds[k]++
		if k == "other" {
			t.Errorf("command %d %q: reply %q neither confirms, says try again, saved-unconfirmed nor maybe saved (%v)", r.Index, r.Text, r.Reply, r.Err)
		}
		ds := stored[Customer(r.Index)]
		if k == "maybe" && len(ds) > 0 {
			maybeStored++
		}
		if r.Confirmed && (len(ds) == 0 || ds[0].ID != r.Decision) {
			f.Lost++
			t.Errorf("command %d confirmed %s, stored %v", r.Index, r.Decision, ids(ds))
		}
		if len(ds) > 1 {
			f.Duplicates += len(ds) - 1
			t.Errorf("command %d stored %d decisions: %v", r.Index, len(ds), ids(ds))
		}
	}
	f.Extra = append(f.Extra, fmt.Sprintf("unconfirmed=%d maybe=%d (stored %d)", kinds["unconfirmed"], kinds["maybe"], maybeStored))
	return kinds
}
