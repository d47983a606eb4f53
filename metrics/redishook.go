package metrics

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisHook is a go-redis hook that counts failed commands in RedisErrors,
// by command name ("evalsha", "set", "pipeline"). A missing key (redis.Nil)
// is not a failure.
type RedisHook struct{ M *Metrics }

var _ redis.Hook = RedisHook{}

// DialHook counts failed connection attempts as "dial".
func (h RedisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			h.M.RedisErrors.WithLabelValues("dial").Inc()
		}
		return c, err
	}
}

// ProcessHook counts a failed command.
func (h RedisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if failed(err) {
			h.M.RedisErrors.WithLabelValues(strings.ToLower(cmd.Name())).Inc()
		}
		return err
	}
}

// ProcessPipelineHook counts a failed pipeline or transaction once.
func (h RedisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if failed(err) {
			h.M.RedisErrors.WithLabelValues("pipeline").Inc()
		}
		return err
	}
}

// failed reports a real failure: not a missing key, not a lost optimistic
// transaction, and not the NOSCRIPT answer to which a script's EVALSHA falls
// back to EVAL (every script's first run on a server).
func failed(err error) bool {
	return err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, redis.TxFailedErr) &&
		!redis.HasErrorPrefix(err, "NOSCRIPT")
}
