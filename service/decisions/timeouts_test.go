package decisions_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/decisions"
)

func TestTimeoutsMoveUpThenRemindTheTop(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	ctx := t.Context()

	f.clock.Advance(4*time.Hour - time.Second)
	if err := f.svc.Timeouts(ctx, team); err != nil {
		t.Fatalf("Timeouts before the deadline: %v", err)
	}
	if got := f.get(t, d.ID); got.Level != 0 {
		t.Fatalf("moved before its deadline, to level %d", got.Level)
	}

	f.clock.Advance(time.Second)
	for range 2 { // a second run (another replica, a catch-up) changes nothing
		if err := f.svc.Timeouts(ctx, team); err != nil {
			t.Fatalf("Timeouts: %v", err)
		}
	}
	got := f.get(t, d.ID)
	if got.Level != 1 || got.LevelName != "manager" || !got.Deadline.Equal(t0.Add(28*time.Hour)) {
		t.Fatalf("after the deadline: level %d %q, deadline %v; want manager, due 24h later", got.Level, got.LevelName, got.Deadline)
	}
	if last := got.History[len(got.History)-1]; last.Action != "timeout" || last.Actor != "" || last.From != "team-lead" {
		t.Errorf("last history entry %+v, want a timeout by the bot from team-lead", last)
	}
	if _, ok := got.MessageFor(1); !ok {
		t.Errorf("no card for the manager: %+v", got.Messages)
	}
	if n := f.notify.snapshot(); !cmp.Equal(n.told, []told{{d.ID, "timeout", "pending"}}) {
		t.Errorf("told %v, want one timeout", n.told)
	}

	f.clock.Advance(24 * time.Hour)
	if err := f.svc.Timeouts(ctx, team); err != nil {
		t.Fatalf("Timeouts at the top: %v", err)
	}
	got = f.get(t, d.ID)
	if got.Level != 1 || got.Reminders != 1 || !got.Deadline.Equal(t0.Add(52*time.Hour)) {
		t.Errorf("at the top: level %d, %d reminders, deadline %v; want manager, 1, a fresh 24h", got.Level, got.Reminders, got.Deadline)
	}
	n := f.notify.snapshot()
	if !cmp.Equal(n.reminded, []string{d.ID}) || len(n.told) != 1 {
		t.Errorf("reminded %v, told %v; want one reminder and no new DM", n.reminded, n.told)
	}
}

func TestTimeoutsLeaveAnsweredDecisionsAlone(t *testing.T) {
	f := setup(t)
	d := f.log(t, 900)
	if _, err := f.svc.Approve(t.Context(), team, d.ID, bob); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Hour)
	if err := f.svc.Timeouts(t.Context(), team); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, d.ID); got.State != domain.StateApproved || got.Level != 0 {
		t.Errorf("got %s at level %d, want approved at 0", got.State, got.Level)
	}
}

func TestRepairPostsACardSlackFailedToPost(t *testing.T) {
	f := setup(t)
	f.notify.postErr = errSlack
	d := f.log(t, 900)
	if got := f.get(t, d.ID); len(got.Messages) != 0 {
		t.Fatalf("a card was recorded though Slack failed: %+v", got.Messages)
	}
	f.notify.postErr = nil

	f.clock.Advance(30 * time.Second) // the one that created it may still post it
	if err := f.svc.Repair(t.Context(), team); err != nil {
		t.Fatal(err)
	}
	if n := f.notify.snapshot(); len(n.posted) != 0 {
		t.Fatalf("repaired too early: %v", n.posted)
	}
	f.clock.Advance(time.Minute)
	if err := f.svc.Repair(t.Context(), team); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.get(t, d.ID).MessageFor(0); !ok {
		t.Errorf("no card after the repair")
	}
	// Posted by RepostCard (a card that reached Slack unrecorded is found,
	// not posted again: e2e TestRepairRecordsACardThatReachedSlackUnrecorded).
	if n := f.notify.snapshot(); len(n.reposts) != 1 || n.reposts[0] != d.ID {
		t.Errorf("RepostCard calls for %v, want one for %s", n.reposts, d.ID)
	}
	if err := f.svc.Repair(t.Context(), team); err != nil {
		t.Fatal(err)
	}
	if n := f.notify.snapshot(); len(n.posted) != 1 {
		t.Errorf("posted %d cards, want 1", len(n.posted))
	}
}

func TestACardThatLostTheRaceIsWithdrawn(t *testing.T) {
	f := setup(t)
	other := domain.DecisionMessage{Level: 0, MessageRef: domain.MessageRef{Channel: "C0ESCALATE", TS: "999.0001"}}
	f.notify.onPost = func(d *domain.DecisionRecord, _ domain.DecisionMessage) {
		// Another replica records its card for the level first.
		if ok, _, err := f.store.AttachMessage(context.Background(), team, d.ID, other); err != nil || !ok {
			t.Errorf("AttachMessage: %v, %v", ok, err)
		}
	}
	d := f.log(t, 900)
	n := f.notify.snapshot()
	if len(n.posted) != 1 || !cmp.Equal(n.withdrawn, n.posted) {
		t.Errorf("posted %v, withdrawn %v; want ours withdrawn", n.posted, n.withdrawn)
	}
	if got := f.get(t, d.ID); !cmp.Equal(got.Messages, []domain.DecisionMessage{other}) {
		t.Errorf("cards %v, want only the other replica's", got.Messages)
	}
}

func TestACardPostedWhileTheDecisionChangedShowsTheLatestState(t *testing.T) {
	f := setup(t)
	other := newFixture(f.store) // a second replica
	f.notify.onPost = func(d *domain.DecisionRecord, _ domain.DecisionMessage) {
		f.notify.onPost = nil
		if _, err := other.svc.Approve(context.Background(), team, d.ID, bob); err != nil {
			t.Errorf("Approve on the other replica: %v", err)
		}
	}
	d := f.log(t, 900)
	if d.State != domain.StateApproved || len(d.Messages) != 1 {
		t.Errorf("returned %s with cards %v; want the approved decision with its card", d.State, d.Messages)
	}
	if n := f.notify.snapshot(); !cmp.Equal(n.updated, []domain.DecisionState{domain.StateApproved}) {
		t.Errorf("cards updated to %v, want approved", n.updated)
	}
}

func TestApproverLevels(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	for user, want := range map[string][]int{bob: {0}, carol: {1}, mia: {1}, dave: nil} {
		got, err := f.svc.LevelsOf(ctx, team, user)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("LevelsOf(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
	b := f.svc.Box(ctx, team, mia)
	if !cmp.Equal(b.Approves, []string{"manager"}) || b.Escalations != "C0ESCALATE" || len(b.Limits) != 1 || len(b.Tags) != 1 {
		t.Errorf("Box(mia) = %+v", b)
	}

	// Once resolved, the roster answers from memory: Slack going down
	// changes nothing.
	f.dir.mu.Lock()
	f.dir.err = errors.New("slack down")
	f.dir.mu.Unlock()
	if got, err := f.svc.LevelsOf(ctx, team, mia); err != nil || !cmp.Equal(got, []int{1}) {
		t.Errorf("LevelsOf with Slack down after the roster was resolved = %v, %v", got, err)
	}

	// A roster that never listed the group cannot tell.
	down := &directory{err: errors.New("slack down")}
	downSvc := decisions.New(domain.NewPolicies(f.policy), f.store, f.notify, roster.New(team, down, nil), nil, f.clock, nil)
	if _, err := downSvc.LevelsOf(ctx, team, mia); err == nil {
		t.Errorf("LevelsOf with the directory down: no error")
	}
	if b := downSvc.Box(ctx, team, mia); len(b.Approves) != 0 || len(b.Limits) != 1 {
		t.Errorf("Box with the directory down = %+v; want the box without levels", b)
	}
}
