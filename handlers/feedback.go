package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Feedback (autonomy support): the weekly question DM, its Answer button and
// modal, `/empower feedback`, and answers posted to the leaders channel,
// anonymised when the person asks. An anonymous answer leaves no trace of
// the person in anything posted to Slack or logged: the thank-you is the
// modal itself (the submission's ack), not a DM.

// Identifiers of the feedback UI.
const (
	// ActionFeedbackAnswer is the Answer button of the feedback DM; its
	// value is the round ID.
	ActionFeedbackAnswer = "feedback_answer"
	// ViewFeedback is the callback_id of the feedback modal; its
	// private_metadata is the round ID.
	ViewFeedback = "feedback"

	feedbackTextBlock  = "feedback_text"
	feedbackTextAction = "text"
	feedbackAnonBlock  = "feedback_anon"
	feedbackAnonAction = "anon"
	feedbackAnonValue  = "anonymous"
	// FeedbackMaxRunes bounds an answer (the input's max_length).
	FeedbackMaxRunes = 3000
)

// whyLine says why the leader asks; the words come from the autonomy-support
// meetings: the leader works for the employee.
const whyLine = "Your leader works for you here. Tell them what would help you do your job better and reach your goals: they read every answer and follow up."

// feedbackEpoch is a Monday: weeks are counted from it to rotate the questions.
var feedbackEpoch = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// QuestionOfWeek returns the question of the week holding t (in the policy's
// timezone) and its index: the questions rotate one a week, in order, the
// same on every replica.
func QuestionOfWeek(p *domain.Policy, t time.Time) (string, int) {
	qs := p.Feedback.Questions
	if len(qs) == 0 {
		qs = domain.DefaultQuestions()
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(feedbackEpoch).Hours() / 24)
	week := days / 7
	if days < 0 {
		week = (days - 6) / 7
	}
	i := ((week % len(qs)) + len(qs)) % len(qs)
	return qs[i], i
}

func fbMrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func fbVerbatim(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func fbPlain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func answerButton(round string) slack.Block {
	b := slack.NewButtonBlockElement(ActionFeedbackAnswer, round, fbPlain("Answer"))
	b.Style = slack.StylePrimary
	return slack.NewActionBlock("feedback_actions", b)
}

// FeedbackDM is the weekly question DM of round r.
func FeedbackDM(r domain.FeedbackRound, anonymousAllowed bool) []slack.MsgOption {
	q := slacktext.EscapeTruncate(r.Question, slacktext.SectionTextMax-100)
	note := whyLine
	if anonymousAllowed {
		note += " You can answer anonymously."
	}
	return []slack.MsgOption{
		slack.MsgOptionText("This week's question from your leader: "+q, false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(fbVerbatim(":wave: *This week's question from your leader*\n>"+q), nil, nil),
			slack.NewContextBlock("feedback_why", fbMrkdwn(note)),
			answerButton(r.ID),
		),
	}
}

// FeedbackReminderDM nudges a person who has not answered round r yet.
func FeedbackReminderDM(r domain.FeedbackRound) []slack.MsgOption {
	q := slacktext.EscapeTruncate(r.Question, slacktext.SectionTextMax-100)
	return []slack.MsgOption{
		slack.MsgOptionText("A reminder: your leader would still like to hear from you. "+q, false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(fbVerbatim(":hourglass_flowing_sand: *Your leader would still like to hear from you this week*\n>"+q), nil, nil),
			slack.NewContextBlock("feedback_why", fbMrkdwn(whyLine+" A few words are enough.")),
			answerButton(r.ID),
		),
	}
}

// feedbackModal is the answer form for round r.
func feedbackModal(r domain.FeedbackRound, anonymousAllowed bool) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(fbPlain("What would help you most?"), feedbackTextAction).
		WithMultiline(true).WithMaxLength(FeedbackMaxRunes)
	blocks := []slack.Block{
		slack.NewSectionBlock(fbVerbatim("*"+slacktext.EscapeTruncate(r.Question, slacktext.SectionTextMax-10)+"*"), nil, nil),
		slack.NewContextBlock("feedback_why", fbMrkdwn(whyLine)),
		slack.NewInputBlock(feedbackTextBlock, fbPlain("Your answer"), nil, input),
	}
	if anonymousAllowed {
		opt := slack.NewOptionBlockObject(feedbackAnonValue, fbPlain("Answer anonymously"),
			fbPlain("Leaders see your answer without your name."))
		anon := slack.NewInputBlock(feedbackAnonBlock, fbPlain("Anonymity"), nil,
			slack.NewCheckboxGroupsBlockElement(feedbackAnonAction, opt))
		anon.Optional = true
		blocks = append(blocks, anon)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewFeedback,
		PrivateMetadata: r.ID,
		Title:           fbPlain("Feedback"),
		Submit:          fbPlain("Send"),
		Close:           fbPlain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// feedbackRound returns round id, or for an unknown round ("" or expired)
// the current round, or failing that this week's question outside any round.
func (h *Handlers) feedbackRound(ctx context.Context, team, id string) (domain.FeedbackRound, error) {
	if id != "" && id != domain.NoRound {
		r, err := h.Store.FeedbackRound(ctx, team, id)
		if err != nil {
			return domain.FeedbackRound{}, err
		}
		if r != nil {
			return *r, nil
		}
	}
	if id == "" {
		r, err := h.Store.CurrentFeedbackRound(ctx, team)
		if err != nil {
			return domain.FeedbackRound{}, err
		}
		if r != nil {
			return *r, nil
		}
	}
	q, i := QuestionOfWeek(h.Policy, h.Clock.Now())
	return domain.FeedbackRound{ID: domain.NoRound, Question: q, Index: i}, nil
}

func (h *Handlers) openFeedbackModal(ctx context.Context, team, triggerID, round string) error {
	r, err := h.feedbackRound(ctx, team, round)
	if err != nil {
		return err
	}
	if _, err := h.Slack.OpenViewContext(ctx, triggerID, feedbackModal(r, h.Policy.Feedback.AnonymousAllowed)); err != nil {
		return fmt.Errorf("open feedback modal: %w", err)
	}
	return nil
}

// FeedbackCommand answers `/empower feedback`: it opens the feedback modal
// for the current round.
func (h *Handlers) FeedbackCommand(ctx context.Context, c *Command) (*Reply, error) {
	if err := h.openFeedbackModal(ctx, c.TeamID, c.TriggerID, ""); err != nil {
		return nil, err
	}
	return nil, nil
}

// FeedbackAnswer handles the Answer button of a feedback DM: it opens the
// modal for the DM's round.
func (h *Handlers) FeedbackAnswer(ctx context.Context, a *Action) error {
	round := a.Value
	if round == "" {
		round = domain.NoRound
	}
	return h.openFeedbackModal(ctx, a.TeamID, a.TriggerID, round)
}

// FeedbackSubmit stores an answer, posts it to the leaders channel (with the
// person's name, or anonymised) and thanks the person in the modal.
func (h *Handlers) FeedbackSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	text := strings.TrimSpace(s.Input(feedbackTextBlock, feedbackTextAction))
	switch {
	case text == "":
		return slack.NewErrorsViewSubmissionResponse(map[string]string{
			feedbackTextBlock: "Please write a few words: what would help you?",
		}), nil
	case utf8.RuneCountInString(text) > FeedbackMaxRunes:
		return slack.NewErrorsViewSubmissionResponse(map[string]string{
			feedbackTextBlock: fmt.Sprintf("Please keep it under %d characters.", FeedbackMaxRunes),
		}), nil
	}
	anonymous := h.Policy.Feedback.AnonymousAllowed &&
		slices.Contains(s.Selected(feedbackAnonBlock, feedbackAnonAction), feedbackAnonValue)
	round, err := h.feedbackRound(ctx, s.TeamID, s.PrivateMetadata)
	if err != nil {
		return nil, err
	}
	now := h.Clock.Now()
	ans := domain.FeedbackAnswer{Round: round.ID, Question: round.Question, Text: text, Anonymous: anonymous, At: now}
	if err := h.Store.SaveFeedbackAnswer(ctx, s.TeamID, s.UserID, ans); err != nil {
		return nil, err
	}
	posted := true
	if ch := h.Policy.Channels.Leaders; ch != "" {
		author := ""
		if !anonymous {
			author = s.UserID
		}
		if _, _, err := h.Slack.PostMessageContext(ctx, ch, FeedbackPost(round.Question, text, author)...); err != nil {
			posted = false
			// Never the person: the answer may be anonymous.
			h.Log.Warn("feedback answer not posted to the leaders channel", "round", round.ID, "error", err.Error())
		}
	}
	return slack.NewUpdateViewSubmissionResponse(feedbackThanks(anonymous, posted)), nil
}

// FeedbackPost is the leaders channel message of one answer; author is the
// person's user ID, or "" for an anonymous answer (then nothing in the
// message points to the person).
func FeedbackPost(question, answer, author string) []slack.MsgOption {
	text, blocks := feedbackPostBlocks(question, answer, author)
	return []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
}

func feedbackPostBlocks(question, answer, author string) (string, []slack.Block) {
	q := slacktext.EscapeTruncate(question, slacktext.ContextTextMax)
	a := slacktext.EscapeTruncate(answer, slacktext.SectionTextMax)
	title, from := ":speech_balloon: *Anonymous feedback*", "Anonymous: the person asked not to be named."
	fallback := "Anonymous feedback"
	if author != "" {
		title = fmt.Sprintf(":speech_balloon: *Feedback from <@%s>*", author)
		from = fmt.Sprintf("From <@%s>. You work for them here: follow up, and commit to what you will do by when.", author)
		fallback = fmt.Sprintf("Feedback from <@%s>", author)
	} else {
		from += " You work for them here: answer the team, and commit to what you will do by when."
	}
	return fallback, []slack.Block{
		slack.NewSectionBlock(fbMrkdwn(title), nil, nil),
		slack.NewContextBlock("feedback_question", fbVerbatim("Question: "+q)),
		slack.NewSectionBlock(fbVerbatim(a), nil, nil),
		slack.NewContextBlock("feedback_from", fbMrkdwn(from)),
	}
}

// feedbackThanks replaces the modal once the answer is stored.
func feedbackThanks(anonymous, posted bool) *slack.ModalViewRequest {
	msg := ":pray: *Thank you.* Your answer is with your leaders"
	if anonymous {
		msg += ", without your name"
	}
	msg += "."
	if !posted {
		msg = ":pray: *Thank you.* Your answer is saved, though it could not be posted to your leaders just now."
	}
	msg += " They work for you here: expect them to follow up on what you asked for."
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  fbPlain("Feedback"),
		Close:  fbPlain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(fbMrkdwn(msg), nil, nil)}},
	}
}
