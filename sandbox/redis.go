package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// memRedis is a Redis the sandbox owns for its lifetime, with nothing saved:
// a redis-server child process (childRedis) when redis-server is on PATH,
// otherwise miniredis in the process when the binary is built with
// -tags miniredis.
type memRedis interface {
	// URL is the redis:// URL of the server.
	URL() string
	// Hook is what the client needs to talk to the server (nil: nothing).
	Hook() redis.Hook
	// Advance lets d pass for the keys' TTLs (the sandbox clock moved).
	Advance(ctx context.Context, d time.Duration) error
	// Close stops the server and removes its data.
	Close()
}

// errNoRedisServer says what to do when the sandbox has no Redis to start.
var errNoRedisServer = errors.New("the sandbox needs a Redis: redis-server is not on PATH " +
	"(install it: apt-get install redis-server, brew install redis, ...), " +
	"or set REDIS_URL to a Redis of yours, " +
	"or build it with an in-memory Redis: go run -tags miniredis ./cmd/empowerbot sandbox")

// startMemRedis starts the sandbox's own Redis: redis-server when it is on
// PATH, else miniredis when built in, else errNoRedisServer.
func startMemRedis() (memRedis, error) {
	if path, err := exec.LookPath("redis-server"); err == nil {
		r, err := startChildRedis(path)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return startMiniredis()
}

// childStartTimeout bounds how long redis-server may take to answer PING.
const childStartTimeout = 10 * time.Second

// childRedis is a redis-server child process on a free loopback port, with
// its (unused) data directory in a temporary directory: no RDB snapshots, no
// append-only file.
type childRedis struct {
	addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	out  *lockedBuffer

	closeOnce sync.Once
}

// startChildRedis starts redis-server (at path) for the sandbox.
func startChildRedis(path string) (*childRedis, error) {
	dir, err := os.MkdirTemp("", "empowerbot-sandbox-redis-")
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	var lastErr error
	for range 5 { // a free port can be taken between picking and binding it
		port, err := freePort()
		if err != nil {
			lastErr = err
			continue
		}
		r := &childRedis{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, out: &lockedBuffer{}}
		if lastErr = r.start(path, port); lastErr == nil {
			return r, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("start redis-server: %w", lastErr)
}

func (r *childRedis) start(path string, port int) error {
	r.cmd = exec.Command(path,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", r.dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", "",
	)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	// Its own process group, so that Ctrl-C in the terminal stops the
	// sandbox, which then stops Redis after the bot, not both at once.
	r.cmd.SysProcAttr = childProcAttr()
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", r.cmd.Path, err)
	}
	r.done = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(childStartTimeout)
	for !ping(r.addr) {
		select {
		case <-r.done:
			return fmt.Errorf("redis-server exited during start-up: %s", strings.TrimSpace(r.out.String()))
		default:
		}
		if time.Now().After(deadline) {
			r.kill()
			return fmt.Errorf("redis-server on %s did not answer PING within %s", r.addr, childStartTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// URL is the redis:// URL of the server.
func (r *childRedis) URL() string { return "redis://" + r.addr + "/0" }

// Hook is nil: a real redis-server needs nothing.
func (r *childRedis) Hook() redis.Hook { return nil }

// advanceScript shortens every key's TTL by ARGV[1] milliseconds, deleting
// the keys whose TTL runs out, in one step (the sandbox's Redis holds a few
// thousand keys at most). SCAN may return a key twice: seen keeps it once.
const advanceScript = `
local d = tonumber(ARGV[1])
local seen = {}
local cursor = "0"
local n = 0
repeat
  local r = redis.call("SCAN", cursor, "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    if not seen[k] then
      seen[k] = true
      local t = redis.call("PTTL", k)
      if t > 0 then
        n = n + 1
        if t <= d then redis.call("DEL", k) else redis.call("PEXPIRE", k, t - d) end
      end
    end
  end
until cursor == "0"
return n`

// Advance lets d pass for the keys' TTLs.
func (r *childRedis) Advance(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer c.Close()
	if err := c.Eval(ctx, advanceScript, nil, d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("advance the keys' TTLs: %w", err)
	}
	return nil
}

// Close stops redis-server (SIGTERM, SIGKILL after 5 s) and removes its
// directory.
func (r *childRedis) Close() {
	r.closeOnce.Do(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			r.kill()
		}
		_ = os.RemoveAll(r.dir)
	})
}

func (r *childRedis) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
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
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer is redis-server's output, kept for an error message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
