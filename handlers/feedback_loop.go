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
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Closing the loop in Slack: the Reply and Commit to this buttons on each
// answer posted to the leaders, their modals, the reply relayed to the
// author by DM, and the answer's post showing who replied and who committed.
// Buttons and modals carry only the answer's opaque ID: for an anonymous
// answer nothing the leader's Slack receives (message, block_id, action
// value, private_metadata) points to the person.

// Identifiers of the loop's UI.
const (
	// ActionFeedbackReply is Reply on an answer's post; its value is the
	// answer ID.
	ActionFeedbackReply = "feedback_reply"
	// ActionFeedbackCommit is Commit to this; its value is the answer ID.
	ActionFeedbackCommit = "feedback_commit"
	// ViewFeedbackReply is the reply modal; its private_metadata is the
	// answer ID.
	ViewFeedbackReply = "feedback_reply"
	// ViewFeedbackCommit is the Commit to this modal; its
	// private_metadata is the answer ID.
	ViewFeedbackCommit = "feedback_commit"

	fbReplyBlock  = "fb_reply"
	fbReplyAction = "text"
	fbWhatBlock   = "fb_what"
	fbWhatAction  = "text"
	fbWhenBlock   = "fb_when"
	fbWhenAction  = "when"
)

// answerPostBlocks is an answer's post in the leaders channel: the answer,
// for a batch of anonymous answers how they were posted, what leaders did
// with it, and Reply and Commit to this.
func answerPostBlocks(a domain.FeedbackAnswer, st domain.AnswerStatus) (string, []slack.Block) {
	text, blocks := feedbackPostBlocks(a.Question, a.Text, a.User)
	if a.Anonymous && st.Batch > 1 {
		blocks = append(blocks, slack.NewContextBlock("feedback_batch", fbMrkdwn(fmt.Sprintf(
			"One of %d anonymous answers from the team, posted together in random order, so that no one can be told apart by when they answered.", st.Batch))))
	}
	var done []string
	if len(st.RepliedBy) > 0 {
		done = append(done, ":leftwards_arrow_with_hook: Replied by "+slacktext.Mentions(st.RepliedBy))
	}
	if st.Commitment != "" {
		done = append(done, fmt.Sprintf(":handshake: %s committed to this (`%s`)", slacktext.User(st.CommittedBy), st.Commitment))
	}
	if len(done) > 0 {
		blocks = append(blocks, slack.NewContextBlock("feedback_status", fbMrkdwn(strings.Join(done, " · "))))
	}
	reply := slack.NewButtonBlockElement(ActionFeedbackReply, a.ID, fbPlain("Reply"))
	buttons := []slack.BlockElement{reply}
	if st.Commitment == "" {
		commit := slack.NewButtonBlockElement(ActionFeedbackCommit, a.ID, fbPlain("Commit to this"))
		commit.Style = slack.StylePrimary
		buttons = append(buttons, commit)
	}
	return text, append(blocks, slack.NewActionBlock("feedback_loop", buttons...))
}

// PostAnswer posts a to channel (feedback.Notifier): with a.User's name, or
// anonymised when a.User is "", with Reply and Commit to this; when ctx
// finishes an earlier handling of the submission, a post of a made before
// the crash is found and not made again.
func (n FeedbackNotifier) PostAnswer(ctx context.Context, channel string, a domain.FeedbackAnswer, st domain.AnswerStatus) (domain.MessageRef, error) {
	text, blocks := answerPostBlocks(a, st)
	ch, ts, err := n.H.postOnce(ctx, channel, slackapi.PostTag("answer", a.ID), slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return domain.MessageRef{}, fmt.Errorf("post feedback answer: %w", err)
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// ShowAnswer updates a's post to show st (feedback.Notifier).
func (n FeedbackNotifier) ShowAnswer(ctx context.Context, a domain.FeedbackAnswer, st domain.AnswerStatus) {
	text, blocks := answerPostBlocks(a, st)
	if _, _, _, err := n.H.Slack.UpdateMessageContext(ctx, st.Post.Channel, st.Post.TS,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		n.H.Log.Warn("could not update a feedback answer's post", "answer", a.ID, "error", err.Error())
	}
}

// RelayReply DMs author leader's reply to a (feedback.Notifier).
func (n FeedbackNotifier) RelayReply(ctx context.Context, team, author string, a domain.FeedbackAnswer, leader, text string) error {
	head := fmt.Sprintf(":leftwards_arrow_with_hook: *%s replied to your feedback*", slacktext.User(leader))
	said := "You said: “" + slacktext.EscapeTruncate(a.Text, 1200) + "”"
	note := "They read what you wrote and answered it. To talk it over, reply to them directly, or answer again next week."
	if a.Anonymous {
		note = "You answered anonymously, and you still are: I passed their reply on without telling them who you are."
	}
	body := slacktext.EscapeTruncate(text, slacktext.SectionTextMax-50)
	_, _, err := n.H.DM(ctx, team, author,
		slack.MsgOptionText(fmt.Sprintf("%s replied to your feedback: %s", slacktext.User(leader), slacktext.Truncate(body, 2500)), false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(fbMrkdwn(head), nil, nil),
			slack.NewContextBlock("feedback_said", fbVerbatim(said)),
			slack.NewSectionBlock(fbVerbatim(quoteLines(body)), nil, nil),
			slack.NewContextBlock("feedback_anon_note", fbMrkdwn(note)),
		))
	return err
}

// quoteLines quotes every line of s for mrkdwn.
func quoteLines(s string) string { return ">" + strings.ReplaceAll(s, "\n", "\n>") }

// loopTarget opens the loop's modals: the answer a leader clicked.
func (h *Handlers) loopTarget(ctx context.Context, a *Action) (feedback.Target, error) {
	return h.Feedback.Answerable(ctx, a.TeamID, a.UserID, a.Value)
}

// answerQuote shows the answer in a modal.
func answerQuote(a domain.FeedbackAnswer) slack.Block {
	from := "Anonymous"
	if a.User != "" {
		from = slacktext.User(a.User)
	}
	return slack.NewSectionBlock(fbVerbatim(fmt.Sprintf("*%s* · _%s_\n%s", from,
		slacktext.EscapeTruncate(a.Question, 300), quoteLines(slacktext.EscapeTruncate(a.Text, 2000)))), nil, nil)
}

// FeedbackReplyClick opens the reply modal for the answer clicked.
func (h *Handlers) FeedbackReplyClick(ctx context.Context, a *Action) error {
	t, err := h.loopTarget(ctx, a)
	if err != nil {
		return err
	}
	to := fmt.Sprintf("I'll DM your reply to %s.", slacktext.User(t.Answer.User))
	if t.Answer.Anonymous {
		to = "I'll DM your reply to the person who wrote this. They stay anonymous: you won't learn who it is, and they'll see that."
	}
	input := slack.NewPlainTextInputBlockElement(fbPlain("What would you like to tell them?"), fbReplyAction).
		WithMultiline(true).WithMaxLength(feedback.MaxReplyRunes)
	v := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: ViewFeedbackReply, PrivateMetadata: t.Answer.ID,
		Title: fbPlain("Reply to feedback"), Submit: fbPlain("Send"), Close: fbPlain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			answerQuote(t.Answer),
			slack.NewInputBlock(fbReplyBlock, fbPlain("Your reply"), nil, input),
			slack.NewContextBlock("fb_reply_to", fbMrkdwn(to)),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open reply modal: %w", err)
	}
	return nil
}

// FeedbackReplySubmit relays the reply to the answer's author (once per
// modal, whatever double submissions or redeliveries) and says so in the
// modal; a refusal is shown on the reply's input.
func (h *Handlers) FeedbackReplySubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	err := h.Feedback.SendReply(ctx, feedback.Reply{
		Team: s.TeamID, Leader: s.UserID, Answer: s.PrivateMetadata, Text: s.Input(fbReplyBlock, fbReplyAction), Op: s.ViewID,
	})
	if domain.IsRefusal(err) {
		text, _ := UserMessage(err)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fbReplyBlock: slacktext.Truncate(text, 1900)}), nil
	}
	if err != nil {
		return nil, err
	}
	return slack.NewUpdateViewSubmissionResponse(loopDone("Reply to feedback",
		":white_check_mark: *Sent.* I DMed your reply to the person who wrote it. The post in the channel shows that you replied, so no one answers twice.")), nil
}

// loopDone replaces a loop modal once it did its job.
func loopDone(title, msg string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type: slack.VTModal, Title: fbPlain(title), Close: fbPlain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(fbMrkdwn(msg), nil, nil)}},
	}
}

// teamWords names a policy team for people: "team north", or "the
// people in no team".
func teamWords(name string) string {
	if name == "" {
		return "the team"
	}
	return "team *" + slacktext.EscapeTruncate(name, 80) + "*"
}

// FeedbackCommitClick opens the Commit to this modal: what, by when.
func (h *Handlers) FeedbackCommitClick(ctx context.Context, a *Action) error {
	t, err := h.loopTarget(ctx, a)
	if err != nil {
		return err
	}
	if t.Status.Commitment != "" {
		return domain.Conflictf("%s already committed to this answer (`%s`): nothing was committed twice.", slacktext.User(t.Status.CommittedBy), t.Status.Commitment)
	}
	to := fmt.Sprintf("A commitment to %s. I'll remind you before it's due, and when you mark it done I'll tell them: “You said … — we did …”.", slacktext.User(t.Answer.User))
	if t.Answer.Anonymous {
		to = fmt.Sprintf("The answer is anonymous, so this is a commitment to %s: each of them sees it as “to your team”, and when you mark it done they're all told: “You said … — we did …”. The person who wrote it stays anonymous.", teamWords(t.Answer.TeamName))
	}
	what := slack.NewPlainTextInputBlockElement(fbPlain("What you will do about it"), fbWhatAction).
		WithMultiline(true).WithMaxLength(commitments.MaxText)
	when := slack.NewPlainTextInputBlockElement(fbPlain("friday, 12/15, in 2 weeks"), fbWhenAction).WithMaxLength(60)
	v := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: ViewFeedbackCommit, PrivateMetadata: t.Answer.ID,
		Title: fbPlain("Commit to this"), Submit: fbPlain("Commit"), Close: fbPlain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			answerQuote(t.Answer),
			slack.NewInputBlock(fbWhatBlock, fbPlain("What will you do?"), nil, what),
			slack.NewInputBlock(fbWhenBlock, fbPlain("By when?"), fbPlain("As in /empower commit: a date (2026-12-15, 12/15), a day (friday, tomorrow) or in 2 weeks."), when),
			slack.NewContextBlock("fb_commit_to", fbMrkdwn(to)),
		}},
	}
	if _, err := h.Slack.OpenViewContext(ctx, a.TriggerID, v); err != nil {
		return fmt.Errorf("open commit modal: %w", err)
	}
	return nil
}

// FeedbackCommitSubmit makes the commitment (to the author, or to the team
// for an anonymous answer), shows it on the answer's post and says so in
// the modal. A refusal is shown on the input it is about; a second
// commitment to the same answer is refused, naming the first.
func (h *Handlers) FeedbackCommitSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	fieldErr := func(block string, err error) (*slack.ViewSubmissionResponse, error) {
		text, _ := UserMessage(err)
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: slacktext.Truncate(text, 1900)}), nil
	}
	t, err := h.Feedback.Answerable(ctx, s.TeamID, s.UserID, s.PrivateMetadata)
	if domain.IsRefusal(err) {
		return fieldErr(fbWhatBlock, err)
	}
	if err != nil {
		return nil, err
	}
	cid := domain.NewCommitmentID()
	if err := h.Feedback.ReserveCommitment(ctx, s.TeamID, t.Answer.ID, cid, s.UserID); domain.IsRefusal(err) {
		return fieldErr(fbWhatBlock, err)
	} else if err != nil {
		return nil, err
	}
	req := commitments.FeedbackRequest{
		Team: s.TeamID, Leader: s.UserID, ID: cid, Answer: t.Answer.ID, Said: t.Answer.Text,
		Employee: t.Answer.User, TeamName: t.Answer.TeamName,
		Text: s.Input(fbWhatBlock, fbWhatAction), When: s.Input(fbWhenBlock, fbWhenAction),
	}
	if t.Answer.Anonymous {
		if req.Members, err = h.Feedback.TeamPeople(ctx, t.Answer.TeamName); err != nil {
			h.Feedback.ReleaseCommitment(ctx, s.TeamID, t.Answer.ID, cid)
			return nil, err
		}
	}
	cm, err := h.Commitments.CommitToFeedback(ctx, req)
	if err != nil {
		h.Feedback.ReleaseCommitment(ctx, s.TeamID, t.Answer.ID, cid)
		var fe *commitments.FieldError
		if errors.As(err, &fe) {
			block := fbWhatBlock
			if fe.Field == commitments.FieldWhen {
				block = fbWhenBlock
			}
			return fieldErr(block, fe)
		}
		if domain.IsRefusal(err) {
			return fieldErr(fbWhatBlock, err)
		}
		return nil, err
	}
	h.Feedback.Refresh(ctx, s.TeamID, t.Answer.ID)
	return slack.NewUpdateViewSubmissionResponse(loopDone("Commit to this", fmt.Sprintf(
		":handshake: *Committed* (`%s`): %s, by *%s*. I told %s, and I'll remind you before it's due.",
		cm.ID, commitText(cm), commitments.DueText(cm, h.today()), commitTo(cm)))), nil
}

// commitTo names whom cm is to: the person, or the team.
func commitTo(cm *domain.CommitmentRecord) string { return commitToOf(&cm.Commitment) }

// commitToOf is commitTo of a commitment noun.
func commitToOf(c *domain.Commitment) string {
	if c.ToTeam {
		return teamWords(c.TeamName)
	}
	return slacktext.User(c.Employee)
}

// loopDoneText is "You said … — we did …": what the person (or the team)
// said, and what their leader did about it.
func loopDoneText(cm *domain.CommitmentRecord) string {
	said := slacktext.EscapeTruncate(cm.Said, 600)
	if cm.ToTeam {
		return fmt.Sprintf(":white_check_mark: *You said … — we did …*\nSomeone in your team said: “%s”\nWe did: *%s*. %s saw to it. Thank you for speaking up.",
			said, commitText(cm), slacktext.User(cm.Leader))
	}
	return fmt.Sprintf(":white_check_mark: *You said … — we did …*\nYou said: “%s”\nWe did: *%s*. %s saw to it. Thank you for speaking up.",
		said, commitText(cm), slacktext.User(cm.Leader))
}

// loopMadeText tells the person (or each of the team) that their leader
// committed to what they said.
func loopMadeText(cm *domain.CommitmentRecord, today dates.Date) string {
	said := slacktext.EscapeTruncate(cm.Said, 600)
	if cm.ToTeam {
		return fmt.Sprintf(":handshake: %s committed to your team, answering feedback someone gave: “%s”\nThey will: *%s*, by *%s*. I'll tell you when it's done.",
			slacktext.User(cm.Leader), said, commitText(cm), commitments.DueText(cm, today))
	}
	return fmt.Sprintf(":handshake: %s committed to you, answering your feedback: “%s”\nThey will: *%s*, by *%s*. I'll tell you when it's done.",
		slacktext.User(cm.Leader), said, commitText(cm), commitments.DueText(cm, today))
}

// tellTeam DMs text to each person of cm's team; it returns the first
// failure and goes on with the others.
func (n *CommitmentsSlack) tellTeam(ctx context.Context, cm *domain.CommitmentRecord, ev domain.Event, text string) error {
	people, err := n.h.Feedback.TeamPeople(ctx, cm.TeamName)
	if err != nil {
		return err
	}
	var first error
	for _, p := range people {
		if p == cm.Leader {
			continue
		}
		if err := n.dm(ctx, cm, p, ev, text); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// newsBlocks open a round's DM with what was done about feedback since the
// last round.
func newsBlocks(done []feedback.Done) []slack.Block {
	if len(done) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(":white_check_mark: *Since the last question: you said … — we did …*")
	for i, d := range done {
		if i == 5 {
			fmt.Fprintf(&b, "\n…and %d more", len(done)-i)
			break
		}
		who := "You said"
		if d.ToTeam {
			who = "Someone in your team said"
		}
		fmt.Fprintf(&b, "\n• %s: “%s” — we did: *%s* (%s)", who, slacktext.EscapeTruncate(d.Said, 200),
			slacktext.EscapeTruncate(d.Did, 200), slacktext.User(d.Leader))
	}
	return []slack.Block{slack.NewSectionBlock(fbMrkdwn(slacktext.Truncate(b.String(), slacktext.SectionTextMax)), nil, nil), slack.NewDividerBlock()}
}
