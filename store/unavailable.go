package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// unavailableHook is the store's error boundary: every Redis command that
// fails because Redis cannot answer (it is down, unreachable, closed, too
// slow for the caller's deadline, loading, read-only or failing over) comes
// back as a domain error wrapping the go-redis error, so that callers tell
// "Redis could not answer" apart from a bug with domain.ErrorCode. Replies
// that are answers (redis.Nil, a lost WATCH, NOSCRIPT, a script's own
// error) are left as they are. The error's text does not change.
//
// Two codes, by whether the command may have run:
//
//   - domain.Unavailable: it surely did not. The connection could not be
//     had (a refused or timed-out dial, the pool's timeout, the caller's
//     deadline while waiting for a connection, a closed client), a new
//     connection's handshake (HELLO, AUTH, SELECT) failed before the
//     command was written, the write failed on a connection the server had
//     dropped (reset, broken pipe: Redis runs a command only once it has
//     read all of it), or Redis refused it (LOADING, READONLY, MASTERDOWN,
//     CLUSTERDOWN, TRYAGAIN, NOREPLICAS, MISCONF, BUSY). A read fails the
//     same way: reading changes nothing.
//   - domain.MaybeApplied: a write that may have run. Its command was
//     written, and then the reply timed out or the connection broke (EOF,
//     reset) before the answer came; or a write timed out half way, or a
//     write failed after more than one buffer of it had gone out (a large
//     pipeline). Redis may have run it; the caller cannot know, and must
//     never say "nothing was recorded" (handlers.MaybeAppliedText).
type unavailableHook struct{}

var _ redis.Hook = unavailableHook{}

// DialHook leaves dialling alone: a failed dial comes back through the
// command that needed the connection.
func (unavailableHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook classifies the error of one command.
func (unavailableHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if handshake(cmd) {
			return noteHandshake(ctx, markUnavailable(cmd, next(ctx, cmd)))
		}
		var hs *handshakeWatch
		if isWrite(cmd) {
			ctx, hs = watchHandshake(ctx)
		}
		err := next(ctx, cmd)
		if !unavailable(err) {
			return err
		}
		err = classified(err, ranMaybe(cmd, err, hs, writeSize(cmd)))
		cmd.SetErr(err)
		return err
	}
}

// ProcessPipelineHook classifies the error of every command of a pipeline
// or transaction, and the pipeline's own: MaybeApplied when a write of it
// may have run, Unavailable otherwise.
func (unavailableHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if allHandshake(cmds) {
			err := next(ctx, cmds)
			for _, cmd := range cmds {
				noteHandshake(ctx, markUnavailable(cmd, cmd.Err()))
			}
			return noteHandshake(ctx, markUnavailable(nil, err))
		}
		var hs *handshakeWatch
		if anyWrite(cmds) {
			ctx, hs = watchHandshake(ctx)
		}
		err := next(ctx, cmds)
		size := -1 // the pipeline's size, counted once, when needed
		maybe := false
		for _, cmd := range cmds {
			cerr := cmd.Err()
			if !unavailable(cerr) {
				continue
			}
			if size < 0 {
				size = 0
				for _, c := range cmds {
					size += writeSize(c)
				}
			}
			m := ranMaybe(cmd, cerr, hs, size)
			maybe = maybe || m
			cmd.SetErr(classified(cerr, m))
		}
		if unavailable(err) {
			return classified(err, maybe)
		}
		return err
	}
}

// classified is err as a domain error: MaybeApplied when maybe, else
// Unavailable.
func classified(err error, maybe bool) error {
	if maybe {
		return &domain.Error{Code: domain.MaybeApplied, Err: err}
	}
	return &domain.Error{Code: domain.Unavailable, Err: err}
}

// markUnavailable wraps err as domain.Unavailable when Redis could not
// answer, on cmd too (when not nil; its Err is what callers read), and
// returns it.
func markUnavailable(cmd redis.Cmder, err error) error {
	if !unavailable(err) {
		return err
	}
	err = domain.Wrap(domain.Unavailable, err)
	if cmd != nil {
		cmd.SetErr(err)
	}
	return err
}

// handshakeWatch records whether the handshake of a new connection failed
// while a command waited for it: go-redis dials lazily, and runs HELLO
// (AUTH, SELECT, CLIENT SETNAME) on the command's context, through the
// client's hooks, before it writes the command. When the handshake's reply
// times out, the command's error reads like a reply that timed out, but the
// command never left.
type handshakeWatch struct{ failed atomic.Bool }

type handshakeKey struct{}

// watchHandshake returns ctx carrying a new handshakeWatch (the nearest one
// is the one a handshake reports to).
func watchHandshake(ctx context.Context) (context.Context, *handshakeWatch) {
	hs := &handshakeWatch{}
	return context.WithValue(ctx, handshakeKey{}, hs), hs
}

// noteHandshake records in ctx's handshakeWatch that a handshake command
// failed, when err is not nil, and returns err.
func noteHandshake(ctx context.Context, err error) error {
	if err != nil && !errors.Is(err, redis.Nil) {
		if hs, ok := ctx.Value(handshakeKey{}).(*handshakeWatch); ok {
			hs.failed.Store(true)
		}
	}
	return err
}

// handshakeCmds are the commands go-redis sends on a new connection before
// the command that needed it.
var handshakeCmds = map[string]bool{"hello": true, "auth": true, "select": true, "client": true, "readonly": true}

func handshake(cmd redis.Cmder) bool { return handshakeCmds[cmd.Name()] }

func allHandshake(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if !handshake(c) {
			return false
		}
	}
	return len(cmds) > 0
}

// handshakeHook only watches handshakes (for the node clients of a
// Cluster, whose hooks are not the cluster client's: newClusterClient adds
// it to each).
type handshakeHook struct{}

var _ redis.Hook = handshakeHook{}

func (handshakeHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (handshakeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if handshake(cmd) {
			noteHandshake(ctx, err)
		}
		return err
	}
}

func (handshakeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if allHandshake(cmds) {
			noteHandshake(ctx, err)
		}
		return err
	}
}

// writeBuffer is go-redis's write buffer (WriteBufferSize's default): a
// command or pipeline up to this size is written to the socket at once.
const writeBuffer = 32 * 1024

// ranMaybe reports whether cmd, which failed with err (unavailable), may
// have run: it is a write, its connection's handshake did not fail (hs),
// and err came after it was written (see unavailableHook). size is what
// was written with it (the pipeline's arguments).
func ranMaybe(cmd redis.Cmder, err error, hs *handshakeWatch, size int) bool {
	if !isWrite(cmd) || (hs != nil && hs.failed.Load()) {
		return false
	}
	for _, p := range unavailableReplies {
		if redis.HasErrorPrefix(err, p) {
			return false // Redis refused it
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true // the reply broke off
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		return false // no connection (pool, closed client, deadline while waiting)
	}
	switch oe.Op {
	case "read":
		return true // the reply timed out or the connection broke
	case "write":
		// Timed out: part of it may be out. Failed at once on a dropped
		// connection: none of it was read, unless it took several writes.
		return oe.Timeout() || size > writeBuffer
	}
	return false // dial
}

// writeSize estimates the bytes cmd's arguments take on the wire.
func writeSize(cmd redis.Cmder) int {
	n := 0
	for _, a := range cmd.Args() {
		switch v := a.(type) {
		case string:
			n += len(v) + 16
		case []byte:
			n += len(v) + 16
		default:
			n += len(fmt.Sprint(v)) + 16
		}
	}
	return n
}

// unavailableReplies are the error replies of a Redis that is up but cannot
// serve right now: starting (LOADING), a replica or a demoted primary
// during failover (READONLY, MASTERDOWN), a cluster without quorum or
// resharding (CLUSTERDOWN, TRYAGAIN), not enough replicas or no disk
// (NOREPLICAS, MISCONF), a long script running (BUSY). The command did not
// run.
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
