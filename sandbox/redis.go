package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/redisproc"
	"github.com/empowerbot/empowerbot/store"
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

// childRedis is a redis-server child process on a free loopback port, with
// its (unused) data directory in a temporary directory: no RDB snapshots, no
// append-only file.
type childRedis struct {
	proc *redisproc.Proc
	dir  string

	closeOnce sync.Once
}

// startChildRedis starts redis-server (at path) for the sandbox.
func startChildRedis(path string) (*childRedis, error) {
	dir, err := os.MkdirTemp("", "empowerbot-sandbox-redis-")
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	proc, err := redisproc.Start(redisproc.Spec{
		Path: path,
		Args: func(port int) ([]string, error) {
			return []string{
				"--port", strconv.Itoa(port),
				"--bind", "127.0.0.1",
				"--dir", dir,
				"--save", "",
				"--appendonly", "no",
				"--daemonize", "no",
				"--logfile", "",
			}, nil
		},
		// Its own process group, so that Ctrl-C in the terminal stops the
		// sandbox, which then stops Redis after the bot, not both at once.
		SysProcAttr: childProcAttr(),
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &childRedis{proc: proc, dir: dir}, nil
}

// URL is the redis:// URL of the server.
func (r *childRedis) URL() string { return "redis://" + r.proc.Addr() + "/0" }

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
	c, err := store.NewClient(store.ClientOptions{URL: r.URL()})
	if err != nil {
		return fmt.Errorf("advance the keys' TTLs: %w", err)
	}
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
		r.proc.Stop(syscall.SIGTERM, 5*time.Second)
		_ = os.RemoveAll(r.dir)
	})
}
