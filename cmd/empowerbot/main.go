// Command empowerbot is the Slack bot that lets front-line people act inside
// a clearly defined box and brings a leader in only above it.
//
//	empowerbot run                 connect to Slack (SLACK_APP_TOKEN, SLACK_BOT_TOKEN)
//	empowerbot sandbox             everything local: a Slack emulator with a web page
//	empowerbot check-policy FILE   validate a policy file
//	empowerbot doctor              check the workspace against the policy and the manifest
//	empowerbot export --from DATE  the audit history, as CSV or JSON
//	empowerbot version             print the version
//
// Every command takes --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // policy timezones work in minimal images
)

// reloadSignals delivers SIGHUP to `empowerbot run`, which reloads the
// policy file on each.
var reloadSignals <-chan os.Signal

func main() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reloadSignals = hup
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
