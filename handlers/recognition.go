package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/slackapi"
)

// RecognitionNotifier is recognition.Notifier in Slack: the praise feed's
// posts, the DMs about praise, wins and outcomes, and the follow-up DM,
// rendered here (praise.go, outcomes.go).
type RecognitionNotifier struct{ H *Handlers }

// RecognitionDirectory is recognition.Directory over Slack and the policy.
type RecognitionDirectory struct{ H *Handlers }

var (
	_ recognition.Notifier  = RecognitionNotifier{}
	_ recognition.Directory = RecognitionDirectory{}
)

// postToPraise posts text and blocks to the praise channel and returns
// where.
func (n RecognitionNotifier) postToPraise(ctx context.Context, text string, blocks []slack.Block) (domain.MessageRef, error) {
	return n.postToPraiseOnce(ctx, slackapi.Tag{}, text, blocks)
}

// postToPraiseOnce is postToPraise for the message tag names, posted once
// across a crash (postOnce).
func (n RecognitionNotifier) postToPraiseOnce(ctx context.Context, tag slackapi.Tag, text string, blocks []slack.Block) (domain.MessageRef, error) {
	ch, ts, err := n.H.postOnce(ctx, n.H.policy().Channels.Praise, tag, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return domain.MessageRef{}, err
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// Touched refreshes users' App Home (recognition.Notifier).
func (n RecognitionNotifier) Touched(ctx context.Context, team string, users ...string) {
	n.H.Touched(ctx, team, users...)
}

// Approvers returns who approves d at level: its requester's policy team's
// approvers, user groups resolved; when they cannot be resolved now, the
// policy's plain user IDs of that level, logged (recognition.Directory).
func (d RecognitionDirectory) Approvers(ctx context.Context, dec *domain.Decision, level int) []string {
	h := d.H
	ids, err := h.Decisions.Approvers(ctx, dec, level)
	if err == nil {
		return ids
	}
	h.Log.Warn("could not resolve the leaders' groups", "team", dec.Team, "decision", dec.ID, "error", err.Error())
	ids = nil
	for _, id := range decisions.ApproverIDs(h.policy(), dec, level) {
		if !strings.HasPrefix(id, "S") {
			ids = append(ids, id)
		}
	}
	return ids
}

// Person looks user up in Slack (recognition.Directory): a user Slack does
// not know is recognition.ErrNoSuchPerson.
func (d RecognitionDirectory) Person(ctx context.Context, user string) (recognition.Person, error) {
	u, err := d.H.Slack.GetUserInfoContext(ctx, user)
	if err != nil {
		if slackapi.UserNotFound(err) {
			return recognition.Person{}, fmt.Errorf("%w: %w", recognition.ErrNoSuchPerson, err)
		}
		return recognition.Person{}, err
	}
	return recognition.Person{Bot: u.IsBot, Deactivated: u.Deleted}, nil
}
