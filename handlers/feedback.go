package handlers

import (
	"context"
	"fmt"
	"slices"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Feedback (autonomy support) in Slack: the weekly question DM and its
// reminder, their Answer button and modal, `/empower feedback`, and the
// leaders channel's post of an answer, anonymised when the person asks. The
// rules (which round, who is asked, what is stored and posted) are the
// feedback service's (service/feedback); this file parses and renders. An
// anonymous answer leaves no trace of the person in anything posted to
// Slack or logged: the thank-you is the modal itself (the submission's
// ack), not a DM.

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
)

// whyLine says why the leader asks; the words come from the autonomy-support
// meetings: the leader works for the employee.
const whyLine = "Your leader works for you here. Tell them what would help you do your job better and reach your goals: they read every answer and follow up."

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
	return FeedbackDMWithNews(r, anonymousAllowed, nil)
}

// FeedbackDMWithNews is the weekly question DM of round r, opening with
// what was done about feedback since the last one (done).
func FeedbackDMWithNews(r domain.FeedbackRound, anonymousAllowed bool, done []feedback.Done) []slack.MsgOption {
	q := slacktext.EscapeTruncate(r.Question, slacktext.SectionTextMax-100)
	note := whyLine
	if anonymousAllowed {
		note += " You can answer anonymously."
	}
	text := "This week's question from your leader: " + q
	if len(done) > 0 {
		text = "You said … — we did …: your leaders did what they committed to. " + text
	}
	return []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(append(newsBlocks(done),
			slack.NewSectionBlock(fbVerbatim(":wave: *This week's question from your leader*\n>"+q), nil, nil),
			slack.NewContextBlock("feedback_why", fbMrkdwn(note)),
			answerButton(r.ID),
		)...),
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

// answeredLine thanks a person who answered, in the DM they answered from.
const answeredLine = ":pray: *Thank you: your answer is in.* Your leader reads every one and works for you here: expect them to follow up. Something else on your mind? `/empower feedback` any time."

// FeedbackAnsweredDM is round r's question DM (or its reminder) once the
// person answered r: it thanks them, and has no Answer button. A question
// DM still opens with done, what was done since the last one. Nothing in it
// points to the answer or says whether it was anonymous.
func FeedbackAnsweredDM(r domain.FeedbackRound, done []feedback.Done) []slack.MsgOption {
	q := slacktext.EscapeTruncate(r.Question, slacktext.SectionTextMax-100)
	return []slack.MsgOption{
		slack.MsgOptionText("Thank you: your answer to this week's question is in. "+q, false),
		slack.MsgOptionBlocks(append(newsBlocks(done),
			slack.NewSectionBlock(fbVerbatim(":white_check_mark: *You answered this week's question from your leader*\n>"+q), nil, nil),
			slack.NewContextBlock("feedback_answered", fbMrkdwn(answeredLine)),
		)...),
	}
}

// feedbackModal is the answer form for round r.
func feedbackModal(r domain.FeedbackRound, anonymousAllowed bool) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(fbPlain("What would help you most?"), feedbackTextAction).
		WithMultiline(true).WithMaxLength(feedback.MaxAnswerRunes)
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

func (h *Handlers) openFeedbackModal(ctx context.Context, team, triggerID, round string) error {
	r, err := h.Feedback.Round(ctx, team, round)
	if err != nil {
		return err
	}
	if _, err := h.Slack.OpenViewContext(ctx, triggerID, feedbackModal(r, h.policy().Feedback.AnonymousAllowed)); err != nil {
		return fmt.Errorf("open feedback modal: %w", err)
	}
	return nil
}

// FeedbackCommand answers `/empower feedback`: it opens the feedback modal
// for the current round.
func (h *Handlers) FeedbackCommand(ctx context.Context, c *Command) (*Reply, error) {
	if err := noArgs(c, "feedback"); err != nil {
		return nil, err
	}
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

// FeedbackSubmit hands an answer to the feedback service (which stores it
// and posts it to the leaders channel, with the person's name or
// anonymised) and thanks the person in the modal; an answer the service
// refuses is shown on the answer's input.
func (h *Handlers) FeedbackSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	rc, err := h.Feedback.Answer(ctx, s.TeamID, s.UserID, feedback.Answer{
		Round:     s.PrivateMetadata,
		Text:      s.Input(feedbackTextBlock, feedbackTextAction),
		Anonymous: slices.Contains(s.Selected(feedbackAnonBlock, feedbackAnonAction), feedbackAnonValue),
	})
	if domain.ErrorCode(err) == domain.Invalid {
		text, _ := UserMessage(err)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{feedbackTextBlock: text}), nil
	}
	if err != nil {
		return nil, err
	}
	if rc.Held {
		return slack.NewUpdateViewSubmissionResponse(feedbackHeldThanks(rc.Floor)), nil
	}
	return slack.NewUpdateViewSubmissionResponse(feedbackThanks(rc.Anonymous, rc.Posted)), nil
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

// feedbackHeldThanks replaces the modal once an anonymous answer is held
// for the anonymity floor.
func feedbackHeldThanks(floor int) *slack.ModalViewRequest {
	msg := fmt.Sprintf(":pray: *Thank you.* Your answer is saved, without your name. To keep it anonymous, your leaders get it together with other anonymous answers from your team, once there are at least %d, in random order and without times.", floor)
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  fbPlain("Feedback"),
		Close:  fbPlain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(fbMrkdwn(msg), nil, nil)}},
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
