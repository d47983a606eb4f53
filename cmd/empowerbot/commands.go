package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/empowerbot/empowerbot/buildinfo"
)

// command is one subcommand of the binary.
type command struct {
	name string
	// args is the usage after the name ("FILE", "--from DATE …").
	args string
	// summary is the one line of the top-level usage.
	summary string
	// about says what it does, in a few lines, for --help.
	about string
	// env lists the environment variables it reads.
	env []string
	// hidden commands are left out of the usage (the container healthcheck).
	hidden bool
	run    func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// The environment variables the commands read, grouped.
var (
	envSlack   = []string{"SLACK_APP_TOKEN (or SLACK_APP_TOKEN_FILE)", "SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN_FILE)", "SLACK_API_URL", "SLACK_PACING"}
	envRedis   = []string{"REDIS_URL (or REDIS_URL_FILE)", "REDIS_ADDRS", "REDIS_MASTER_NAME", "REDIS_KEY_PREFIX"}
	envLogging = []string{"LOG_LEVEL", "LOG_FORMAT"}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// commands is the one table of the binary's subcommands: the usage, --help
// and dispatch all come from it.
func commands() []command {
	return []command{
		{
			name: "run", summary: "connect to Slack over Socket Mode and serve the bot",
			about: "Connects to Slack over Socket Mode and serves /empower, the buttons, the modals, the\n" +
				"App Home and the scheduled jobs, until SIGINT or SIGTERM. SIGHUP reloads POLICY_FILE\n" +
				"(an invalid file is logged with its lines and the policy in force stays). At start-up\n" +
				"it runs the checks of `empowerbot doctor` and logs what fails as warnings.\n" +
				"Serves /healthz, /readyz and /metrics on HTTP_ADDR.",
			env: concat(envSlack, envRedis, []string{"POLICY_FILE", "HTTP_ADDR", "CATCHUP_GRACE"}, envLogging),
			run: func(ctx context.Context, _ []string, _, stderr io.Writer) int { return runBot(ctx, stderr) },
		},
		{
			name: "sandbox", summary: "run everything locally: a Slack emulator with a web page, the bot and Redis",
			about: "Runs a local Slack emulator with a web page, the unchanged bot connected to it and a\n" +
				"redis-server of its own from PATH that saves nothing (unless REDIS_URL is set), with a\n" +
				"sample policy and people, so every flow can be tried in a browser without a Slack\n" +
				"workspace. Without redis-server: go run -tags miniredis ./cmd/empowerbot sandbox.",
			env: concat([]string{"SANDBOX_ADDR", "POLICY_FILE (optional; the sample policy otherwise)", "REDIS_URL (optional)", "REDIS_KEY_PREFIX", "HTTP_ADDR (optional)"}, envLogging),
			run: func(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
				return runSandbox(ctx, stdout, stderr)
			},
		},
		{
			name: "check-policy", args: "FILE", summary: `validate a policy file; prints "ok" and a summary, or every error`,
			about: "Validates a policy file without connecting to anything. On success it prints \"ok\" and\n" +
				"a summary (levels, teams, activities, the next run of each schedule); otherwise every\n" +
				"problem, one per line, with its line number. Exit status 1 when invalid.",
			run: runCheckPolicy,
		},
		{
			name: "doctor", summary: "check the workspace against the policy and the manifest",
			about: "Checks the Slack workspace against the policy and the app manifest: the token's\n" +
				"scopes, that every policy channel exists and has the bot in it, that every user exists\n" +
				"and every user group resolves (a free plan refuses user groups). One line per check,\n" +
				"with what to do; exit status 1 on any failure. Needs the same environment as run.",
			env: concat(envSlack, []string{"POLICY_FILE"}, envLogging),
			run: runDoctor,
		},
		{
			name: "export", args: "--from DATE [--to DATE] [--format csv|json] [--team T…]", summary: "write the audit history (--from DATE …) to standard output",
			about: "Streams the audit history from Redis to standard output: decisions with their whole\n" +
				"history, approvals, outcomes, praise, wins, commitments and feedback answers (anonymous\n" +
				"ones without their author), one row per event. DATE is YYYY-MM-DD in the policy's time\n" +
				"zone; --to defaults to today, both inclusive. The workspace is the bot token's, or the\n" +
				"only one in Redis, or --team.",
			env: concat(envRedis, []string{"POLICY_FILE", "SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN_FILE, optional: names the workspace)", "SLACK_API_URL"}, envLogging),
			run: runExport,
		},
		{
			name: "version", summary: "print the version, the commit and the Go version",
			about: "Prints the version, the VCS commit it was built from and the Go version.",
			run: func(_ context.Context, _ []string, stdout, _ io.Writer) int {
				fmt.Fprintln(stdout, buildinfo.Get())
				return 0
			},
		},
		{
			name: "healthcheck", hidden: true, summary: "the container healthcheck: GET /readyz on HTTP_ADDR",
			about: "The container's HEALTHCHECK: asks /readyz on HTTP_ADDR and exits 0 when ready, 1 otherwise.",
			env:   []string{"HTTP_ADDR"},
			run:   func(_ context.Context, _ []string, _, stderr io.Writer) int { return healthcheck(stderr) },
		},
	}
}

const readmePointer = "More: the README (https://github.com/empowerbot/empowerbot#readme), sections \"Configuration\" and \"For admins\"."

// usage is the top-level help.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: empowerbot <command> [arguments]\n\ncommands:\n")
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		name := c.name
		if len(c.args) <= 6 {
			name = strings.TrimSpace(c.name + " " + c.args)
		}
		fmt.Fprintf(&b, "  %-18s %s\n", name, c.summary)
	}
	b.WriteString("\nflags:\n  --version   print the version\n  --help      this help; `empowerbot <command> --help` for one command\n\n")
	b.WriteString(readmePointer + "\n")
	return b.String()
}

// help is one command's --help.
func (c command) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: empowerbot %s\n\n%s\n", strings.TrimSpace(c.name+" "+c.args), c.about)
	if len(c.env) > 0 {
		b.WriteString("\nenvironment:\n")
		for _, e := range c.env {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	b.WriteString("\n" + readmePointer + "\n")
	return b.String()
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// run is the whole program; it returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		fmt.Fprint(stdout, usage())
		return 0
	case "--version", "-version", "-v":
		fmt.Fprintln(stdout, buildinfo.Get())
		return 0
	case "help":
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				fmt.Fprint(stdout, c.help())
				return 0
			}
			return unknown(args[1], stderr)
		}
		fmt.Fprint(stdout, usage())
		return 0
	}
	c, ok := lookup(args[0])
	if !ok {
		return unknown(args[0], stderr)
	}
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if isHelp(a) && a != "help" {
			fmt.Fprint(stdout, c.help())
			return 0
		}
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// unknown reports an unknown command, with the nearest one when it looks
// like a typo.
func unknown(name string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "empowerbot: unknown command %q", name)
	var names []string
	for _, c := range commands() {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	if s := nearest(name, names); s != "" {
		fmt.Fprintf(stderr, " (did you mean %q?)", s)
	}
	fmt.Fprint(stderr, "\n\n"+usage())
	return 2
}
