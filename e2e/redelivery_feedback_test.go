package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Redelivered feedback: a submission delivered again after the replica
// that handled it died between the saved answer and the post to the
// leaders channel (or after the post, before the envelope was recorded
// handled) is the same answer: stored once, posted once.

// crashedFeedback is the feedback Notifier of a replica that dies right
// after an answer is saved: nothing reaches Slack.
type crashedFeedback struct{}

func (crashedFeedback) Question(context.Context, string, domain.FeedbackRound, []string, feedback.News) feedback.Send {
	return func(context.Context, string) (string, string, error) { return "", "", errCrashed }
}
func (crashedFeedback) Reminder(context.Context, string, domain.FeedbackRound, []string) feedback.Send {
	return func(context.Context, string) (string, string, error) { return "", "", errCrashed }
}
func (crashedFeedback) PostAnswer(context.Context, string, domain.FeedbackAnswer, domain.AnswerStatus) (domain.MessageRef, error) {
	return domain.MessageRef{}, errCrashed
}
func (crashedFeedback) ShowAnswer(context.Context, domain.FeedbackAnswer, domain.AnswerStatus) {}
func (crashedFeedback) ShowAnswered(context.Context, domain.FeedbackRound, string, domain.MessageRef, []feedback.Done) error {
	return errCrashed
}
func (crashedFeedback) RelayReply(context.Context, string, string, domain.FeedbackAnswer, string, string) error {
	return errCrashed
}

// dyingFeedback is the feedback service of a replica that saves an answer
// and dies before posting it: the service itself, over the same Redis,
// policy and clock.
func (e *fbEnv) dyingFeedback() *feedback.Service {
	return feedback.New(e.store, crashedFeedback{}, nil, nil, e.Clock, nil,
		feedback.Config{Team: apptest.Team, Policies: domain.NewPolicies(e.Policy)})
}

// asDecisions is e for the crash helpers of redelivery_clicks_test.go.
func (e *fbEnv) asDecisions() *decisionEnv {
	return &decisionEnv{Env: e.Env, t: e.t, store: e.store}
}

// answerPosts counts the leaders channel's posts of an answer saying text.
func (e *fbEnv) answerPosts(text string) int {
	return countWith(e.Emu.Messages(apptest.Leaders), text)
}

// checkStoredOnce fails the test unless round holds text once.
func (e *fbEnv) checkStoredOnce(round, text string) {
	e.t.Helper()
	as, err := e.store.FeedbackAnswers(e.Ctx(), apptest.Team, round)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, a := range as {
		if a.Text == text {
			n++
		}
	}
	if n != 1 {
		e.t.Errorf("round %s holds %q %d times, want once (%d answers)", round, text, n, len(as))
	}
}

// The replica saved Alice's answer and died before posting it: the
// submission, delivered again, is the same answer: it reaches the leaders
// once and is stored once (not a second answer of hers beside the first).
func TestRedeliveredFeedbackAnswerIsPostedOnceAfterACrash(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: noFloor(feedbackPolicy(yearlySpec, yearlySpec, true))})
	e.runNow(jobs.JobFeedback)
	dm := e.feedbackDMOf(apptest.Alice, false)
	round, _, _ := roundOf(dm)
	if _, err := e.Emu.Click(e.Ctx(), apptest.Alice, dm, "Answer"); err != nil {
		t.Fatalf("Alice clicks Answer: %v", err)
	}
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Alice, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewFeedback && v.Open })
	if err != nil {
		t.Fatalf("no feedback modal: %v", err)
	}
	const answer = "Fewer meetings on Mondays, please."
	dying := e.dyingFeedback()
	ack := e.asDecisions().afterACrashDoing(t, "view", "", func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.SubmitView(ctx, apptest.Alice, v.ID, slackemu.Values{}.Set("feedback_text", "text", answer))
	}, func(ctx context.Context, key string) {
		rc, err := dying.Answer(domain.WithRequestKey(ctx, key), apptest.Team, apptest.Alice, feedback.Answer{Round: round, Text: answer})
		if err != nil || rc.Posted {
			t.Fatalf("the dying replica's answer: %+v %v", rc, err)
		}
	})
	if ack.ResponseAction != "update" || !strings.Contains(string(ack.Payload), "with your leaders") {
		t.Errorf("the modal after the redelivery: %q %s, want the thanks saying it is with the leaders", ack.ResponseAction, ack.Payload)
	}
	e.waitAnswerPost(apptest.Leaders, answer)
	e.StopAll()
	if n := e.answerPosts(answer); n != 1 {
		t.Errorf("the leaders got Alice's answer %d times, want once: %s", n, dump(e.Emu.Messages(apptest.Leaders)))
	}
	e.checkStoredOnce(round, answer)
}

// The replica saved and posted Alice's answer and died before recording
// the submission handled: delivered again, it posts nothing more.
func TestRedeliveredFeedbackAnswerAfterItsPostPostsNone(t *testing.T) {
	e := startFeedback(t, apptest.Options{Policy: noFloor(feedbackPolicy(yearlySpec, yearlySpec, true))})
	e.runNow(jobs.JobFeedback)
	dm := e.feedbackDMOf(apptest.Alice, false)
	round, _, _ := roundOf(dm)
	const answer = "Fewer meetings on Mondays, please."
	ack := e.fbAnswer(apptest.Alice, answer, false)
	e.waitAnswerPost(apptest.Leaders, answer)
	claim := e.Emu.Trigger(ack.EnvelopeID)
	de := e.asDecisions()
	waitEnvelopeDone(t, de, "view", claim)
	markEnvelopeCrashed(t, de, "view", claim)
	again, err := e.Emu.Redeliver(e.Ctx(), ack.EnvelopeID, "timeout")
	if err != nil {
		t.Fatalf("redelivery not acked: %v", err)
	}
	if again.ResponseAction != "update" || !strings.Contains(string(again.Payload), "with your leaders") {
		t.Errorf("the modal after the redelivery: %q %s, want the thanks saying it is with the leaders", again.ResponseAction, again.Payload)
	}
	e.StopAll()
	if n := e.answerPosts(answer); n != 1 {
		t.Errorf("the leaders got Alice's answer %d times, want once: %s", n, dump(e.Emu.Messages(apptest.Leaders)))
	}
	e.checkStoredOnce(round, answer)
}
