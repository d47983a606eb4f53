// Command empowerload measures empowerbot under load, against the floor of
// its stack, in one run.
//
// It starts its own redis-server on a free loopback port, the Slack emulator
// (slackemu) in-process, and, one after the other for every scenario, the
// real empowerbot binary and the floor: a bare slack-go Socket Mode app that
// acknowledges every envelope at once (this same binary, `empowerload floor`).
// It drives each over the emulator's Socket Mode and prints, for each, the
// ack latency percentiles, the throughput, the peak RSS and CPU seconds of
// the process (from /proc), the Redis round trips per command (redis-server's
// read events, INFO stats; or, with -redis-proxy, counted by a proxy in
// front of it, which also counts top-level commands) with Redis's CPU and
// its commands per command (INFO commandstats), and the ratios to the floor.
// With -store-floor it measures the store floor too (`empowerload floor
// -redis …`): the floor making the one Redis round trip the contract allows
// before a confirming ack, the least any app that keeps the contract can do.
//
//	go run ./cmd/empowerload                          # every scenario, 200/s, 5s each
//	go run ./cmd/empowerload -rate 1000 -scenarios inside,above
//	go run ./cmd/empowerload -scenarios closed -inflight 32 -duration 10s
//	go run ./cmd/empowerload -scenarios soak -rate 500 -soak 10m
//	go run ./cmd/empowerload -rate 1000 -scenarios inside,closed -store-floor
//	go run ./cmd/empowerload -bin ./bin/empowerbot -pprof /tmp/prof
//
// Everything listens on 127.0.0.1 only; every run is bounded in count and
// time (see the flags' limits).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "floor" {
		if err := runFloor(ctx, args[1:]); err != nil {
			fmt.Fprintln(stderr, "empowerload floor:", err)
			return 1
		}
		return 0
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "empowerload:", err)
		return 2
	}
	if cfg.selfProfile != "" {
		f, err := os.Create(cfg.selfProfile)
		if err != nil {
			fmt.Fprintln(stderr, "empowerload:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "empowerload:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if err := runLoad(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "empowerload:", err)
		return 1
	}
	return 0
}
