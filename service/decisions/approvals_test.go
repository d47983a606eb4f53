package decisions_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/domain"
)

// twoApprovals is the fixture with a team-lead level that needs two
// approvals (bob, or any manager: carol, mia).
func twoApprovals(t *testing.T) *fixture {
	t.Helper()
	f := setup(t)
	f.policy.Levels[0].ApprovalsNeeded = 2
	return f
}

func TestApprovalsNeededCountsDistinctApprovers(t *testing.T) {
	f := twoApprovals(t)
	d := f.log(t, 900)
	ctx := t.Context()
	got, err := f.svc.Approve(ctx, team, d.ID, bob)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.StatePending || !cmp.Equal(got.Approvers(), []string{bob}) {
		t.Errorf("after one approval: %s by %v", got.State, got.Approvers())
	}
	_, err = f.svc.Approve(ctx, team, d.ID, bob)
	wantRefusal(t, err, domain.Conflict, "You've approved this one already; it's waiting for 1 more approval (`"+d.ID+"`).")
	_, err = f.svc.Approve(ctx, team, d.ID, dave)
	if domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("the requester approving: %v", err)
	}
	if n := f.notify.snapshot(); len(n.told) != 0 {
		t.Errorf("the requester was told before the last approval: %v", n.told)
	}
	// A manager (a higher level) counts.
	got, err = f.svc.Approve(ctx, team, d.ID, mia)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.StateApproved || got.DecidedBy != mia || !cmp.Equal(got.Approvers(), []string{bob, mia}) {
		t.Errorf("after two approvals: %s by %s, approvers %v", got.State, got.DecidedBy, got.Approvers())
	}
	if n := f.notify.snapshot(); !cmp.Equal(n.told, []told{{d.ID, "approved", "approved"}}) {
		t.Errorf("told %v", n.told)
	}
}

func TestApprovalsNeededEscalateStartsAfresh(t *testing.T) {
	f := twoApprovals(t)
	f.policy.Levels[1].ApprovalsNeeded = 2
	d := f.log(t, 900)
	ctx := t.Context()
	if _, err := f.svc.Approve(ctx, team, d.ID, carol); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Escalate(ctx, team, d.ID, 0, bob)
	if err != nil {
		t.Fatal(err)
	}
	if got.LevelName != "manager" || len(got.Approvals) != 0 {
		t.Errorf("after escalating: at %s with %v", got.LevelName, got.Approvers())
	}
	if got, err = f.svc.Approve(ctx, team, d.ID, carol); err != nil || got.State != domain.StatePending {
		t.Fatalf("carol again at the manager level: %v, %v", got, err)
	}
	if got, err = f.svc.Approve(ctx, team, d.ID, mia); err != nil || got.State != domain.StateApproved {
		t.Fatalf("mia: %v, %v", got, err)
	}
}

func TestApprovalsNeededConcurrentClicks(t *testing.T) {
	f := twoApprovals(t)
	d := f.log(t, 900)
	var wg sync.WaitGroup
	var won, refused atomic.Int32
	for i := range 30 {
		user := []string{bob, carol, mia}[i%3]
		wg.Go(func() {
			if _, err := f.svc.Approve(t.Context(), team, d.ID, user); err == nil {
				won.Add(1)
			} else if domain.ErrorCode(err) == domain.Conflict {
				refused.Add(1)
			} else {
				t.Errorf("%s: %v", user, err)
			}
		})
	}
	wg.Wait()
	got := f.get(t, d.ID)
	if won.Load() != 2 || refused.Load() != 28 {
		t.Errorf("%d counted, %d refused; want 2 and 28", won.Load(), refused.Load())
	}
	if got.State != domain.StateApproved || len(got.Approvals) != 2 || got.Approvals[0].By == got.Approvals[1].By || got.Version != 3 {
		t.Errorf("stored: %s, approvers %v, version %d", got.State, got.Approvers(), got.Version)
	}
	if n := f.notify.snapshot(); len(n.told) != 1 {
		t.Errorf("the requester was told %d times, want once", len(n.told))
	}
}
