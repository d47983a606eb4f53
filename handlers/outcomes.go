package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Outcomes: the follow-up DM ("How did the $250 discount for ACME turn
// out?"), its It worked / It didn't buttons, `/empower outcome`, the
// optional note, public praise for what worked and a private thank-you
// (with a note to the leader, who owns the fallout) for what didn't. Here
// the command, the clicks and the note modal are read and those messages
// rendered (RecognitionNotifier); who may record what, once, and who is
// told are recognition.Service's.

// Identifiers of the outcome UI. The buttons' value is the decision ID.
const (
	ActionOutcomeWorked = "outcome_worked"
	ActionOutcomeFailed = "outcome_failed"
	ActionOutcomeNote   = "outcome_note"
	// ViewOutcomeNote is the note modal; its private_metadata is
	// "<decision ID>|<DM channel>|<DM ts>".
	ViewOutcomeNote = "outcome_note"

	outcomeNoteBlock  = "outcome_note"
	outcomeNoteAction = "note"
	// MaxOutcomeNote bounds a note (runes).
	MaxOutcomeNote = 2000
)

// outcomeUsage is the usage line of `/empower outcome`, from the subcommand
// table.
var outcomeUsage = command.MustLookup("outcome").Usage()

// decisionPhrase is "the $250 discount for ACME" (escaped); the amount is
// left out unless withAmount.
func decisionPhrase(d *domain.Decision, withAmount bool) string {
	s := "the "
	if withAmount {
		s += amountText(d) + " "
	}
	s += slacktext.Escape(d.Activity)
	if c := customerText(d); c != "" {
		s += " for " + c
	}
	return s
}

// FollowUpMessage is the follow-up DM asking the requester how d turned
// out; clock shows its moments to them (see Handlers.clockFor).
func FollowUpMessage(d *domain.Decision, now time.Time, clock ClockFunc) (string, []slack.Block) {
	q := "How did " + decisionPhrase(d, true) + " turn out?"
	when := clock(d.CreatedAt, now)
	body := fmt.Sprintf(":seedling: *%s*\nYou made this call on %s (`%s`). Whatever happened, thank you for taking the risk. Tell me how it went:",
		q, when, d.ID)
	worked := slack.NewButtonBlockElement(ActionOutcomeWorked, d.ID, plain("It worked"))
	worked.Style = slack.StylePrimary
	failed := slack.NewButtonBlockElement(ActionOutcomeFailed, d.ID, plain("It didn't"))
	return q, []slack.Block{
		slack.NewSectionBlock(mrkdwn(body), nil, nil),
		slack.NewActionBlock("outcome_actions", worked, failed),
		slack.NewContextBlock("outcome_why", mrkdwn("_It worked_: I praise the risk you took in public. _It didn't_: it stays private, and your leader owns the fallout. Either way you can add a note.")),
	}
}

// recordedMessage is the follow-up DM once the outcome is recorded: no live
// outcome buttons, what was recorded, and Add a note while there is none.
func (h *Handlers) recordedMessage(d *domain.Decision) (string, []slack.Block) {
	var text, body string
	if d.Outcome.Result == domain.OutcomeWorked {
		text = fmt.Sprintf("Recorded: %s worked.", decisionPhrase(d, true))
		body = fmt.Sprintf(":tada: *Recorded: %s worked.* (`%s`)\nThank you for taking the risk. I've praised you in %s and told your leader.",
			decisionPhrase(d, true), d.ID, channelMention(h.policy().Channels.Praise))
	} else {
		text = fmt.Sprintf("Recorded: %s didn't work out.", decisionPhrase(d, true))
		body = fmt.Sprintf(":pray: *Recorded: %s didn't work out.* (`%s`)\nThat stays private. Thank you for taking the risk: failure is how we learn, and your leader owns the fallout.",
			decisionPhrase(d, true), d.ID)
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(body), nil, nil)}
	if d.Outcome.Note != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Your note*\n"+quote(slacktext.EscapeTruncate(d.Outcome.Note, slacktext.SectionTextMax-100))), nil, nil))
	} else {
		hint := "Want to add what came of it? A line or two goes on the praise post."
		if d.Outcome.Result == domain.OutcomeFailed {
			hint = "Want to tell your leader what happened? A line or two helps them take it from here."
		}
		blocks = append(blocks,
			slack.NewSectionBlock(mrkdwn(hint), nil, nil),
			slack.NewActionBlock("outcome_note_actions", slack.NewButtonBlockElement(ActionOutcomeNote, d.ID, plain("Add a note"))))
	}
	return text, blocks
}

// quote makes s a mrkdwn block quote, line by line.
func quote(s string) string { return ">" + strings.ReplaceAll(s, "\n", "\n>") }

// decisionValues are the tags of d that are policy values.
func (h *Handlers) decisionValues(d *domain.Decision) []string {
	var out []string
	for _, t := range d.Tags {
		if slices.Contains(h.policy().Values, t) {
			out = append(out, t)
		}
	}
	return out
}

// OutcomePraise is the public praise post for d, which worked.
func (h *Handlers) OutcomePraise(d *domain.Decision) (string, []slack.Block) {
	who := slacktext.User(d.Requester)
	what := decisionPhrase(d, h.policy().Praise.ShowAmounts)
	how := "on their own authority, inside their box"
	if d.State == domain.StateApproved && d.DecidedBy != "" {
		how = "with " + slacktext.User(d.DecidedBy) + " backing them"
	}
	text := fmt.Sprintf("%s took a risk on %s, and it worked.", who, what)
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf(":trophy: *%s took a risk, and it worked!*\n%s made the call on %s, %s, and it paid off.",
			who, who, what, how)), nil, nil),
	}
	if d.Outcome.Note != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*What came of it*\n"+quote(slacktext.EscapeTruncate(d.Outcome.Note, slacktext.SectionTextMax-100))), nil, nil))
	}
	if vals := h.decisionValues(d); len(vals) > 0 {
		blocks = append(blocks, slack.NewContextBlock("praise_values", mrkdwn(":sparkles: Living our values: "+tagsText(vals))))
	}
	blocks = append(blocks, slack.NewContextBlock("praise_why", mrkdwn("Trust is the default here: the people doing the work know best. We praise the risks that work; leaders own the ones that don't.")))
	return text, blocks
}

// OutcomeCommand answers `/empower outcome <decision-id> worked|failed [note]`.
func (h *Handlers) OutcomeCommand(ctx context.Context, c *Command) (*Reply, error) {
	rawID, rest := c.Args, ""
	if i := strings.IndexFunc(c.Args, unicode.IsSpace); i >= 0 {
		rawID, rest = c.Args[:i], c.Args[i:]
	}
	if strings.TrimSpace(rawID) == "" {
		return nil, domain.Invalidf("Tell me which decision and how it turned out.\n%s", outcomeUsage)
	}
	id, ok := domain.NormalizeDecisionID(rawID)
	if !ok {
		return nil, domain.Invalidf("`%s` isn't a decision ID: they look like `D-7K2QF9` (your confirmation and the follow-up DM show it).\n%s",
			slacktext.Code(rawID), outcomeUsage)
	}
	verb, note := strings.TrimSpace(rest), ""
	if i := strings.IndexFunc(verb, unicode.IsSpace); i >= 0 {
		verb, note = verb[:i], verb[i:]
	}
	var result string
	switch strings.ToLower(verb) {
	case "worked":
		result = domain.OutcomeWorked
	case "failed", "didn't", "didnt", "didn’t": // "It didn't" is the button's word
		result = domain.OutcomeFailed
	case "":
		return nil, domain.Invalidf("How did `%s` turn out? Say `worked` or `failed`.\n%s", id, outcomeUsage)
	default:
		return nil, domain.Invalidf("`%s` isn't an outcome: say `worked` or `failed`.\n%s", slacktext.Code(verb), outcomeUsage)
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > MaxOutcomeNote {
		return nil, domain.Invalidf("Your note is %d characters; keep it to %d. Nothing was recorded.\n%s", n, MaxOutcomeNote, outcomeUsage)
	}
	d, err := h.Recognition.RecordOutcome(ctx, c.TeamID, c.UserID, id, result, note)
	if err != nil {
		return nil, err
	}
	if result == domain.OutcomeWorked {
		return Text(fmt.Sprintf(":tada: Recorded: %s worked (`%s`). Thank you for taking the risk: I've praised you in %s and told your leader.",
			decisionPhrase(d, true), d.ID, channelMention(h.policy().Channels.Praise))), nil
	}
	return Text(fmt.Sprintf(":pray: Recorded: %s didn't work out (`%s`). That stays private: I've let your leader know, and they own the fallout. Thank you for taking the risk.",
		decisionPhrase(d, true), d.ID)), nil
}

// OutcomeWorked handles the follow-up DM's It worked button.
func (h *Handlers) OutcomeWorked(ctx context.Context, a *Action) error {
	return h.outcomeClick(ctx, a, domain.OutcomeWorked)
}

// OutcomeFailed handles the follow-up DM's It didn't button.
func (h *Handlers) OutcomeFailed(ctx context.Context, a *Action) error {
	return h.outcomeClick(ctx, a, domain.OutcomeFailed)
}

func (h *Handlers) outcomeClick(ctx context.Context, a *Action, result string) error {
	id, ok := domain.NormalizeDecisionID(a.Value)
	if !ok {
		return domain.Invalidf("That button is out of date; nothing changed.")
	}
	_, err := h.Recognition.RecordOutcome(ctx, a.TeamID, a.UserID, id, result, "")
	return err
}

// failedLeaderText tells leader about a decision that didn't work out.
func (h *Handlers) failedLeaderText(d *domain.Decision, leader string) string {
	how := "on their own authority, inside their box"
	switch {
	case d.State == domain.StateApproved && d.DecidedBy == leader:
		how = "with your approval"
	case d.State == domain.StateApproved && d.DecidedBy != "":
		how = "with " + slacktext.User(d.DecidedBy) + "'s approval"
	}
	s := fmt.Sprintf(":compass: %s's %s (`%s`, decided %s) didn't work out. This stays private; no one else is told. You own the fallout: check in with %s, thank them for taking the risk, and help put it right.",
		slacktext.User(d.Requester), strings.TrimPrefix(decisionPhrase(d, true), "the "), d.ID, how, slacktext.User(d.Requester))
	if d.Reason != "" {
		s += "\n*Their reason at the time*\n" + quote(slacktext.EscapeTruncate(d.Reason, 1000))
	}
	return s
}

// noteBlocks is text as a section, with d's note when there is one.
func (h *Handlers) noteBlocks(d *domain.Decision, text string) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(slacktext.Truncate(text, slacktext.SectionTextMax)), nil, nil)}
	if d.Outcome.Note != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Their note*\n"+quote(slacktext.EscapeTruncate(d.Outcome.Note, slacktext.SectionTextMax-100))), nil, nil))
	}
	return blocks
}

// OutcomeNoteClick handles Add a note: it opens the note modal.
func (h *Handlers) OutcomeNoteClick(ctx context.Context, a *Action) error {
	id, ok := domain.NormalizeDecisionID(a.Value)
	if !ok {
		return domain.Invalidf("That button is out of date; nothing changed.")
	}
	d, err := h.Recognition.CanAddNote(ctx, a.TeamID, a.UserID, id)
	if err != nil {
		return err
	}
	if a.TriggerID == "" {
		return domain.Invalidf("I can't open the form from here; use `/empower outcome %s %s <note>` instead.", d.ID, d.Outcome.Result)
	}
	in := slack.NewPlainTextInputBlockElement(plain("What came of it?"), outcomeNoteAction)
	in.Multiline = true
	in.MaxLength = MaxOutcomeNote
	label := "What came of it"
	intro := "A line or two on what came of " + decisionPhrase(d, true) + ". It goes on the praise post."
	if d.Outcome.Result == domain.OutcomeFailed {
		label = "What happened"
		intro = "A line or two on what happened with " + decisionPhrase(d, true) + ". Only your leader sees it."
	}
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewOutcomeNote,
		PrivateMetadata: d.ID + "|" + a.ChannelID + "|" + a.MessageTS,
		Title:           plain("Add a note"),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(slacktext.Truncate(intro, slacktext.SectionTextMax)), nil, nil),
			optionalInput(slack.NewInputBlock(outcomeNoteBlock, plain(label), nil, in)),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, view); err != nil {
		return fmt.Errorf("open outcome note modal: %w", err)
	}
	return nil
}

// OutcomeNoteSubmit saves the note: it goes on the praise post (worked) or
// to the leader (failed), and the follow-up DM shows it.
func (h *Handlers) OutcomeNoteSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	parts := strings.SplitN(s.PrivateMetadata, "|", 3)
	id, ok := domain.NormalizeDecisionID(parts[0])
	if !ok {
		return nil, domain.Invalidf("That form is out of date; nothing changed.")
	}
	note := strings.TrimSpace(s.Input(outcomeNoteBlock, outcomeNoteAction))
	if note == "" {
		return nil, nil
	}
	if n := utf8.RuneCountInString(note); n > MaxOutcomeNote {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{outcomeNoteBlock: fmt.Sprintf("Keep it to %d characters (this is %d).", MaxOutcomeNote, n)}), nil
	}
	var at domain.MessageRef
	if len(parts) == 3 && parts[1] != "" && parts[2] != "" {
		at = domain.MessageRef{Channel: parts[1], TS: parts[2]}
	}
	_, err := h.Recognition.AddNote(ctx, s.TeamID, s.UserID, id, note, at)
	if c := domain.ErrorCode(err); c == domain.Forbidden || c == domain.Conflict {
		// Refused: said in the form, which stays open.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{outcomeNoteBlock: domain.ErrorMessage(err)}), nil
	}
	return nil, err
}

// PraiseOutcome posts the public praise of d, which worked
// (recognition.Notifier).
func (n RecognitionNotifier) PraiseOutcome(ctx context.Context, d *domain.Decision) (domain.MessageRef, error) {
	text, blocks := n.H.OutcomePraise(d)
	return n.postToPraiseOnce(ctx, slackapi.PostTag("outcome-praise", d.ID), text, blocks)
}

// UpdatePraise shows d's note on its praise post at (recognition.Notifier).
func (n RecognitionNotifier) UpdatePraise(ctx context.Context, d *domain.Decision, at domain.MessageRef) error {
	text, blocks := n.H.OutcomePraise(d)
	_, _, _, err := n.H.Slack.UpdateMessageContext(ctx, at.Channel, at.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	return err
}

// ThankRequester DMs d's requester a thank-you for a risk that didn't work
// out (recognition.Notifier).
func (n RecognitionNotifier) ThankRequester(ctx context.Context, d *domain.Decision) error {
	thanks := fmt.Sprintf(":pray: Thank you for taking the risk on %s (`%s`). It didn't work out this time, and that's fine: failure is how we learn. This stays between you and your leader, who owns the fallout.",
		decisionPhrase(d, true), d.ID)
	_, _, err := n.H.dmOnce(ctx, d.Team, d.Requester, slackapi.PostTag("outcome-thanks", d.ID),
		slack.MsgOptionText(thanks, false), slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(thanks), nil, nil)))
	return err
}

// TellLeader DMs leader the news about d's outcome, with the requester's
// note (recognition.Notifier).
func (n RecognitionNotifier) TellLeader(ctx context.Context, d *domain.Decision, leader string, news recognition.News) error {
	h := n.H
	var text string
	switch news {
	case recognition.NewsWorked:
		text = fmt.Sprintf(":tada: Good news: %s's %s worked (`%s`). I've praised the risk they took in %s; a word from you would mean a lot too.",
			slacktext.User(d.Requester), strings.TrimPrefix(decisionPhrase(d, true), "the "), d.ID, channelMention(h.policy().Channels.Praise))
	case recognition.NewsFailed:
		text = h.failedLeaderText(d, leader)
	case recognition.NewsNoted:
		text = fmt.Sprintf(":memo: %s added a note about %s (`%s`), which didn't work out:", slacktext.User(d.Requester), decisionPhrase(d, true), d.ID)
	default:
		return fmt.Errorf("tell leader about %s: unknown news %d", d.ID, news)
	}
	tag := slackapi.PostTag("outcome-told", d.ID+"/"+leader+"/"+strconv.Itoa(int(news)))
	_, _, err := h.dmOnce(ctx, d.Team, leader, tag, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(h.noteBlocks(d, text)...))
	return err
}

// SendFollowUp DMs d's requester the follow-up question; a person Slack
// will never let the bot reach is a *recognition.UnreachableError
// (recognition.Notifier).
func (n RecognitionNotifier) SendFollowUp(ctx context.Context, d *domain.Decision) (domain.MessageRef, error) {
	text, blocks := FollowUpMessage(d, n.H.Clock.Now(), n.H.clockFor(ctx, d.Team, d.Requester))
	ch, ts, err := n.H.dmOnce(ctx, d.Team, d.Requester, FollowUpTag(d.ID), slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		if slackapi.Classify(err) == slackapi.Permanent {
			return domain.MessageRef{}, &recognition.UnreachableError{Reason: cmp.Or(slackapi.Code(err), "permanent"), Err: err}
		}
		return domain.MessageRef{}, err
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// FollowUpTag names the follow-up DM of decision id in its message
// metadata, so that a run taking over a follow-up finds the DM an earlier
// run sent without recording it (domain.WithFinishing).
func FollowUpTag(id string) slackapi.Tag { return slackapi.PostTag("followup", id) }

// ShowRecorded shows d's recorded outcome in its follow-up DM at
// (recognition.Notifier).
func (n RecognitionNotifier) ShowRecorded(ctx context.Context, d *domain.Decision, at domain.MessageRef) error {
	text, blocks := n.H.recordedMessage(d)
	_, _, _, err := n.H.Slack.UpdateMessageContext(ctx, at.Channel, at.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	return err
}
