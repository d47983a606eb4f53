package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Approve handles the Approve button (decisions.Service.Approve).
func (h *Handlers) Approve(ctx context.Context, a *Action) error {
	id, level, err := clickedButton(a)
	if err != nil {
		return err
	}
	_, err = h.Decisions.Approve(clickedCard(ctx, a, level), a.TeamID, id, a.UserID)
	return err
}

// clickedCard tells the decisions service which card was clicked, so that a
// card whose recording a crash prevented is adopted (decisions.clicked).
func clickedCard(ctx context.Context, a *Action, level int) context.Context {
	if a.Container != "message" || a.ChannelID == "" || a.MessageTS == "" {
		return ctx
	}
	return domain.WithClickedCard(ctx, domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: a.ChannelID, TS: a.MessageTS}})
}

// Escalate handles the Escalate button (decisions.Service.Escalate).
func (h *Handlers) Escalate(ctx context.Context, a *Action) error {
	id, level, err := clickedButton(a)
	if err != nil {
		return err
	}
	_, err = h.Decisions.Escalate(clickedCard(ctx, a, level), a.TeamID, id, level, a.UserID)
	return err
}

// DeclineClick handles the Decline button (after its confirm dialog): when
// the person may answer the decision, it opens a modal asking for an
// optional reason.
func (h *Handlers) DeclineClick(ctx context.Context, a *Action) error {
	id, level, err := clickedButton(a)
	if err != nil {
		return err
	}
	d, err := h.Decisions.MayAct(ctx, a.TeamID, id, a.UserID)
	if err != nil {
		return err
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, declineView(&d.Decision, level, a.ChannelID)); err != nil {
		return fmt.Errorf("open decline modal: %w", err)
	}
	return nil
}

// declineView is the modal asking why d is declined, from its card of
// level in channel.
func declineView(d *domain.Decision, level int, channel string) slack.ModalViewRequest {
	in := slack.NewPlainTextInputBlockElement(plain("What should they know? It helps them decide alone next time."), "reason")
	in.Multiline = true
	in.MaxLength = decisions.MaxDeclineReason
	// Slack adds "(optional)" to the label itself; the hint says where the
	// reason goes: the requester's DM and the card, which the channel sees.
	reason := slack.NewInputBlock("reason", plain("Reason"), plain(
		"I send it to them by DM, and it's shown on the card in the escalations channel."), in)
	reason.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewDecline,
		PrivateMetadata: strings.Join([]string{buttonValue(d.ID, level), channel}, "|"),
		Title:           plain("Decline " + d.ID),
		Submit:          plain("Decline"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Decline %s's %s?", slacktext.User(d.Requester), summary(d))), nil, nil),
			reason,
		}},
	}
}

// DeclineSubmit handles the decline modal (decisions.Service.Decline): a
// refusal of the reason, or a race lost as it is saved, is shown next to
// the reason and the modal stays open.
func (h *Handlers) DeclineSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	parts := strings.Split(s.PrivateMetadata, "|")
	if len(parts) < 2 {
		return nil, domain.Invalidf("This form is out of date; please click Decline again.")
	}
	_, err := h.Decisions.Decline(ctx, s.TeamID, parts[0], s.UserID, s.Input("reason", "reason"))
	var fe *decisions.FormError
	if errors.As(err, &fe) {
		text, _ := UserMessage(fe)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": slacktext.Truncate(text, 1900)}), nil
	}
	return nil, err
}

// clickedButton reads what a decision's button acts on: the decision and
// the level of the card it is on.
func clickedButton(a *Action) (id string, level int, err error) {
	id, level, ok := parseButtonValue(a.Value)
	if !ok {
		return "", 0, domain.Invalidf("That button is out of date; nothing changed.")
	}
	return id, level, nil
}
