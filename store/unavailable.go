package store

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// unavailableHook is the store's error boundary: every Redis command that
// fails because Redis cannot answer (it is down, unreachable, closed, too
// slow for the caller's deadline, loading, read-only or failing over) comes
// back as a domain.Unavailable error wrapping the go-redis error, so that
// callers tell "Redis is down, nothing was recorded" apart from a bug with
// domain.ErrorCode. Replies that are answers (redis.Nil, a lost WATCH,
// NOSCRIPT, a script's own error) are left as they are. The error's text
// does not change.
type unavailableHook struct{}

var _ redis.Hook = unavailableHook{}

// DialHook leaves dialling alone: a failed dial comes back through the
// command that needed the connection.
func (unavailableHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook classifies the error of one command.
func (unavailableHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return markUnavailable(cmd, next(ctx, cmd))
	}
}

// ProcessPipelineHook classifies the error of every command of a pipeline
// or transaction, and the pipeline's own.
func (unavailableHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			markUnavailable(cmd, cmd.Err())
		}
		if unavailable(err) {
			return domain.Wrap(domain.Unavailable, err)
		}
		return err
	}
}

// markUnavailable wraps err as domain.Unavailable when Redis could not
// answer, on cmd too (whose Err is what callers read), and returns it.
func markUnavailable(cmd redis.Cmder, err error) error {
	if !unavailable(err) {
		return err
	}
	err = domain.Wrap(domain.Unavailable, err)
	cmd.SetErr(err)
	return err
}

// unavailableReplies are the error replies of a Redis that is up but cannot
// serve right now: starting (LOADING), a replica or a demoted primary
// during failover (READONLY, MASTERDOWN), a cluster without quorum or
// resharding (CLUSTERDOWN, TRYAGAIN), not enough replicas or no disk
// (NOREPLICAS, MISCONF), a long script running (BUSY).
var unavailableReplies = []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "MISCONF", "BUSY "}

// unavailable reports whether err means Redis could not answer.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.TxFailedErr) {
		return false
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return false // classified already
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, redis.ErrPoolExhausted) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for _, p := range unavailableReplies {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}
