package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slacktext"
)

// maxBoxActivities bounds the activities listed by `/empower box` (one
// section each, within a message's 50 blocks).
const maxBoxActivities = 40

// boxUsage is the usage line of `/empower box`.
var boxUsage = command.MustLookup("box").Usage()

// Box answers `/empower box [@user]`: the person's limit for each activity,
// their policy team and who approves above it, the tags that always go to a
// leader, and what the person approves themselves when they are an
// approver (decisions.Service.Box). A leader may name one of their people
// to see that person's box (decisions.Service.BoxOf).
func (h *Handlers) Box(ctx context.Context, c *Command) (*Reply, error) {
	if c.Args == "" {
		return boxReply(h.policy(), h.Decisions.Box(ctx, c.TeamID, c.UserID)), nil
	}
	user, rest, err := splitMention(c.Args, "the person", boxUsage)
	if err != nil {
		return nil, err
	}
	if word, activity, _ := strings.Cut(rest, " "); strings.EqualFold(word, "reset") {
		return h.boxReset(ctx, c, user, strings.TrimSpace(activity))
	}
	if rest != "" {
		return nil, domain.Invalidf("I only know `/empower box`, `/empower box @person` and `/empower box @person reset <activity>`; I don't know `%s`.\n%s", slacktext.Code(rest), boxUsage)
	}
	bx, err := h.Decisions.BoxOf(ctx, c.TeamID, c.UserID, user)
	if err != nil {
		return nil, err
	}
	return boxReply(h.policy(), bx), nil
}

// boxReply renders bx.
func boxReply(p *domain.Policy, bx decisions.Box) *Reply {
	intro := "*Your box*: up to these amounts the call is yours to make, no one to ask. Above them, I bring in the leader who can clear it."
	own := bx.Viewer == bx.User
	if !own {
		intro = fmt.Sprintf("*%s's box*: up to these amounts the call is theirs to make, no one to ask. Above them, I bring in the leader who can clear it.", slacktext.User(bx.User))
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(intro), nil, nil)}
	var plainText []string
	plainText = append(plainText, intro)
	if bx.Team != "" {
		line := fmt.Sprintf(":busts_in_silhouette: Your team: *%s*. What's above your box goes to its leaders, named below.", slacktext.EscapeTruncate(bx.Team, 100))
		if !own {
			line = fmt.Sprintf(":busts_in_silhouette: Their team: *%s*. What's above their box goes to its leaders, named below.", slacktext.EscapeTruncate(bx.Team, 100))
		}
		blocks = append(blocks, slack.NewContextBlock("team", mrkdwn(line)))
		plainText = append(plainText, line)
	}

	for i, al := range bx.Limits {
		if i == maxBoxActivities {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more activities.", len(bx.Limits)-i))))
			break
		}
		var b strings.Builder
		whose := "yours"
		if !own {
			whose = "theirs"
		}
		fmt.Fprintf(&b, "*%s*: %s up to *%s*%s", slacktext.Escape(al.Activity), whose, al.Frontline.Format(al.Currency), ownLimitText(p, al))
		if al.Own != nil && !own {
			fmt.Fprintf(&b, "\n_To take it back: /empower box %s reset %s_", slacktext.User(bx.User), slacktext.Escape(al.Activity))
		}
		if al.Summary != "" {
			fmt.Fprintf(&b, "\n_%s_", slacktext.EscapeTruncate(al.Summary, 300))
		}
		for _, l := range al.Levels {
			if l.NoLimit {
				// The lowest level without a limit clears every amount:
				// the levels above it never get one of these, so stop.
				fmt.Fprintf(&b, "\n• above that, the *%s* approves any amount (%s)", slacktext.Escape(domain.RoleName(l.Name)), slacktext.Mentions(l.Approvers))
				break
			}
			fmt.Fprintf(&b, "\n• above that, the *%s* approves up to %s (%s)", slacktext.Escape(domain.RoleName(l.Name)), l.Limit.Format(al.Currency), slacktext.Mentions(l.Approvers))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
		plainText = append(plainText, b.String())
	}

	if len(bx.Tags) > 0 {
		var parts []string
		for _, t := range bx.Tags {
			parts = append(parts, fmt.Sprintf("#%s (the *%s*)", slacktext.Escape(t.Tag), slacktext.Escape(domain.RoleName(t.LevelName))))
		}
		line := ":shield: Whatever the amount, these always go to a leader: " + strings.Join(parts, ", ") + "."
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, nil))
		plainText = append(plainText, line)
	}

	if own && len(bx.Approves) > 0 {
		var names []string
		for _, l := range bx.Approves {
			names = append(names, "*"+slacktext.Escape(domain.RoleName(l))+"*")
		}
		line := ":raised_hand: You answer escalations as " + strings.Join(names, " and ")
		if len(bx.ApprovesFor) > 0 {
			teams := make([]string, 0, len(bx.ApprovesFor))
			for _, t := range bx.ApprovesFor {
				teams = append(teams, "*"+slacktext.EscapeTruncate(t, 100)+"*")
			}
			line += " for " + strings.Join(teams, ", ")
		}
		line += " in " + channelMention(bx.Escalations) + ". Say yes quickly when you can: trust is the default."
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(line)))
		plainText = append(plainText, line)
	}
	return &Reply{Text: slacktext.Truncate(strings.Join(plainText, "\n"), 3000), Blocks: blocks}
}
