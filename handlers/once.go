package handlers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
)

// Messages sent once across a crash. A click or a submission whose state
// change was saved when the process handling it died is delivered again by
// Slack; the services recognise the change as the request's own and do
// what follows it again (the cards, the DMs) under domain.WithFinishing.
// Some of it may have gone out before the crash: each such message is
// named by a stable Tag, looked for in its conversation's history, and
// posted only when it is not there.

// postOnce posts opts to channel tagged with tag, as post does; when ctx
// finishes an earlier handling of its request (domain.Finishing), the
// tagged message is looked for first and posted only when it is not there
// (slackapi.Poster.PostAgain). tag names the message the same way in both
// handlings (slackapi.PostTag).
func (h *Handlers) postOnce(ctx context.Context, channel string, tag slackapi.Tag, opts ...slack.MsgOption) (string, string, error) {
	if domain.Finishing(ctx) {
		// Since the start of the history Pages reach: a tag names one
		// message, and the bot's clock may not be Slack's.
		return h.poster().PostAgain(ctx, channel, tag, time.Time{}, opts...)
	}
	return h.post(ctx, channel, tag, opts...)
}

// dmOnce is postOnce for the bot's DM to user (DMTagged).
func (h *Handlers) dmOnce(ctx context.Context, team, user string, tag slackapi.Tag, opts ...slack.MsgOption) (channel, ts string, err error) {
	channel, err = h.DMChannel(ctx, team, user)
	if err != nil {
		return "", "", err
	}
	_, ts, err = h.postOnce(ctx, channel, tag, opts...)
	if err != nil {
		return channel, "", fmt.Errorf("dm %s: %w", user, err)
	}
	return channel, ts, nil
}

// toldTag names the DM telling user about ev, a change of commitment cm,
// the same every time that change is told (a commitment is made,
// answered and done once; each new date is counted).
func toldTag(cm *domain.CommitmentRecord, user string, ev domain.Event) slackapi.Tag {
	what := string(ev.Type())
	if _, ok := ev.Payload.(domain.CommitmentRedatedData); ok {
		what += "/" + strconv.Itoa(cm.Redates)
	}
	return slackapi.PostTag("commitment-told", cm.ID+"/"+user+"/"+what)
}

// askTag names the ask's DM to its leader.
func askTag(cm *domain.CommitmentRecord) slackapi.Tag {
	return slackapi.PostTag("ask", cm.ID)
}
