//go:build miniredis

package sandbox

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// miniRedis is the sandbox's in-memory Redis when redis-server is not on
// PATH and the binary is built with -tags miniredis: miniredis, made to
// behave like a real server for the store:
//
//   - miniredis's Lua (gopher-lua) does not know Redis 7's "#!lua" shebang
//     line, so shebangHook turns it into a Lua comment on the way out (the
//     store keeps its shebangs, which real Redis needs for their semantics);
//   - miniredis expires keys only when told time passed, so a ticker moves
//     its clock with the wall clock, and Advance moves it with the sandbox's
//     clock offset.
type miniRedis struct {
	m    *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
}

// startMiniredis starts miniredis on a loopback port.
func startMiniredis() (memRedis, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start in-memory redis: %w", err)
	}
	r := &miniRedis{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go r.tick()
	return r, nil
}

// URL is the redis:// URL of the server.
func (r *miniRedis) URL() string { return "redis://" + r.m.Addr() + "/0" }

// tick moves miniredis's TTL clock along with the wall clock.
func (r *miniRedis) tick() {
	defer close(r.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			r.m.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Hook turns the store's "#!lua" shebangs into comments for miniredis.
func (r *miniRedis) Hook() redis.Hook { return newShebangHook() }

// Advance lets d pass for the keys' TTLs (the sandbox clock moved).
func (r *miniRedis) Advance(_ context.Context, d time.Duration) error {
	if d > 0 {
		r.m.FastForward(d)
	}
	return nil
}

// Close stops the server.
func (r *miniRedis) Close() {
	close(r.stop)
	<-r.done
	r.m.Close()
}

// shebangHook rewrites Lua scripts for miniredis: a first line "#!lua …"
// (Redis 7 script flags) becomes the comment "--!lua …", keeping line
// numbers. EVALSHA of the original script's SHA1 is mapped to the rewritten
// script's SHA1 once the script was sent with EVAL, so go-redis's
// EVALSHA-then-EVAL fallback keeps working.
type shebangHook struct {
	mu   sync.Mutex
	shas map[string]string // original SHA1 -> rewritten SHA1
}

func newShebangHook() *shebangHook { return &shebangHook{shas: map[string]string{}} }

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// rewrite changes cmd's arguments in place.
func (h *shebangHook) rewrite(cmd redis.Cmder) {
	args := cmd.Args()
	if len(args) < 2 {
		return
	}
	name := strings.ToLower(fmt.Sprint(args[0]))
	switch name {
	case "eval", "eval_ro":
		src, ok := args[1].(string)
		if !ok || !strings.HasPrefix(src, "#!") {
			return
		}
		out := "--" + src[1:]
		h.mu.Lock()
		h.shas[sha1hex(src)] = sha1hex(out)
		h.mu.Unlock()
		args[1] = out
	case "evalsha", "evalsha_ro":
		sha, ok := args[1].(string)
		if !ok {
			return
		}
		h.mu.Lock()
		if to, ok := h.shas[strings.ToLower(sha)]; ok {
			args[1] = to
		}
		h.mu.Unlock()
	case "script":
		if len(args) < 3 || !strings.EqualFold(fmt.Sprint(args[1]), "load") {
			return
		}
		if src, ok := args[2].(string); ok && strings.HasPrefix(src, "#!") {
			out := "--" + src[1:]
			h.mu.Lock()
			h.shas[sha1hex(src)] = sha1hex(out)
			h.mu.Unlock()
			args[2] = out
		}
	}
}

// DialHook passes dials through.
func (h *shebangHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

// ProcessHook rewrites one command.
func (h *shebangHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.rewrite(cmd)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook rewrites every command of a pipeline or transaction.
func (h *shebangHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.rewrite(c)
		}
		return next(ctx, cmds)
	}
}
