package handlers

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
)

// usage is the general usage line shown with every input error that is not
// one subcommand's (see command.Usage).
var usage = command.Usage()

// Subcommands binds each subcommand of the table in package command to its
// handler, by name ("" is `/empower` alone); aliases run their entry's
// handler. bot.Routes refuses to start when a table entry has no handler
// here or a name here has no table entry.
func (h *Handlers) Subcommands() map[string]CommandFunc {
	return map[string]CommandFunc{
		"":            h.LogModal,
		"praise":      h.PraiseCommand,
		"win":         h.WinCommand,
		"commit":      h.Commit,
		"ask":         h.Ask,
		"commitments": h.CommitmentsList,
		"outcome":     h.OutcomeCommand,
		"feedback":    h.FeedbackCommand,
		"box":         h.Box,
		"away":        h.AwayCommand,
		"back":        h.BackCommand,
		"stats":       h.Stats,
		"export":      h.ExportCommand,
		"help":        h.Help,
	}
}

// Help answers `/empower help` with the help of the subcommand table.
func (h *Handlers) Help(_ context.Context, c *Command) (*Reply, error) {
	if err := noArgs(c, "help"); err != nil {
		return nil, err
	}
	text := command.Help()
	return &Reply{
		Text: text,
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		},
	}, nil
}
