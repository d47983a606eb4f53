package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Commitments (the list command, the buttons and the modals).

// CommitmentsList answers `/empower commitments`: the commitments made by
// and to the person, with their status and a Done button on their own.
func (h *Handlers) CommitmentsList(ctx context.Context, c *Command) (*Reply, error) {
	if err := noArgs(c, "commitments"); err != nil {
		return nil, err
	}
	return h.commitmentsReply(ctx, c.TeamID, c.UserID)
}

func (h *Handlers) commitmentsReply(ctx context.Context, team, user string) (*Reply, error) {
	l, err := h.Commitments.List(ctx, team, user)
	if err != nil {
		return nil, err
	}
	return commitmentList(l, h.zoneOf(ctx, team, user)), nil
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

// commitmentAction is the service's view of a click on commitment id.
func commitmentAction(id string, a *Action) commitments.Action {
	return commitments.Action{Team: a.TeamID, ID: id, User: a.UserID, At: whereOf(id, a)}
}

// submittedAction is the service's view of a submitted commitment form,
// clicked open at w.
func submittedAction(w where, s *Submission) commitments.Action {
	return commitments.Action{Team: s.TeamID, ID: w.ID, User: s.UserID, At: w}
}

// dueInput is the required date picker of the accept and new-date modals.
func dueInput(label, initial string) *slack.InputBlock {
	dp := slack.NewDatePickerBlockElement(actionDue)
	dp.InitialDate = initial
	return slack.NewInputBlock(blockDue, plain(label), nil, dp)
}

// whyInput is an optional reason input (Slack adds "(optional)" to its
// label), with placeholder and hint, what happens to it.
func whyInput(label, placeholder, hint string) *slack.InputBlock {
	in := slack.NewPlainTextInputBlockElement(plain(placeholder), actionWhy)
	in.Multiline = true
	in.MaxLength = commitments.MaxReason
	b := slack.NewInputBlock(blockWhy, plain(label), plain(hint), in)
	b.Optional = true
	return b
}

// AskAccept handles Accept on an ask's DM: a modal with the date, prefilled
// with the one asked for.
func (h *Handlers) AskAccept(ctx context.Context, a *Action) error {
	cm, err := h.Commitments.Answerable(ctx, commitmentAction(a.Value, a))
	if err != nil {
		return h.settleStale(ctx, a, err)
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
				commitTo(cm), commitText(cm))), nil, nil),
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
	_, err := h.Commitments.Accept(ctx, submittedAction(w, s), s.Input(blockDue, actionDue))
	return formError(err)
}

// AskDecline handles Decline on an ask's DM: a modal for an optional reason.
func (h *Handlers) AskDecline(ctx context.Context, a *Action) error {
	cm, err := h.Commitments.Answerable(ctx, commitmentAction(a.Value, a))
	if err != nil {
		return h.settleStale(ctx, a, err)
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewAskDecline,
		PrivateMetadata: whereOf(cm.ID, a).String(),
		Title:           plain("Decline " + cm.ID),
		Submit:          plain("Decline"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Decline %s's ask?\n>%s", commitTo(cm), commitText(cm))), nil, nil),
			whyInput("Reason", "What can you do instead, or what would change your answer?", "Only they see it: I send it to them by DM."),
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
	_, err := h.Commitments.DeclineAsk(ctx, submittedAction(w, s), s.Input(blockWhy, actionWhy))
	return formError(err)
}

// formBlocks are the input blocks of the service's form fields.
var formBlocks = map[commitments.Field]string{
	commitments.FieldDue:    blockDue,
	commitments.FieldReason: blockWhy,
}

// formError shows a refusal about a field of a commitment form (a date that
// cannot be taken, a lost race) beside that field; other errors are the
// handler's.
func formError(err error) (*slack.ViewSubmissionResponse, error) {
	var fe *commitments.FieldError
	if errors.As(err, &fe) {
		text, _ := UserMessage(fe)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{formBlocks[fe.Field]: slacktext.Truncate(text, 1900)}), nil
	}
	return nil, err
}

// CommitmentDone handles Done (reminder DM, the list, the App Home): the
// commitment is done and the employee is thanked on the leader's behalf.
func (h *Handlers) CommitmentDone(ctx context.Context, a *Action) error {
	_, err := h.Commitments.Done(ctx, commitmentAction(a.Value, a))
	return h.settleStale(ctx, a, err)
}

// settleStale answers a click on a DM whose buttons no longer apply (Done
// on a commitment done meanwhile, Accept on an ask answered from the App
// Home): when err says the commitment is settled, the DM is replaced with
// what happened to it, without buttons. err is returned as it is, so the
// person is also told.
func (h *Handlers) settleStale(ctx context.Context, a *Action, err error) error {
	if domain.ErrorCode(err) != domain.Conflict || a.Container != "message" || !strings.HasPrefix(a.ChannelID, "D") || a.MessageTS == "" {
		return err
	}
	cm, gerr := h.Store.GetCommitment(ctx, a.TeamID, a.Value)
	if gerr != nil || cm.State == domain.CommitmentAsked {
		return err
	}
	msg := settledDM(cm, h.today())
	if cm.AskDM.TS == a.MessageTS || cm.State == domain.CommitmentDeclined {
		msg = askAnsweredDM(cm, h.today())
	}
	if _, _, _, uerr := h.Slack.UpdateMessageContext(ctx, a.ChannelID, a.MessageTS, msg...); uerr != nil {
		h.Log.Warn("could not update a settled commitment's DM", "team", a.TeamID, "commitment", cm.ID, "error", uerr.Error())
	}
	return err
}

// CommitmentNewDate handles New date: a modal with the date picker.
func (h *Handlers) CommitmentNewDate(ctx context.Context, a *Action) error {
	cm, err := h.Commitments.Changeable(ctx, commitmentAction(a.Value, a))
	if err != nil {
		return h.settleStale(ctx, a, err)
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewCommitmentNewDate,
		PrivateMetadata: whereOf(cm.ID, a).String(),
		Title:           plain("New date " + cm.ID),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Your commitment to %s:\n>%s\n%s. I'll tell them the new date.",
				commitTo(cm), commitText(cm), dueSentence(dueLine(cm, h.today())))), nil, nil),
			dueInput("New date", newDateStart(cm, h.today())),
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
	_, err := h.Commitments.Redate(ctx, submittedAction(w, s), s.Input(blockDue, actionDue))
	return formError(err)
}
