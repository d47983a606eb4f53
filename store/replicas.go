package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// REDIS_WAIT_REPLICAS.
//
// With WaitForReplicas(n), every write the store sends is followed, on the
// same connection, by WAIT n timeout: the write is reported as done only
// when n replicas acknowledged it, so a failover (planned or not) cannot
// lose what the person was told was saved. WAIT is per connection, so
//
//   - on a single node or a Sentinel group, the write (one command or a
//     pipeline) and WAIT go out as one pipeline, on one connection;
//   - on a Cluster, they go as one pipeline to the master of the write's
//     slot (ClusterClient.MasterForKey): a keyless WAIT in a cluster
//     pipeline would go to any master. A MOVED or ASK reply (the slot moved:
//     the write was not run) asks for a reload of the slot map and is
//     reported as Unavailable;
//   - a MULTI/EXEC transaction, or a pipeline whose keys live on several
//     nodes, cannot take WAIT inside: after it, a marker key in the slot of
//     each key written (waitMarker) is set and WAIT follows it. Replication
//     is ordered, so replicas holding the marker hold the writes before it.
//
// When fewer than n replicas answer within the timeout (or WAIT fails) the
// write stands on the master but is not confirmed: each write command gets
// a domain.Unconfirmed error wrapping ErrNotReplicated, and the person is
// told so (never "nothing was recorded"). Reads are left alone.

// WaitTimeout bounds each WAIT (below ReadTimeout, so that the pipeline's
// read never times out first, and well within Slack's 3 s ack).
const WaitTimeout = 500 * time.Millisecond

// ErrNotReplicated is the cause of a domain.Unconfirmed error: the write was
// made, but fewer replicas than REDIS_WAIT_REPLICAS confirmed it in time.
var ErrNotReplicated = errors.New("written, but not confirmed by enough replicas in time")

// WaitForReplicas makes every write of s wait for n replicas (Redis WAIT,
// up to timeout each; 0 is WaitTimeout; at most 9/10 of ReadTimeout, which
// bounds the pipeline's read). n ≤ 0 does nothing. Call it once, before use.
func (s *Store) WaitForReplicas(n int, timeout time.Duration) {
	if n <= 0 {
		return
	}
	if timeout <= 0 {
		timeout = WaitTimeout
	}
	timeout = min(timeout, ReadTimeout*9/10)
	h := &waitHook{n: int64(n), timeout: timeout}
	switch c := s.rdb.(type) {
	case *redis.Client:
		h.single = c
	case *redis.ClusterClient:
		h.cluster = c
	default:
		panic(fmt.Sprintf("store: WaitForReplicas on a %T", s.rdb))
	}
	// Added after unavailableHook: inside it, so that what this hook
	// returns is classified like any other reply.
	s.rdb.AddHook(h)
}

// waitHook sends WAIT after the store's writes (see above).
type waitHook struct {
	n       int64
	timeout time.Duration
	single  *redis.Client
	cluster *redis.ClusterClient
}

var _ redis.Hook = (*waitHook)(nil)

// DialHook leaves dialling alone.
func (h *waitHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook sends a write as a pipeline with WAIT.
func (h *waitHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !isWrite(cmd) {
			return next(ctx, cmd)
		}
		if h.single != nil {
			// The pipeline goes through ProcessPipelineHook below, which
			// adds the WAIT.
			_, _ = h.single.Pipelined(ctx, func(p redis.Pipeliner) error { return p.Process(ctx, cmd) })
			return cmd.Err()
		}
		cmds := []redis.Cmder{cmd}
		if !h.clusterPipeline(ctx, cmds) {
			err := next(ctx, cmd)
			if err == nil {
				h.confirmByMarker(ctx, cmds)
			}
		}
		return cmd.Err()
	}
}

// ProcessPipelineHook adds WAIT to a pipeline (or transaction) that writes.
func (h *waitHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !anyWrite(cmds) {
			return next(ctx, cmds)
		}
		tx := len(cmds) > 0 && cmds[0].Name() == "multi"
		switch {
		case tx:
			if err := next(ctx, cmds); err != nil {
				return err
			}
			h.confirmByMarker(ctx, cmds)
		case h.single != nil:
			wait := h.waitCmd(ctx)
			_ = next(ctx, append(cmds[:len(cmds):len(cmds)], wait))
			h.judge(cmds, wait)
		default:
			if !h.clusterPipeline(ctx, cmds) {
				if err := next(ctx, cmds); err != nil {
					return err
				}
				h.confirmByMarker(ctx, cmds)
			}
		}
		return firstErr(cmds)
	}
}

func (h *waitHook) waitCmd(ctx context.Context) *redis.IntCmd {
	return redis.NewIntCmd(ctx, "wait", h.n, h.timeout.Milliseconds())
}

// clusterPipeline runs cmds and WAIT as one pipeline on the master of their
// slot, when every key of cmds is on one master; false (nothing sent) when
// they are not.
func (h *waitHook) clusterPipeline(ctx context.Context, cmds []redis.Cmder) bool {
	var node *redis.Client
	for _, c := range cmds {
		key, ok := firstKey(c)
		if !ok {
			return false
		}
		n, err := h.cluster.MasterForKey(ctx, key)
		if err != nil || (node != nil && n != node) {
			return false
		}
		node = n
	}
	if node == nil {
		return false
	}
	wait := h.waitCmd(ctx)
	_, _ = node.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range cmds {
			_ = p.Process(ctx, c)
		}
		return p.Process(ctx, wait)
	})
	moved := false
	for _, c := range cmds {
		if err := c.Err(); redis.HasErrorPrefix(err, "MOVED") || redis.HasErrorPrefix(err, "ASK") {
			// Not run: the slot is elsewhere now.
			c.SetErr(domain.Wrap(domain.Unavailable, err))
			moved = true
		}
	}
	if moved {
		h.cluster.ReloadState(ctx)
	}
	h.judge(cmds, wait)
	return true
}

// confirmByMarker waits for the writes of cmds, which were sent on another
// connection: it sets a marker in the slot of each key written and WAITs
// after it.
func (h *waitHook) confirmByMarker(ctx context.Context, cmds []redis.Cmder) {
	markers := map[string]bool{}
	for _, c := range cmds {
		if !isWrite(c) || c.Err() != nil {
			continue
		}
		key, ok := firstKey(c)
		if !ok {
			continue
		}
		if m, ok := waitMarker(key); ok {
			markers[m] = true
		}
	}
	if len(markers) == 0 {
		return
	}
	for m := range markers {
		wait := h.waitCmd(ctx)
		set := redis.NewStatusCmd(ctx, "set", m, "1", "px", 10*time.Second.Milliseconds())
		var err error
		if h.single != nil {
			_, err = h.single.Pipelined(ctx, func(p redis.Pipeliner) error {
				_ = p.Process(ctx, set)
				return p.Process(ctx, wait)
			})
		} else {
			var node *redis.Client
			if node, err = h.cluster.MasterForKey(ctx, m); err == nil {
				_, err = node.Pipelined(ctx, func(p redis.Pipeliner) error {
					_ = p.Process(ctx, set)
					return p.Process(ctx, wait)
				})
			}
		}
		if err != nil && wait.Err() == nil {
			wait.SetErr(err)
		}
		if h.judge(cmds, wait) {
			return
		}
	}
}

// judge marks the writes of cmds Unconfirmed unless wait reports enough
// replicas; it reports whether it did.
func (h *waitHook) judge(cmds []redis.Cmder, wait *redis.IntCmd) bool {
	got, err := wait.Result()
	if err == nil && got >= h.n {
		return false
	}
	cause := fmt.Errorf("%w: %d of %d replicas in %s", ErrNotReplicated, got, h.n, h.timeout)
	if err != nil {
		cause = fmt.Errorf("%w: wait: %w", ErrNotReplicated, err)
	}
	marked := false
	for _, c := range cmds {
		if isWrite(c) && c.Err() == nil {
			c.SetErr(&domain.Error{Code: domain.Unconfirmed, Err: cause})
			marked = true
		}
	}
	return marked
}

// firstErr is the first error of cmds, as go-redis reports a pipeline's.
func firstErr(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// waitMarker is a key in the same cluster slot as key: its hash tag, or the
// whole key as the tag when it has none. false when key has braces that
// make no tag (its slot cannot be reached with another key simply).
func waitMarker(key string) (string, bool) {
	tag := key
	if i := strings.IndexByte(key, '{'); i >= 0 {
		j := strings.IndexByte(key[i+1:], '}')
		if j <= 0 {
			return "", false
		}
		tag = key[i+1 : i+1+j]
	} else if strings.IndexByte(key, '}') >= 0 {
		return "", false
	}
	return "{" + tag + "}:wait-marker", true
}

// firstKey is the first key cmd names (for EVAL and EVALSHA the first of
// KEYS); false when it names none.
func firstKey(cmd redis.Cmder) (string, bool) {
	args := cmd.Args()
	switch cmd.Name() {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		if len(args) < 4 {
			return "", false
		}
		if n, err := strconv.Atoi(fmt.Sprint(args[2])); err != nil || n < 1 {
			return "", false
		}
		return fmt.Sprint(args[3]), true
	case "multi", "exec", "wait", "ping":
		return "", false
	}
	if len(args) < 2 {
		return "", false
	}
	return fmt.Sprint(args[1]), true
}

// notWrites are the commands that change no data: everything else the store
// sends is taken as a write and waited for.
var notWrites = map[string]bool{
	"get": true, "mget": true, "getrange": true, "strlen": true, "exists": true, "ttl": true, "pttl": true,
	"type": true, "scan": true, "keys": true, "dbsize": true, "randomkey": true, "dump": true,
	"hget": true, "hgetall": true, "hmget": true, "hexists": true, "hlen": true, "hkeys": true, "hvals": true,
	"hscan": true, "hstrlen": true, "hrandfield": true,
	"lrange": true, "llen": true, "lindex": true, "lpos": true,
	"smembers": true, "sismember": true, "smismember": true, "scard": true, "srandmember": true, "sscan": true,
	"sinter": true, "sunion": true, "sdiff": true, "sintercard": true,
	"zrange": true, "zrangebyscore": true, "zrevrange": true, "zrevrangebyscore": true, "zrangebylex": true,
	"zrevrangebylex": true, "zscore": true, "zmscore": true, "zcard": true, "zcount": true, "zlexcount": true,
	"zrank": true, "zrevrank": true, "zscan": true, "zrandmember": true,
	"xrange": true, "xrevrange": true, "xlen": true, "xinfo": true, "xpending": true, "xread": true,
	"pfcount": true, "getbit": true, "bitcount": true, "bitpos": true,
	"eval_ro": true, "evalsha_ro": true, "fcall_ro": true,
	"ping": true, "echo": true, "time": true, "info": true, "role": true, "wait": true, "waitaof": true,
	"script": true, "client": true, "hello": true, "auth": true, "select": true, "cluster": true,
	"command": true, "config": true, "memory": true, "object": true, "readonly": true, "readwrite": true,
	"multi": true, "exec": true, "discard": true, "watch": true, "unwatch": true, "quit": true,
	"publish": true, "subscribe": true, "psubscribe": true, "unsubscribe": true, "punsubscribe": true,
	"slowlog": true, "latency": true, "lastsave": true, "debug": true,
}

// isWrite reports whether cmd may change data.
func isWrite(cmd redis.Cmder) bool { return !notWrites[cmd.Name()] }

func anyWrite(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if isWrite(c) {
			return true
		}
	}
	return false
}
