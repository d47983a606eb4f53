package store

import (
	"context"
	"errors"
	"io"
	"net"
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
	return cc
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
