package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slacktext"
)

// Usage is the one-line summary shown with every input error.
const Usage = "Usage: `/empower <activity> <amount> [for <customer>] [reason…] [#tag…]` · `/empower help` for everything else"

// helpLines lists every subcommand of PRODUCT.md, one line each.
var helpLines = [][2]string{
	{"/empower", "open a form to log a decision (also `/empower log`)"},
	{"/empower <activity> <amount> [for <customer>] [reason…] [#tag…]", "log a decision you made, e.g. `/empower discount $250 for ACME travel charge waived #customer-first`"},
	{"/empower praise <@user> <text> [#value]", "praise someone in public, in the praise channel"},
	{"/empower win <text> [<@user>…] [#value]", "share a team win in the praise channel"},
	{"/empower commit <@user> <text> by <date>", "leaders: commit to an action for one of your people, with a date"},
	{"/empower ask <@leader> <text> [by <date>]", "ask a leader for support; they can accept or decline"},
	{"/empower commitments", "the commitments made by you and to you, with their status"},
	{"/empower outcome <decision-id> worked|failed [note]", "record how a decision turned out"},
	{"/empower feedback", "tell your leader how they can help you, any time"},
	{"/empower box", "your limits for each activity, and who approves above them"},
	{"/empower stats [7d|30d]", "measurable outcomes: your team's if you lead one, your own otherwise"},
	{"/empower help", "this list"},
}

// HelpText returns the help as mrkdwn, one line per subcommand.
func HelpText() string {
	var b strings.Builder
	b.WriteString("*empowerbot*: you decide inside your box; above it, a leader answers fast.\n")
	for _, l := range helpLines {
		fmt.Fprintf(&b, "• `%s`: %s\n", l[0], l[1])
	}
	return strings.TrimRight(b.String(), "\n")
}

// Help answers `/empower help`.
func (h *Handlers) Help(_ context.Context, _ *Command) (*Reply, error) {
	text := HelpText()
	return &Reply{
		Text: text,
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		},
	}, nil
}

// Unknown answers a subcommand that does not exist.
func (h *Handlers) Unknown(_ context.Context, c *Command) (*Reply, error) {
	return nil, Userf(fmt.Sprintf("I don't know `%s`. %s", EscapeCode(c.Sub), Usage))
}

// EscapeCode makes user text safe inside a `code` span: Slack control
// characters are escaped and backticks dropped, and it is cut to 60 runes.
func EscapeCode(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	return slacktext.Escape(slacktext.Truncate(s, 60))
}
