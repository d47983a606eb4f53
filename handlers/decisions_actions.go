package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// groupCacheTTL is how long a user group's members are cached.
const groupCacheTTL = 5 * time.Minute

// Approve handles the Approve button: an approver of the decision's level,
// or of a level above whose limit covers the amount, approves it.
func (h *Handlers) Approve(ctx context.Context, a *Action) error {
	d, _, err := h.clicked(ctx, a)
	if err != nil {
		return err
	}
	if err := h.checkMayAct(ctx, d, a.UserID); err != nil {
		return err
	}
	now := h.Clock.Now()
	from := d.State
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline = domain.StateApproved, a.UserID, now, time.Time{}
	d.OutcomeDue = h.outcomeDue(now)
	e := domain.HistoryEntry{Action: "approved", Actor: a.UserID, From: string(from), To: string(domain.StateApproved), At: now}
	d.History = append(d.History, e)
	ev := decisionEvent(d, domain.DecisionApprovedData{DecisionFacts: d.Facts()}, a.UserID, string(from), string(domain.StateApproved), now)
	if err := h.Store.UpdateDecision(ctx, d, from, &ev); err != nil {
		return h.raceLost(err)
	}
	h.afterChange(ctx, d, e)
	return nil
}

// Escalate handles the Escalate button: the decision moves to the next
// level, its message is updated and a new one asks the next level.
func (h *Handlers) Escalate(ctx context.Context, a *Action) error {
	d, level, err := h.clicked(ctx, a)
	if err != nil {
		return err
	}
	if err := h.checkMayAct(ctx, d, a.UserID); err != nil {
		return err
	}
	if d.Level != level {
		return domain.Conflictf("%s", alreadyText(d, h.Clock.Now(), h.Policy.Location))
	}
	if d.Level >= len(h.Policy.Levels)-1 {
		return domain.Conflictf("`%s` is already with the top level, *%s*: approve or decline it.", d.ID, slacktext.Escape(d.LevelName))
	}
	now := h.Clock.Now()
	e := h.moveUp(d, "escalated", a.UserID, now)
	ev := decisionEvent(d, domain.DecisionEscalatedData{DecisionFacts: d.Facts()}, a.UserID, e.From, e.To, now)
	if err := h.Store.UpdateDecision(ctx, d, domain.StatePending, &ev); err != nil {
		return h.raceLost(err)
	}
	h.afterChange(ctx, d, e)
	return nil
}

// moveUp moves a pending d to the next level with a fresh deadline and
// returns the history entry it added.
func (h *Handlers) moveUp(d *domain.DecisionRecord, action, actor string, now time.Time) domain.HistoryEntry {
	from := d.LevelName
	d.Level++
	d.LevelName = h.Policy.LevelName(d.Level)
	d.Deadline = deadline(now, h.Policy.RespondWithin(d.Level))
	e := domain.HistoryEntry{Action: action, Actor: actor, From: from, To: d.LevelName, At: now}
	d.History = append(d.History, e)
	return e
}

func deadline(now time.Time, within time.Duration) time.Time {
	if within <= 0 {
		return time.Time{}
	}
	return now.Add(within)
}

// DeclineClick handles the Decline button (after its confirm dialog): it
// opens a modal asking for an optional reason.
func (h *Handlers) DeclineClick(ctx context.Context, a *Action) error {
	d, level, err := h.clicked(ctx, a)
	if err != nil {
		return err
	}
	if err := h.checkMayAct(ctx, d, a.UserID); err != nil {
		return err
	}
	meta := strings.Join([]string{buttonValue(d.ID, level), a.ChannelID}, "|")
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewDecline,
		PrivateMetadata: meta,
		Title:           plain("Decline " + d.ID),
		Submit:          plain("Decline"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Decline %s's %s?", slacktext.User(d.Requester), summary(d))), nil, nil),
			func() slack.Block {
				in := slack.NewPlainTextInputBlockElement(plain("What should they know? It helps them decide alone next time."), "reason")
				in.Multiline = true
				in.MaxLength = maxReasonShown
				b := slack.NewInputBlock("reason", plain("Reason (optional, sent to them by DM)"), nil, in)
				b.Optional = true
				return b
			}(),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open decline modal: %w", err)
	}
	return nil
}

// DeclineSubmit handles the decline modal: the decision becomes declined
// with the optional reason.
func (h *Handlers) DeclineSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	parts := strings.Split(s.PrivateMetadata, "|")
	if len(parts) < 2 {
		return nil, domain.Invalidf("This form is out of date; please click Decline again.")
	}
	d, err := h.Store.GetDecision(ctx, s.TeamID, parts[0])
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, domain.NotFoundf("I can't find that decision any more.")
	}
	if err != nil {
		return nil, err
	}
	if err := h.checkMayAct(ctx, d, s.UserID); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(s.Input("reason", "reason"))
	if n := len([]rune(reason)); n > maxReasonShown {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{
			"reason": fmt.Sprintf("Please keep the reason to %d characters (it has %d).", maxReasonShown, n),
		}), nil
	}
	now := h.Clock.Now()
	from := d.State
	d.State, d.DecidedBy, d.DecidedAt, d.Deadline, d.DeclineReason = domain.StateDeclined, s.UserID, now, time.Time{}, reason
	e := domain.HistoryEntry{Action: "declined", Actor: s.UserID, From: string(from), To: string(domain.StateDeclined), At: now}
	d.History = append(d.History, e)
	ev := decisionEvent(d, domain.DecisionDeclinedData{DecisionFacts: d.Facts(), Reason: reason},
		s.UserID, string(from), string(domain.StateDeclined), now)
	if err := h.Store.UpdateDecision(ctx, d, from, &ev); err != nil {
		err = h.raceLost(err)
		if text, refusal := UserMessage(err); refusal {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": slacktext.Truncate(text, 1900)}), nil
		}
		return nil, err
	}
	h.afterChange(ctx, d, e)
	return nil, nil
}

// clicked loads the decision a button belongs to.
func (h *Handlers) clicked(ctx context.Context, a *Action) (*domain.DecisionRecord, int, error) {
	id, level, ok := parseButtonValue(a.Value)
	if !ok {
		return nil, 0, domain.Invalidf("That button is out of date; nothing changed.")
	}
	d, err := h.Store.GetDecision(ctx, a.TeamID, id)
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return nil, 0, domain.NotFoundf("I can't find decision `%s`; nothing changed.", slacktext.Code(id))
	}
	if err != nil {
		return nil, 0, err
	}
	return d, level, nil
}

// raceLost turns a lost race into a refusal that says who was first.
func (h *Handlers) raceLost(err error) error {
	var ce *domain.DecisionConflictError
	if errors.As(err, &ce) {
		return domain.Conflictf("%s", alreadyText(ce.Current, h.Clock.Now(), h.Policy.Location))
	}
	if errors.Is(err, domain.ErrDecisionNotFound) {
		return domain.NotFoundf("I can't find that decision any more; nothing changed.")
	}
	return err
}

// decisionEvent builds the audit event of a change of d, with payload p
// (see domain/audit.go).
func decisionEvent(d *domain.DecisionRecord, p domain.Payload, actor, from, to string, now time.Time) domain.Event {
	return domain.Event{Actor: actor, Subject: d.ID, From: from, To: to, At: now, Payload: p}
}

// afterChange brings Slack in line with a change of d: every escalation
// message is updated, a new level gets its own message, and the requester
// is told by DM. Failures are logged: the change itself is already saved.
func (h *Handlers) afterChange(ctx context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) {
	h.syncMessages(ctx, d)
	if d.State == domain.StatePending {
		if _, ok := d.MessageFor(d.Level); !ok {
			h.postLevelMessage(ctx, d)
		}
	}
	if text := outcomeDM(h.Policy, d, e); text != "" {
		if _, _, err := h.DM(ctx, d.Team, d.Requester, slack.MsgOptionText(text, false),
			slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil))); err != nil {
			h.Log.Warn("could not DM the requester", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
	}
	h.touchDecision(ctx, d)
}

// syncMessages updates every escalation message of d to its current state.
func (h *Handlers) syncMessages(ctx context.Context, d *domain.DecisionRecord) {
	now := h.Clock.Now()
	for _, m := range d.Messages {
		text, blocks := escalationMessage(h.Policy, d, m.Level, now)
		if _, _, _, err := h.Slack.UpdateMessageContext(ctx, m.Channel, m.TS,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			h.Log.Warn("could not update escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		}
	}
}

// postLevelMessage posts the escalation message for d's current level and
// records it; when d changed meanwhile, every message is brought up to date.
func (h *Handlers) postLevelMessage(ctx context.Context, d *domain.DecisionRecord) {
	level := d.Level
	text, blocks := escalationMessage(h.Policy, d, level, h.Clock.Now())
	ch, ts, err := h.Slack.PostMessageContext(ctx, h.Policy.Channels.Escalations,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		h.Log.Error("could not post escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	m := domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: ch, TS: ts}}
	attached, ver, err := h.Store.AttachMessage(ctx, d.Team, d.ID, m)
	if err != nil {
		h.Log.Error("could not record escalation message", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	if !attached {
		// Another replica posted it first: withdraw ours.
		if _, _, err := h.Slack.DeleteMessageContext(ctx, ch, ts); err != nil {
			h.Log.Warn("could not delete a duplicate escalation message", "decision", d.ID, "error", err.Error())
		}
		return
	}
	d.Messages = append(d.Messages, m)
	if ver == d.Version {
		return
	}
	// Someone acted while the message was on its way: show the latest state.
	latest, err := h.Store.GetDecision(ctx, d.Team, d.ID)
	if err != nil {
		h.Log.Warn("could not reload decision", "team", d.Team, "decision", d.ID, "error", err.Error())
		return
	}
	*d = *latest
	h.syncMessages(ctx, d)
}

// checkMayAct refuses, with a reason, anyone who may not answer d now.
func (h *Handlers) checkMayAct(ctx context.Context, d *domain.DecisionRecord, user string) error {
	now := h.Clock.Now()
	if d.State != domain.StatePending {
		return domain.Conflictf("%s", alreadyText(d, now, h.Policy.Location))
	}
	if user == d.Requester {
		return domain.Forbiddenf("`%s` is your own decision, so someone else has to answer it: %s. Nothing changed.",
			d.ID, slacktext.Mentions(h.Policy.LevelApprovers(d.Level)))
	}
	ok, err := h.mayApprove(ctx, d, user)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Forbiddenf("%s", h.notApproverText(ctx, d, user))
	}
	return nil
}
