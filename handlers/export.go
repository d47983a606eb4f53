package handlers

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/export"
	"github.com/empowerbot/empowerbot/slacktext"
)

// exportUsage is the usage line of `/empower export`.
var exportUsage = command.MustLookup("export").Usage()

// parseExportWindow reads the window of `/empower export`: "" (30 days),
// "7d", "30d" or "90d".
func parseExportWindow(args string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "", "30d":
		return 30, true
	case "7d":
		return 7, true
	case "90d":
		return 90, true
	}
	return 0, false
}

// ExportCommand answers `/empower export [7d|30d|90d]`: for the policy's
// admins, the audit history of the window as a CSV file in their DM with
// the bot (the same rows as `empowerbot export`); anyone else is told who
// may.
func (h *Handlers) ExportCommand(ctx context.Context, c *Command) (*Reply, error) {
	days, ok := parseExportWindow(c.Args)
	if !ok {
		return nil, domain.Invalidf("I can export the last `7d`, `30d` or `90d`, not `%s`.\n%s", slacktext.Code(c.Args), exportUsage)
	}
	p := h.policy()
	if !p.IsAdmin(c.UserID) {
		who := "none are set up yet; whoever runs the bot can add you under `admins` in its settings"
		if len(p.Admins) > 0 {
			mentions := make([]string, len(p.Admins))
			for i, a := range p.Admins {
				mentions[i] = slacktext.User(a)
			}
			who = "ask " + strings.Join(mentions, " or ")
		}
		return nil, domain.Forbiddenf(":lock: Exports hold everyone's history, so they're for the workspace's empowerbot admins: %s.", who)
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	now := h.Clock.Now()
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	var buf bytes.Buffer
	n, err := export.Write(ctx, &buf, h.Store, export.Request{Team: c.TeamID, From: from, To: now.Add(time.Millisecond), Format: export.CSV, Location: loc})
	if err != nil {
		return nil, err
	}
	ch, err := h.DMChannel(ctx, c.TeamID, c.UserID)
	if err != nil {
		return nil, err
	}
	span := fmt.Sprintf("%s to %s", from.In(loc).Format(time.DateOnly), now.In(loc).Format(time.DateOnly))
	name := fmt.Sprintf("empowerbot-export-%s-%s.csv", from.In(loc).Format(time.DateOnly), now.In(loc).Format(time.DateOnly))
	if _, err := h.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(buf.Bytes()), FileSize: buf.Len(), Filename: name,
		Title:          "empowerbot export, " + span,
		InitialComment: fmt.Sprintf("Here's the export you asked for: %d events from %s, one row each (anonymous feedback answers carry no author).", n, span),
		Channel:        ch,
	}); err != nil {
		return nil, fmt.Errorf("upload the export: %w", err)
	}
	return &Reply{Text: fmt.Sprintf(":inbox_tray: I've sent you the export by DM: %d events from %s.", n, span)}, nil
}
