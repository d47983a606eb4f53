package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/slacktext"
)

// maxBoxActivities bounds the activities listed by `/empower box` (one
// section each, within a message's 50 blocks).
const maxBoxActivities = 40

// Box answers `/empower box`: the person's limit for each activity, who
// approves above it, the tags that always go to a leader, and what the
// person approves themselves when they are an approver.
func (h *Handlers) Box(ctx context.Context, c *Command) (*Reply, error) {
	p := h.Policy
	intro := "*Your box*: up to these amounts the call is yours to make, no one to ask. Above them, I bring in the leader who can clear it."
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(intro), nil, nil)}
	var plainText []string
	plainText = append(plainText, intro)

	all := box.AllLimits(p)
	for i, al := range all {
		if i == maxBoxActivities {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more activities.", len(all)-i))))
			break
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*%s*: yours up to *%s*", slacktext.Escape(al.Activity), al.Frontline.Format(al.Currency))
		if al.Summary != "" {
			fmt.Fprintf(&b, "\n_%s_", slacktext.EscapeTruncate(al.Summary, 300))
		}
		for _, l := range al.Levels {
			limit := "any amount"
			if !l.NoLimit {
				limit = "up to " + l.Limit.Format(al.Currency)
			}
			fmt.Fprintf(&b, "\n• above that, *%s* approves %s (%s)", slacktext.Escape(l.Name), limit, slacktext.Mentions(l.Approvers))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
		plainText = append(plainText, b.String())
	}

	if tags := box.EscalationTags(p); len(tags) > 0 {
		var parts []string
		for _, t := range tags {
			parts = append(parts, fmt.Sprintf("#%s → *%s*", slacktext.Escape(t.Tag), slacktext.Escape(t.LevelName)))
		}
		line := ":shield: Whatever the amount, these always go to a leader: " + strings.Join(parts, ", ") + "."
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, nil))
		plainText = append(plainText, line)
	}

	levels, err := h.Decisions.LevelsOf(ctx, c.TeamID, c.UserID)
	if err != nil {
		h.Log.Warn("could not resolve approver levels", "team", c.TeamID, "user", c.UserID, "error", err.Error())
	}
	if len(levels) > 0 {
		var names []string
		for _, l := range levels {
			names = append(names, "*"+slacktext.Escape(p.LevelName(l))+"*")
		}
		line := ":raised_hand: You answer escalations as " + strings.Join(names, " and ") +
			" in " + channelMention(p.Channels.Escalations) + ". Say yes quickly when you can: trust is the default."
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(line)))
		plainText = append(plainText, line)
	}
	return &Reply{Text: slacktext.Truncate(strings.Join(plainText, "\n"), 3000), Blocks: blocks}, nil
}
