package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/sandbox"
	"github.com/empowerbot/empowerbot/store"
)

// runSandbox is `empowerbot sandbox`: the emulator, its web page on
// SANDBOX_ADDR, the bot, and Redis (REDIS_URL when set, else its own
// redis-server, saving nothing).
func runSandbox(ctx context.Context, stdout, stderr io.Writer) int {
	env, err := config.LoadEnv(config.ModeSandbox)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	if _, set := os.LookupEnv("LOG_LEVEL"); !set {
		env.LogLevel = "warn" // the terminal shows the banner, not the bot's routine logs
	}
	log := env.Logger(stderr)
	cfg := sandbox.Config{
		Addr:      env.SandboxAddr,
		KeyPrefix: env.KeyPrefix,
		Log:       log,
	}
	if os.Getenv("REDIS_URL") != "" || os.Getenv("REDIS_URL_FILE") != "" || len(env.RedisAddrs) > 0 {
		cfg.Redis = store.ClientOptions{URL: env.RedisURL.Reveal(), Addrs: env.RedisAddrs, MasterName: env.RedisMasterName}
	}
	if os.Getenv("POLICY_FILE") != "" {
		if cfg.Policy, err = policy.Load(env.PolicyFile); err != nil {
			fmt.Fprintln(stderr, "empowerbot:", err)
			return 1
		}
		cfg.PolicySource = env.PolicyFile
	}
	if os.Getenv("HTTP_ADDR") != "" {
		cfg.HTTPAddr = env.HTTPAddr
	}
	sb, err := sandbox.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	if sb.InMemory() {
		fmt.Fprintln(stderr, "empowerbot sandbox:", sandbox.InMemoryBanner)
	}
	err = sb.Run(ctx, func(url string) { sb.Banner(stdout, url) })
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	fmt.Fprintln(stdout, "empowerbot sandbox stopped")
	return 0
}
