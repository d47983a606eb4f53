package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
)

// praisePosts counts the praise channel's posts of outcomes (the tests'
// decisions are all for ACME).
func (e *decisionEnv) praisePosts() int {
	n := 0
	for _, m := range e.Emu.Messages(apptest.Praise) {
		if strings.Contains(m.AllText(), "took a risk") && strings.Contains(m.AllText(), "ACME") {
			n++
		}
	}
	return n
}

// praisedOnce checks that decision id's outcome was praised in public once
// and its leader, Bob, told once.
func (e *decisionEnv) praisedOnce(t *testing.T, id string) {
	t.Helper()
	if n := e.praisePosts(); n != 1 {
		t.Errorf("%d praise posts, want 1", n)
	}
	if n := countWith(e.Emu.DMs(apptest.Bob), id, "worked"); n != 1 {
		t.Errorf("Bob got %d DMs of the outcome, want 1", n)
	}
}

// outcomeFollowUp logs Dave's autonomous discount and returns it with the
// follow-up DM that asks how it turned out.
func (e *decisionEnv) outcomeFollowUp() (string, slackemu.Message) {
	_, id := e.decide(apptest.Dave, "discount $250 for ACME travel charge waived")
	e.Clock.Advance(72*time.Hour + time.Minute)
	e.runFollowUps(e.Bots()...)
	return id, e.followUp(apptest.Dave, id)
}

// The replica saved Dave's It worked and died before anything followed it
// (its click's claim left in progress): the click, delivered again, is
// recognised as the one that recorded it, and finishes what the crash left
// undone instead of answering "You told me already": the praise goes out
// in public, Bob is told, once each.
func TestRedeliveredOutcomeClickPraisesAfterACrash(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	id, dm := e.outcomeFollowUp()
	e.afterACrashDoing(t, "action", ":"+handlers.ActionOutcomeWorked, func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.Click(ctx, apptest.Dave, dm, "It worked")
	}, func(ctx context.Context, key string) {
		d := e.decision(id)
		ev := domain.Event{Actor: apptest.Dave, Subject: id, From: string(d.State), To: domain.OutcomeWorked, At: e.Clock.Now(),
			Payload: domain.OutcomeWorkedData{OutcomeFacts: d.OutcomeFacts("")}}
		if _, err := e.store.RecordOutcome(ctx, apptest.Team, id, apptest.Dave, domain.OutcomeWorked, "", key, ev); err != nil {
			t.Fatalf("the dying replica's outcome: %v", err)
		}
	})
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "took a risk") }); err != nil {
		t.Fatalf("no praise post after the redelivered It worked: %v", err)
	}
	e.waitDM(apptest.Bob, "worked")
	e.waitShowsRecorded(apptest.Dave, dm, "Recorded: the $250 discount for ACME worked")
	e.StopAll() // at rest: everything the replica would send went out
	e.praisedOnce(t, id)
	if n := toldAlready(e, apptest.Dave); n != 0 {
		t.Errorf("Dave was told %d times his own click was answered already: %s", n, dump(append(e.Emu.Ephemerals(apptest.Dave), e.Emu.DMs(apptest.Dave)...)))
	}
	if d := e.decision(id); d.Outcome.Result != domain.OutcomeWorked || d.Outcome.PraisePost.IsZero() {
		t.Errorf("stored outcome %+v, want worked with its praise post", d.Outcome)
	}
}

// The replica recorded Dave's It worked, posted the praise, told Bob and
// died before recording the click handled: the click, delivered again,
// finds what went out and sends nothing twice. Dave's own second click on
// the DM as it was is still told the outcome is known.
func TestRedeliveredOutcomeClickAfterItsPraisePostsItOnce(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	id, dm := e.outcomeFollowUp()
	ack, err := e.Emu.Click(e.Ctx(), apptest.Dave, dm, "It worked")
	if err != nil {
		t.Fatalf("Dave clicks It worked: %v", err)
	}
	e.waitDM(apptest.Bob, "worked")
	claim := redeliverAfterACrash(t, e, ack, handlers.ActionOutcomeWorked)
	waitEnvelopeDone(t, e, "action", claim)
	e.click(apptest.Dave, dm, "It worked")
	e.waitEphemeral(apptest.Dave, "You told me already: it worked (`"+id+"`)")
	e.StopAll()
	e.praisedOnce(t, id)
	if n := toldAlready(e, apptest.Dave); n != 1 {
		t.Errorf("Dave was told %d times the outcome was known, want 1 (his second click): %s", n, dump(append(e.Emu.Ephemerals(apptest.Dave), e.Emu.DMs(apptest.Dave)...)))
	}
}

// The replica saved Dave's note and died before the praise post showed it:
// the form, delivered again, closes (no "You already added a note" for his
// own note) and the praise post shows the note.
func TestRedeliveredNoteFinishesWhatACrashLeftUndone(t *testing.T) {
	e := startDecisions(t, apptest.Options{Policy: outcomePolicy(yearlySpec)})
	id, dm := e.outcomeFollowUp()
	e.click(apptest.Dave, dm, "It worked")
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "took a risk") })
	if err != nil {
		t.Fatalf("no praise post after It worked: %v", err)
	}
	upd := e.waitShowsRecorded(apptest.Dave, dm, "Recorded: the $250 discount for ACME worked")
	e.click(apptest.Dave, upd, "Add a note")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == handlers.ViewOutcomeNote })
	if err != nil {
		t.Fatalf("no note modal: %v", err)
	}
	const note = "They renewed for 3 years"
	ack := e.afterACrashDoing(t, "view", "", func(ctx context.Context) (slackemu.Ack, error) {
		return e.Emu.SubmitView(ctx, apptest.Dave, v.ID, slackemu.Values{}.Set("outcome_note", "note", note))
	}, func(ctx context.Context, key string) {
		ev := domain.Event{Actor: apptest.Dave, Subject: id, At: e.Clock.Now(), Payload: domain.OutcomeNotedData{Note: note}}
		if _, err := e.store.AddOutcomeNote(ctx, apptest.Team, id, apptest.Dave, note, key, ev); err != nil {
			t.Fatalf("the dying replica's note: %v", err)
		}
	})
	if len(ack.Errors) > 0 {
		t.Errorf("the redelivered note form shows errors: %v", ack.Errors)
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool {
		return m.TS == post.TS && strings.Contains(m.AllText(), note)
	}); err != nil {
		t.Fatalf("the note never reached the praise post: %v", err)
	}
	e.StopAll()
	if n := e.praisePosts(); n != 1 {
		t.Errorf("%d praise posts, want 1", n)
	}
	if d := e.decision(id); d.Outcome.Note != note {
		t.Errorf("stored note %q, want %q", d.Outcome.Note, note)
	}
}
