package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/export"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
)

// runExport is `empowerbot export --from DATE [--to DATE] [--format csv|json]`.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day, YYYY-MM-DD (default today)")
	format := fs.String("format", export.CSV, "csv or json")
	team := fs.String("team", "", "the workspace ID (T…), when Redis holds several")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *from == "" {
		msg := "--from is required"
		if err != nil {
			msg = err.Error()
		} else if fs.NArg() > 0 {
			msg = fmt.Sprintf("unexpected %q", fs.Arg(0))
		}
		fmt.Fprintf(stderr, "empowerbot export: %s\nusage: empowerbot export --from DATE [--to DATE] [--format csv|json]\n", msg)
		return 2
	}
	if *format != export.CSV && *format != export.JSON {
		fmt.Fprintf(stderr, "empowerbot export: --format must be csv or json, not %q\n", *format)
		return 2
	}
	env, err := config.LoadEnv(config.ModeSandbox)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	// Days are the policy's days when it can be read.
	loc := time.UTC
	if os.Getenv("POLICY_FILE") != "" || fileExists(env.PolicyFile) {
		pol, err := policy.Load(env.PolicyFile)
		if err != nil {
			fmt.Fprintln(stderr, "empowerbot:", err)
			return 1
		}
		loc = pol.Location
	}
	start, err := time.ParseInLocation(time.DateOnly, *from, loc)
	if err != nil {
		fmt.Fprintf(stderr, "empowerbot export: --from %q is not a date like 2026-01-31\n", *from)
		return 2
	}
	last := time.Now().In(loc)
	if *to != "" {
		if last, err = time.ParseInLocation(time.DateOnly, *to, loc); err != nil {
			fmt.Fprintf(stderr, "empowerbot export: --to %q is not a date like 2026-01-31\n", *to)
			return 2
		}
	}
	end := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
	if !end.After(start) {
		fmt.Fprintln(stderr, "empowerbot export: --to is before --from")
		return 2
	}

	rc, err := store.NewClient(store.ClientOptions{URL: env.RedisURL.Reveal(), Addrs: env.RedisAddrs, MasterName: env.RedisMasterName})
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot: redis:", err)
		return 1
	}
	defer rc.Close()
	st := store.New(rc, store.NewKeys(env.KeyPrefix))
	teams, err := exportTeams(ctx, st, env, *team)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot export:", err)
		return 1
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	total := 0
	for _, t := range teams {
		n, err := export.Write(ctx, out, st, export.Request{Team: t, From: start, To: end, Format: *format, Location: loc})
		total += n
		if err != nil {
			_ = out.Flush()
			fmt.Fprintln(stderr, "empowerbot export:", err)
			return 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(stderr, "empowerbot export:", err)
		return 1
	}
	fmt.Fprintf(stderr, "empowerbot export: %d events from %s to %s\n", total, start.Format(time.DateOnly), last.Format(time.DateOnly))
	return 0
}

// exportTeams is the workspace to export: --team, else the bot token's
// (auth.test), else the only one Redis holds.
func exportTeams(ctx context.Context, st *store.Store, env config.Env, team string) ([]string, error) {
	if team != "" {
		return []string{team}, nil
	}
	if env.BotToken != "" {
		client, _ := slackapi.New(slackapi.Config{BotToken: env.BotToken.Reveal(), APIURL: env.APIURL})
		auth, err := client.AuthTestContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("auth.test with SLACK_BOT_TOKEN: %w (or name the workspace with --team)", err)
		}
		return []string{auth.TeamID}, nil
	}
	teams, err := st.AuditTeams(ctx)
	switch {
	case err != nil:
		return nil, err
	case len(teams) == 0:
		return nil, errors.New("no history in this Redis under REDIS_KEY_PREFIX " + env.KeyPrefix)
	case len(teams) > 1:
		return nil, fmt.Errorf("Redis holds several workspaces (%v): name one with --team", teams)
	}
	return teams, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
