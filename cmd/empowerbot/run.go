package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/store"
)

// redisLogger routes go-redis's internal logger into slog.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis message at warn.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "message", strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// policyWatch is how often `run` looks for a changed policy file (a
// Kubernetes ConfigMap update reaches the pod without a signal).
const policyWatch = 30 * time.Second

// runBot is `empowerbot run`.
func runBot(ctx context.Context, stderr io.Writer) int {
	env, err := config.LoadEnv(config.ModeRun)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	log := env.Logger(stderr)
	// go-redis's own messages (pool and reconnect troubles) go through the
	// same JSON log, not as plain text lines.
	redis.SetLogger(redisLogger{log: log})
	pol, err := policy.Load(env.PolicyFile)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	for _, w := range pol.Warnings {
		log.Warn("policy", "warning", w)
	}
	a, err := app.New(ctx, optionsFromEnv(env, pol, log))
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	return 0
}

// optionsFromEnv maps the environment onto the app's options.
func optionsFromEnv(env config.Env, pol *domain.Policy, log *slog.Logger) app.Options {
	return app.Options{
		AppToken: env.AppToken.Reveal(),
		BotToken: env.BotToken.Reveal(),
		APIURL:   env.APIURL,
		RedisOptions: store.ClientOptions{
			URL:        env.RedisURL.Reveal(),
			Addrs:      env.RedisAddrs,
			MasterName: env.RedisMasterName,
		},
		WaitReplicas: env.WaitReplicas,
		KeyPrefix:    env.KeyPrefix,
		HTTPAddr:     env.HTTPAddr,
		Pprof:        env.Pprof,
		Pacing:       env.Pacing(),
		CatchUpGrace: env.CatchUpGrace,
		Policy:       pol,
		PolicyFile:   env.PolicyFile,
		Reload:       reloadSignals,
		PolicyWatch:  policyWatch,
		// The checks of `empowerbot doctor`, logged as warnings.
		CheckWorkspace: true,
		Log:            log,
	}
}

// healthcheck is the container's HEALTHCHECK: GET /readyz on HTTP_ADDR, so
// the container is healthy only while Redis answers and the socket is up.
func healthcheck(stderr io.Writer) int {
	env, err := config.LoadEnv(config.ModeSandbox)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	addr := env.HTTPAddr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "unhealthy:", resp.Status, strings.TrimSpace(string(body)))
		return 1
	}
	return 0
}
