package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/store"
)

// Commitments (the list command, the buttons and the modals).

// listLimit is how many of a person's commitments of each side are read.
const listLimit = 200

// CommitmentsList answers `/empower commitments`: the commitments made by
// and to the person, with their status and a Done button on their own.
func (h *Handlers) CommitmentsList(ctx context.Context, c *Command) (*Reply, error) {
	if strings.TrimSpace(c.Args) != "" {
		sub := command.MustLookup("commitments")
		return nil, domain.Invalidf("`%s` takes nothing after it (got `%s`).\n%s", sub.Invocation(), slacktext.Code(c.Args), sub.Usage())
	}
	return h.commitmentsReply(ctx, c.TeamID, c.UserID)
}

func (h *Handlers) commitmentsReply(ctx context.Context, team, user string) (*Reply, error) {
	byMe, toMe, err := h.Store.CommitmentsOf(ctx, team, user, listLimit)
	if err != nil {
		return nil, err
	}
	return commitmentList(user, byMe, toMe, h.Clock.Now(), h.Policy.Location, h.Policy.Commitments.RemindBefore), nil
}

// where is the message a button was clicked in, carried through a modal's
// private_metadata so the submission can update it.
type where struct {
	ID          string
	Container   string // message, ephemeral or view
	Channel     string
	TS          string
	ResponseURL string
}

func whereOf(id string, a *Action) where {
	w := where{ID: id, Container: a.Container, Channel: a.ChannelID, TS: a.MessageTS, ResponseURL: a.ResponseURL}
	if a.Callback != nil && a.Callback.Container.IsEphemeral {
		w.Container = "ephemeral"
	}
	return w
}

func (w where) String() string {
	return strings.Join([]string{w.ID, w.Container, w.Channel, w.TS, w.ResponseURL}, "|")
}

func parseWhere(s string) (where, bool) {
	p := strings.Split(s, "|")
	if len(p) != 5 || p[0] == "" {
		return where{}, false
	}
	return where{ID: p[0], Container: p[1], Channel: p[2], TS: p[3], ResponseURL: p[4]}, true
}

// ownCommitment loads commitment id for user, refusing anyone but its leader.
func (h *Handlers) ownCommitment(ctx context.Context, team, id, user string) (*store.CommitmentRecord, error) {
	if _, ok := domain.NormalizeCommitmentID(id); !ok {
		return nil, domain.Invalidf("That button is out of date; nothing changed.")
	}
	cm, err := h.Store.GetCommitment(ctx, team, id)
	if errors.Is(err, store.ErrCommitmentNotFound) {
		return nil, domain.NotFoundf("I can't find commitment `%s`; nothing changed.", slacktext.Code(id))
	}
	if err != nil {
		return nil, err
	}
	if cm.Leader != user {
		if cm.State == domain.CommitmentAsked {
			return nil, domain.Forbiddenf("Only %s, who was asked, can answer `%s`. Nothing changed.", slacktext.User(cm.Leader), cm.ID)
		}
		return nil, domain.Forbiddenf("`%s` is %s's commitment: only they can mark it done or move its date. Nothing changed.", cm.ID, slacktext.User(cm.Leader))
	}
	return cm, nil
}

// settledText says where cm stands now, for someone whose click came too late.
func (h *Handlers) settledText(cm *store.CommitmentRecord) string {
	today := h.today()
	switch cm.State {
	case domain.CommitmentDone:
		return fmt.Sprintf("`%s` is already done (%s). Nothing changed.", cm.ID, dates.Of(cm.ClosedAt.In(h.Policy.Location)).Human(today))
	case domain.CommitmentDeclined:
		return fmt.Sprintf("`%s` was declined already. Nothing changed.", cm.ID)
	case domain.CommitmentOpen:
		if cm.Source == domain.SourceAsk {
			return fmt.Sprintf("`%s` was accepted already: it's a commitment due %s. Nothing changed.", cm.ID, dueText(cm, today))
		}
		return fmt.Sprintf("`%s` is open, due %s. Nothing changed.", cm.ID, dueText(cm, today))
	}
	return fmt.Sprintf("`%s` is still waiting for an answer. Nothing changed.", cm.ID)
}

// raceLostCommitment turns a lost race into a refusal saying where it stands.
func (h *Handlers) raceLostCommitment(err error) error {
	var ce *store.CommitmentConflictError
	if errors.As(err, &ce) {
		return domain.Conflictf("%s", h.settledText(ce.Current))
	}
	if errors.Is(err, store.ErrCommitmentNotFound) {
		return domain.NotFoundf("I can't find that commitment any more; nothing changed.")
	}
	return err
}

// dueInput is the required date picker of the accept and new-date modals.
func dueInput(label, initial string) *slack.InputBlock {
	dp := slack.NewDatePickerBlockElement(actionDue)
	dp.InitialDate = initial
	return slack.NewInputBlock(blockDue, plain(label), nil, dp)
}

// whyInput is an optional reason input.
func whyInput(label, hint string) *slack.InputBlock {
	in := slack.NewPlainTextInputBlockElement(plain(hint), actionWhy)
	in.Multiline = true
	in.MaxLength = maxWhyText
	b := slack.NewInputBlock(blockWhy, plain(label), nil, in)
	b.Optional = true
	return b
}

// checkPicked validates a date picked in a modal; the message is for the field.
func (h *Handlers) checkPicked(s string) (dates.Date, string) {
	d, err := dates.ParseISO(s)
	if err != nil {
		return dates.Date{}, "Pick a date."
	}
	today := h.today()
	if d.Before(today) {
		return dates.Date{}, fmt.Sprintf("%s is in the past: pick today or a later date.", d.Human(today))
	}
	if today.DaysUntil(d) > dates.MaxYears*366 {
		return dates.Date{}, fmt.Sprintf("That's more than %d years away: pick a nearer date.", dates.MaxYears)
	}
	return d, ""
}

// AskAccept handles Accept on an ask's DM: a modal with the date, prefilled
// with the one asked for.
func (h *Handlers) AskAccept(ctx context.Context, a *Action) error {
	cm, err := h.ownCommitment(ctx, a.TeamID, a.Value, a.UserID)
	if err != nil {
		return err
	}
	if cm.State != domain.CommitmentAsked {
		return domain.Conflictf("%s", h.settledText(cm))
	}
	initial := cm.AskedDue
	if d, err := dates.ParseISO(initial); err != nil || d.Before(h.today()) {
		initial = ""
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewAskAccept,
		PrivateMetadata: whereOf(cm.ID, a).String(),
		Title:           plain("Accept " + cm.ID),
		Submit:          plain("Commit"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("%s asked:\n>%s\nAccepting makes it your commitment to them, by the date below.",
				slacktext.User(cm.Employee), commitText(cm))), nil, nil),
			dueInput("Done by", initial),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open accept modal: %w", err)
	}
	return nil
}

// AskAcceptSubmit turns the ask into a commitment with the picked date.
func (h *Handlers) AskAcceptSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	w, ok := parseWhere(s.PrivateMetadata)
	if !ok {
		return nil, domain.Invalidf("This form is out of date; please click Accept again.")
	}
	cm, err := h.ownCommitment(ctx, s.TeamID, w.ID, s.UserID)
	if err != nil {
		return nil, err
	}
	due, msg := h.checkPicked(s.Input(blockDue, actionDue))
	if msg != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockDue: msg}), nil
	}
	if cm.State != domain.CommitmentAsked {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockDue: h.settledText(cm)}), nil
	}
	now := h.Clock.Now()
	cm.State, cm.Due, cm.MadeAt = domain.CommitmentOpen, due.String(), now
	ev := commitmentEvent(cm, domain.CommitmentMadeData{CommitmentFacts: cm.Facts(), AskedDue: cm.AskedDue},
		s.UserID, string(domain.CommitmentAsked), string(domain.CommitmentOpen), now)
	if err := h.Store.UpdateCommitment(ctx, cm, domain.CommitmentAsked, &ev); err != nil {
		return h.fieldError(err, blockDue)
	}
	today := h.today()
	h.updateAskDM(ctx, cm, w)
	changed := ""
	if cm.AskedDue != "" && cm.AskedDue != cm.Due {
		changed = fmt.Sprintf(" (you asked for %s)", humanDate(cm.AskedDue, today))
	}
	h.dmQuiet(ctx, cm, cm.Employee, fmt.Sprintf(":handshake: %s accepted your ask: *%s*, by *%s*%s. It's their commitment to you now; I'll remind them before it's due.",
		slacktext.User(cm.Leader), commitText(cm), dueText(cm, today), changed))
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	return nil, nil
}

// AskDecline handles Decline on an ask's DM: a modal for an optional reason.
func (h *Handlers) AskDecline(ctx context.Context, a *Action) error {
	cm, err := h.ownCommitment(ctx, a.TeamID, a.Value, a.UserID)
	if err != nil {
		return err
	}
	if cm.State != domain.CommitmentAsked {
		return domain.Conflictf("%s", h.settledText(cm))
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewAskDecline,
		PrivateMetadata: whereOf(cm.ID, a).String(),
		Title:           plain("Decline " + cm.ID),
		Submit:          plain("Decline"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Decline %s's ask?\n>%s", slacktext.User(cm.Employee), commitText(cm))), nil, nil),
			whyInput("Reason (optional, sent to them by DM)", "What can you do instead, or what would change your answer?"),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open decline modal: %w", err)
	}
	return nil
}

// AskDeclineSubmit declines the ask with the optional reason.
func (h *Handlers) AskDeclineSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	w, ok := parseWhere(s.PrivateMetadata)
	if !ok {
		return nil, domain.Invalidf("This form is out of date; please click Decline again.")
	}
	cm, err := h.ownCommitment(ctx, s.TeamID, w.ID, s.UserID)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(s.Input(blockWhy, actionWhy))
	if n := utf8.RuneCountInString(reason); n > maxWhyText {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{
			blockWhy: fmt.Sprintf("Please keep the reason to %d characters (it has %d).", maxWhyText, n),
		}), nil
	}
	if cm.State != domain.CommitmentAsked {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockWhy: h.settledText(cm)}), nil
	}
	now := h.Clock.Now()
	cm.State, cm.ClosedAt, cm.DeclineReason = domain.CommitmentDeclined, now, reason
	ev := commitmentEvent(cm, domain.CommitmentDeclinedData{CommitmentFacts: cm.Facts(), Reason: reason},
		s.UserID, string(domain.CommitmentAsked), string(domain.CommitmentDeclined), now)
	if err := h.Store.UpdateCommitment(ctx, cm, domain.CommitmentAsked, &ev); err != nil {
		return h.fieldError(err, blockWhy)
	}
	h.updateAskDM(ctx, cm, w)
	text := fmt.Sprintf(":speech_balloon: %s can't take on your ask: *%s*.", slacktext.User(cm.Leader), commitText(cm))
	if reason != "" {
		text += "\nTheir reason: " + slacktext.EscapeTruncate(reason, maxWhyText+50)
	} else {
		text += " Talk to them about what would work instead."
	}
	h.dmQuiet(ctx, cm, cm.Employee, text)
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	return nil, nil
}

// fieldError shows a lost race (or a user error) on a modal's field.
func (h *Handlers) fieldError(err error, block string) (*slack.ViewSubmissionResponse, error) {
	err = h.raceLostCommitment(err)
	if text, refusal := UserMessage(err); refusal {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: slacktext.Truncate(text, 1900)}), nil
	}
	return nil, err
}

// updateAskDM shows the ask's DM to the leader as answered.
func (h *Handlers) updateAskDM(ctx context.Context, cm *store.CommitmentRecord, w where) {
	ch, ts := w.Channel, w.TS
	if w.Container == "ephemeral" && w.ResponseURL != "" {
		h.refreshList(ctx, cm, w)
	}
	if w.Container != "message" || ch == "" || ts == "" {
		ch, ts, _ = strings.Cut(cm.AskDM, "|")
	}
	if ch == "" || ts == "" {
		return
	}
	if _, _, _, err := h.Slack.UpdateMessageContext(ctx, ch, ts, askAnsweredDM(cm, h.today())...); err != nil {
		h.Log.Warn("could not update the ask's DM", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	}
}

// CommitmentDone handles Done (reminder DM, the list, the App Home): the
// commitment is done and the employee is thanked on the leader's behalf.
func (h *Handlers) CommitmentDone(ctx context.Context, a *Action) error {
	cm, err := h.ownCommitment(ctx, a.TeamID, a.Value, a.UserID)
	if err != nil {
		return err
	}
	if cm.State != domain.CommitmentOpen {
		return domain.Conflictf("%s", h.settledText(cm))
	}
	now := h.Clock.Now()
	today := h.today()
	due, derr := dates.ParseISO(cm.Due)
	cm.State, cm.ClosedAt = domain.CommitmentDone, now
	cm.OnTime = derr == nil && !today.After(due)
	onTime := cm.OnTime
	ev := commitmentEvent(cm, domain.CommitmentDoneData{CommitmentFacts: cm.Facts(), OnTime: &onTime},
		a.UserID, string(domain.CommitmentOpen), string(domain.CommitmentDone), now)
	if err := h.Store.UpdateCommitment(ctx, cm, domain.CommitmentOpen, &ev); err != nil {
		return h.raceLostCommitment(err)
	}
	h.showSettled(ctx, cm, whereOf(cm.ID, a))
	h.dmQuiet(ctx, cm, cm.Employee, fmt.Sprintf(":tada: %s did what they promised: *%s*.", slacktext.User(cm.Leader), commitText(cm)))
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	return nil
}

// CommitmentNewDate handles New date: a modal with the date picker.
func (h *Handlers) CommitmentNewDate(ctx context.Context, a *Action) error {
	cm, err := h.ownCommitment(ctx, a.TeamID, a.Value, a.UserID)
	if err != nil {
		return err
	}
	if cm.State != domain.CommitmentOpen {
		return domain.Conflictf("%s", h.settledText(cm))
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewCommitmentNewDate,
		PrivateMetadata: whereOf(cm.ID, a).String(),
		Title:           plain("New date " + cm.ID),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Your commitment to %s:\n>%s\nIt's %s. I'll tell them the new date.",
				slacktext.User(cm.Employee), commitText(cm), dueLine(cm, h.today()))), nil, nil),
			dueInput("New date", cm.Due),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open new date modal: %w", err)
	}
	return nil
}

// CommitmentNewDateSubmit moves the commitment to the picked date and tells
// the employee.
func (h *Handlers) CommitmentNewDateSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	w, ok := parseWhere(s.PrivateMetadata)
	if !ok {
		return nil, domain.Invalidf("This form is out of date; please click New date again.")
	}
	cm, err := h.ownCommitment(ctx, s.TeamID, w.ID, s.UserID)
	if err != nil {
		return nil, err
	}
	due, msg := h.checkPicked(s.Input(blockDue, actionDue))
	if msg == "" && due.String() == cm.Due {
		msg = "That's the date it has already: pick another one."
	}
	if msg == "" && cm.State != domain.CommitmentOpen {
		msg = h.settledText(cm)
	}
	if msg != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockDue: msg}), nil
	}
	now := h.Clock.Now()
	old := cm.Due
	cm.Due = due.String()
	cm.Redates++
	ev := commitmentEvent(cm, domain.CommitmentRedatedData{CommitmentFacts: cm.Facts()}, s.UserID, old, cm.Due, now)
	if err := h.Store.UpdateCommitment(ctx, cm, domain.CommitmentOpen, &ev); err != nil {
		return h.fieldError(err, blockDue)
	}
	today := h.today()
	h.showSettled(ctx, cm, w)
	h.dmQuiet(ctx, cm, cm.Employee, fmt.Sprintf(":calendar: %s set a new date for their commitment to you, *%s*: now *%s* (it was %s).",
		slacktext.User(cm.Leader), commitText(cm), dueText(cm, today), humanDate(old, today)))
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	return nil, nil
}

// showSettled shows the leader the change where they clicked: the reminder
// DM is updated in place (no live buttons), the list is refreshed; the App
// Home refreshes through Touched.
func (h *Handlers) showSettled(ctx context.Context, cm *store.CommitmentRecord, w where) {
	switch {
	case w.Container == "ephemeral" && w.ResponseURL != "":
		h.refreshList(ctx, cm, w)
	case w.Container == "message" && w.Channel != "" && w.TS != "":
		if _, _, _, err := h.Slack.UpdateMessageContext(ctx, w.Channel, w.TS, settledDM(cm, h.today())...); err != nil {
			h.Log.Warn("could not update the reminder DM", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		}
	}
}

// refreshList replaces the leader's `/empower commitments` list, where they
// clicked, with the current one.
func (h *Handlers) refreshList(ctx context.Context, cm *store.CommitmentRecord, w where) {
	r, err := h.commitmentsReply(ctx, cm.Team, cm.Leader)
	if err != nil {
		h.Log.Warn("could not refresh the commitments list", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		return
	}
	wm := &slack.WebhookMessage{Text: r.Text, ReplaceOriginal: true, Blocks: &slack.Blocks{BlockSet: r.Blocks}}
	if err = slack.PostWebhookContext(ctx, w.ResponseURL, wm); err == nil {
		return
	}
	h.Log.Warn("could not refresh the commitments list", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	// An old list (its response_url expired): say it in a new line.
	if w.Channel != "" {
		if _, err := h.Slack.PostEphemeralContext(ctx, w.Channel, cm.Leader, slack.MsgOptionText(settledLine(cm, h.today()), false)); err != nil {
			h.Log.Warn("could not confirm a commitment change", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		}
	}
}
