package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/away"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Leaders away: `/empower away until <date> [delegate <@user>]` and
// `/empower back`. The rules are service/away's; here is the parsing of the
// commands and the words of their replies.

var awayUsage = command.MustLookup("away").Usage()

// Absences returns the leaders away in team at t (none without the away
// service): the decisions service's AbsenceDirectory, the feedback and
// commitments services' too (the reminders read AwayAt, the same).
func (h *Handlers) Absences(ctx context.Context, team string, t time.Time) (domain.Absences, error) {
	if h.Away == nil {
		return nil, nil
	}
	return h.Away.Absences(ctx, team, t)
}

// withAway adds to the blocks of d's card for level, while it waits there,
// who of that level is away until when and who answers for them, before
// its buttons.
func (h *Handlers) withAway(ctx context.Context, d *domain.Decision, level int, blocks []slack.Block) []slack.Block {
	if h.Decisions == nil || d.State != domain.StatePending || d.Level != level {
		return blocks
	}
	gone := h.Decisions.AwayApprovers(ctx, d, level)
	if len(gone) == 0 {
		return blocks
	}
	now := h.Clock.Now()
	lines := make([]string, 0, len(gone))
	for _, a := range gone {
		today := dates.Of(now.In(h.Away.Zone(ctx, d.Team, a.User)))
		line := fmt.Sprintf(":palm_tree: %s is away until %s", slacktext.User(a.User), away.UntilText(a, today))
		if a.Delegate != "" && a.Delegate != d.Requester {
			line += fmt.Sprintf(": %s answers for them.", slacktext.User(a.Delegate))
		} else {
			line += "."
		}
		lines = append(lines, line)
	}
	note := slack.NewContextBlock("away", mrkdwn(strings.Join(lines, "\n")))
	out := make([]slack.Block, 0, len(blocks)+1)
	for i, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok && a.BlockID == "actions" {
			out = append(out, note)
			return append(out, blocks[i:]...)
		}
		out = append(out, b)
	}
	return append(out, note)
}

// AwayCommand answers `/empower away until <date> [delegate <@user>]`.
func (h *Handlers) AwayCommand(ctx context.Context, c *Command) (*Reply, error) {
	until, delegate, err := parseAway(c.Args)
	if err != nil {
		return nil, err
	}
	a, err := h.Away.Away(ctx, away.Request{Team: c.TeamID, User: c.UserID, Until: until, Delegate: delegate})
	if err != nil {
		return nil, withUsage(err, awayUsage)
	}
	today := dates.Of(h.Clock.Now().In(h.Away.Zone(ctx, c.TeamID, c.UserID)))
	who := "The other leaders at your level answer what comes to you meanwhile (or the leaders above you, where there are none)."
	if a.Delegate != "" {
		who = fmt.Sprintf("%s covers for you: what comes to you goes to them too, and they can approve, escalate or decline it for you.",
			slacktext.User(a.Delegate))
	}
	return Text(fmt.Sprintf(":palm_tree: You're away until the end of *%s*. %s No reminders or feedback DMs until then; `/empower back` ends it early.",
		away.UntilText(*a, today), who)), nil
}

// BackCommand answers `/empower back`.
func (h *Handlers) BackCommand(ctx context.Context, c *Command) (*Reply, error) {
	if strings.TrimSpace(c.Args) != "" {
		return nil, domain.Invalidf("`back` takes nothing after it.\n%s", command.MustLookup("back").Usage())
	}
	a, err := h.Away.Back(ctx, c.TeamID, c.UserID)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return Text(":wave: You weren't away, so nothing changed: approvals, reminders and feedback DMs come to you as usual."), nil
	}
	covered := ""
	if a.Delegate != "" {
		covered = fmt.Sprintf(" %s no longer answers for you.", slacktext.User(a.Delegate))
	}
	return Text(":wave: Welcome back! What needs your answer comes to you again, with its reminders." + covered), nil
}

// parseAway reads `until <date> [delegate <@user>]`.
func parseAway(args string) (until, delegate string, err error) {
	args = strings.TrimSpace(args)
	first, rest, _ := strings.Cut(args, " ")
	if !strings.EqualFold(first, "until") {
		return "", "", domain.Invalidf("Say until when you're away, starting with `until`: the last day you're out.\n%s", awayUsage)
	}
	rest = strings.TrimSpace(rest)
	if i := strings.LastIndex(strings.ToLower(" "+rest), " delegate"); i >= 0 {
		// " delegate" starts at i in " "+rest: the word starts at i in rest.
		tail := strings.TrimSpace(rest[i+len("delegate"):])
		if tail == "" || strings.HasPrefix(tail, "<") || strings.HasPrefix(tail, "@") {
			rest = strings.TrimSpace(rest[:i])
			if tail == "" {
				return "", "", domain.Invalidf("Say who covers for you after `delegate`, as a mention.\n%s", awayUsage)
			}
			user, extra, err := splitMention(tail, "your delegate", awayUsage)
			if err != nil {
				return "", "", err
			}
			if extra != "" {
				return "", "", domain.Invalidf("Name one delegate, as the last thing: `delegate @carol`.\n%s", awayUsage)
			}
			delegate = user
		}
	}
	if rest == "" {
		return "", "", domain.Invalidf("Say the last day you're away after `until`: try %s.\n%s", dates.Forms, awayUsage)
	}
	return rest, delegate, nil
}
