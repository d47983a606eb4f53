package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runFloor is `empowerload floor -api URL -app-token T -bot-token T`: the
// floor of the stack, a bare slack-go Socket Mode app that acknowledges
// every envelope as soon as slack-go hands it over, with no payload and no
// other work. The load tool starts it as a process of its own, so that its
// RSS and CPU are measured as the bot's are.
func runFloor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	api := fs.String("api", "", "Web API base URL ending in /")
	appToken := fs.String("app-token", "", "app-level token (xapp-)")
	botToken := fs.String("bot-token", "", "bot token (xoxb-)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *api == "" || *appToken == "" {
		return errors.New("-api and -app-token are required")
	}
	client := slack.New(*botToken, slack.OptionAppLevelToken(*appToken), slack.OptionAPIURL(*api))
	sm := socketmode.New(client)
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-sm.Events:
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				sm.Ack(*evt.Request)
			}
		}
	}
}
