package store

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis Cluster.
//
// go-redis reloads a cluster's slot map every 60 s by default, and on a
// MOVED or ASK reply, but not when a node refuses connections: after the
// team's master fails over, a client would go on dialling the dead node
// until the next periodic reload, long after its replica was promoted. The
// cluster client NewClient builds therefore reloads the map every
// ClusterReloadInterval, and at once (at most every ClusterReloadMinGap)
// when a command fails because a node could not be reached
// (reloadOnConnError).

// ClusterReloadInterval is how old the slot map of a cluster client may get
// before it is reloaded in the background.
const ClusterReloadInterval = 2 * time.Second

// ClusterReloadMinGap is the least time between two reloads asked for by
// connection errors (go-redis adds its own 200 ms cool-down).
const ClusterReloadMinGap = 100 * time.Millisecond

// newClusterClient builds the client of a Redis Cluster whose nodes (or
// configuration endpoint) are o.Addrs, with base's credentials and TLS.
func newClusterClient(o ClientOptions, base *redis.Options) *redis.ClusterClient {
	co := &redis.ClusterOptions{
		Addrs:                      o.Addrs,
		ContextTimeoutEnabled:      true,
		DialTimeout:                DialTimeout,
		ReadTimeout:                ReadTimeout,
		WriteTimeout:               WriteTimeout,
		MaxRetries:                 -1,
		DisableIdentity:            true,
		ClusterStateReloadInterval: ClusterReloadInterval,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	}
	if base != nil {
		co.Username, co.Password = base.Username, base.Password
		co.TLSConfig = tlsOf(base)
	}
	cc := redis.NewClusterClient(co)
	cc.AddHook(&reloadOnConnError{cc: cc, gap: ClusterReloadMinGap})
	sendOnce(cc)
	// A node's handshake runs through the node's hooks, not the cluster's:
	// each node reports a failed one to the command waiting for it
	// (unavailableHook).
	cc.OnNewNode(func(node *redis.Client) { node.AddHook(handshakeHook{}) })
	return cc
}

// A command is sent again only when it surely did not run.
//
// go-redis's cluster client tries a command, a pipeline or a transaction
// again after a network error or a timeout, up to MaxRedirects more times,
// even with MaxRetries -1 (osscluster.go: shouldRetry). A script whose reply
// was lost may have run: sent again, it would run twice. sendOnce lets a
// try follow another only when that one surely did not reach Redis (no
// connection could be had, or Redis answered, as with MOVED, READONLY or
// CLUSTERDOWN, which run nothing); after a try whose outcome is unknown
// (a timeout or a connection dropped after sending) every further try of
// the same call answers that try's error without sending anything, so the
// caller gets the error a single node gives, and decides.

// sendOnce installs the hooks on cc: one on the cluster client that gives
// each call its record of sends, and one on every node client that checks
// and keeps that record.
func sendOnce(cc *redis.ClusterClient) {
	cc.AddHook(callSends{})
	cc.OnNewNode(func(node *redis.Client) { node.AddHook(nodeSends{}) })
}

type sendsKey struct{}

// sends records, for one call of a cluster client, the commands whose last
// try may have run, with that try's error.
type sends struct {
	mu     sync.Mutex
	unsure map[redis.Cmder]error
}

// blocked returns the error of an earlier try of one of cmds whose outcome
// is unknown, or nil when they may be sent.
func (s *sends) blocked(cmds ...redis.Cmder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cmds {
		if err := s.unsure[c]; err != nil {
			return err
		}
	}
	return nil
}

// note records cmd as maybe run when err leaves its outcome unknown.
func (s *sends) note(cmd redis.Cmder, err error) {
	if !outcomeUnknown(err) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unsure == nil {
		s.unsure = make(map[redis.Cmder]error)
	}
	if s.unsure[cmd] == nil {
		s.unsure[cmd] = err
	}
}

// outcomeUnknown reports whether a try that failed with err may have run
// its command: not when there was no error, when Redis answered (an error
// reply, redis.Nil), when no connection could be had (a failed dial, the
// pool's timeout, a closed client), or when the caller's own context ended
// before it (go-redis does not try again then).
func outcomeUnknown(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, context.Canceled) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return false
	}
	return true
}

// callSends gives every call of the cluster client its own record of sends.
type callSends struct{}

var _ redis.Hook = callSends{}

// DialHook leaves dialling alone.
func (callSends) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook gives one command's call its record.
func (callSends) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return next(context.WithValue(ctx, sendsKey{}, &sends{}), cmd)
	}
}

// ProcessPipelineHook gives one pipeline's (or transaction's) call its record.
func (callSends) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return next(context.WithValue(ctx, sendsKey{}, &sends{}), cmds)
	}
}

// nodeSends, on a node client, sends a try only when no earlier try of the
// same call may have run its commands, and records the tries that may have.
// Outside a cluster client's call (no record) it does nothing.
type nodeSends struct{}

var _ redis.Hook = nodeSends{}

// DialHook leaves dialling alone.
func (nodeSends) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook checks and records one command's try.
func (nodeSends) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		s, _ := ctx.Value(sendsKey{}).(*sends)
		if s == nil {
			return next(ctx, cmd)
		}
		if err := s.blocked(cmd); err != nil {
			cmd.SetErr(err)
			return err
		}
		err := next(ctx, cmd)
		s.note(cmd, err)
		return err
	}
}

// ProcessPipelineHook checks and records one try of a pipeline's (or a
// transaction's) commands on a node. Answered without sending, go-redis
// does not try that batch again.
func (nodeSends) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		s, _ := ctx.Value(sendsKey{}).(*sends)
		if s == nil {
			return next(ctx, cmds)
		}
		if err := s.blocked(cmds...); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		err := next(ctx, cmds)
		for _, c := range cmds {
			if c.Err() != nil {
				s.note(c, c.Err())
			} else if outcomeUnknown(err) {
				s.note(c, err)
			}
		}
		return err
	}
}

// reloadOnConnError asks a cluster client to reload its slot map when a
// command or pipeline failed because a node could not be reached (refused,
// reset, closed, EOF, timed out), at most once per gap.
type reloadOnConnError struct {
	cc   *redis.ClusterClient
	gap  time.Duration
	last atomic.Int64 // UnixNano of the last reload asked for
	// reloads counts the reloads asked for (tests).
	reloads atomic.Int64
}

var _ redis.Hook = (*reloadOnConnError)(nil)

// DialHook reloads when a node refuses the connection.
func (h *reloadOnConnError) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.check(err)
		return c, err
	}
}

// ProcessHook reloads when a command failed to reach its node.
func (h *reloadOnConnError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.check(err)
		return err
	}
}

// ProcessPipelineHook reloads when a pipeline failed to reach a node.
func (h *reloadOnConnError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.check(err)
		for _, c := range cmds {
			h.check(c.Err())
		}
		return err
	}
}

func (h *reloadOnConnError) check(err error) {
	if !connError(err) {
		return
	}
	now := time.Now().UnixNano()
	last := h.last.Load()
	if now-last < int64(h.gap) || !h.last.CompareAndSwap(last, now) {
		return
	}
	h.reloads.Add(1)
	h.cc.ReloadState(context.Background())
}

// connError reports whether err says a node could not be reached or dropped
// the connection (as opposed to an answer, or the caller's own deadline).
func connError(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, redis.ErrPoolTimeout) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return redis.HasErrorPrefix(err, "CLUSTERDOWN") || redis.HasErrorPrefix(err, "READONLY") ||
		redis.HasErrorPrefix(err, "MASTERDOWN")
}
