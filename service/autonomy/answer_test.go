package autonomy_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/autonomy"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

const (
	team      = "T1"
	testTeams = `
timezone: America/Chicago
currency: USD
channels:
  praise: C0PRAISE
  escalations: C0ESCALATE
  leaders: C0LEADERS
frontline: [U0ALICE]
levels:
  - name: team-lead
    approvers: [U0BOB, U0MALLORY]
    respond_within: 4h
activities:
  - name: discount
    unit: USD
    frontline_limit: 500
    level_limits: {team-lead: 2000}
autonomy:
  propose_after: 3
`
)

// notifier records the DMs updated to show an answer.
type notifier struct {
	mu    sync.Mutex
	shown []string // "<approver> <channel>|<ts>"
}

func (n *notifier) SendProposal(context.Context, *domain.Proposal, string, money.Amount) (domain.MessageRef, error) {
	return domain.MessageRef{}, nil
}

func (n *notifier) ShowAnswer(_ context.Context, _ *domain.Proposal, approver string, at domain.MessageRef) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.shown = append(n.shown, approver+" "+at.Channel+"|"+at.TS)
	return nil
}
func (n *notifier) TellRaised(context.Context, *domain.Proposal) error { return nil }
func (n *notifier) TellReset(context.Context, string, string, string, domain.Activity, string, money.Amount, money.Amount) error {
	return nil
}
func (n *notifier) Touched(context.Context, string, ...string) {}

// noGroups is a workspace without user groups.
type noGroups struct{}

func (noGroups) CachedGroupMembers(context.Context, string, string) ([]string, bool, error) {
	return nil, true, nil
}
func (noGroups) FreshGroupMembers(context.Context, string, string) ([]string, error) { return nil, nil }

// hookRoster runs hook once, in the first View after it is set: between an
// answer's read of the proposal and its write.
type hookRoster struct {
	*roster.Roster
	mu   sync.Mutex
	hook func()
}

func (r *hookRoster) View(ctx context.Context, p *domain.Policy) (*roster.View, error) {
	r.mu.Lock()
	hook := r.hook
	r.hook = nil
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	return r.Roster.View(ctx, p)
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// A proposal's DM recorded while a leader's answer is under way (after the
// answer read the proposal, before it was written; its sender found the
// proposal still open) is shown answered by the answer, without buttons.
func TestAnswerShowsADMRecordedWhileItWasUnderWay(t *testing.T) {
	ctx := t.Context()
	st, svc, r, n, pr := proposed(t)
	bobDM := domain.MessageRef{Channel: "DU0BOB", TS: "1.1"}
	malloryDM := domain.MessageRef{Channel: "DU0MALLORY", TS: "1.2"}
	if err := st.SetProposalDM(ctx, team, pr.ID, "U0BOB", bobDM); err != nil {
		t.Fatal(err)
	}
	// Bob answers from his DM; Mallory's DM is recorded in the middle.
	r.hook = func() {
		if err := st.SetProposalDM(ctx, team, pr.ID, "U0MALLORY", malloryDM); err != nil {
			t.Error(err)
		}
	}
	if _, err := svc.Raise(ctx, team, pr.ID, "U0BOB"); err != nil {
		t.Fatalf("raise: %v", err)
	}
	if r.hook != nil {
		t.Fatal("the answer never read the roster")
	}
	slices.Sort(n.shown)
	if want := []string{"U0BOB DU0BOB|1.1", "U0MALLORY DU0MALLORY|1.2"}; !slices.Equal(n.shown, want) {
		t.Errorf("DMs shown answered = %q; want %q", n.shown, want)
	}
}

// Two leaders raise at once: when the other's raise lands after this
// click read the proposal open, but before it read the person's box, the
// answer says who raised it (as for a click that came later), not that the
// box is already as large as it can be.
func TestRaiseOvertakenByAnotherLeaderSaysWhoRaised(t *testing.T) {
	ctx := t.Context()
	_, svc, r, _, pr := proposed(t)
	// Mallory's click has read the proposal open; Bob's raise lands now.
	r.hook = func() {
		if _, err := svc.Raise(ctx, team, pr.ID, "U0BOB"); err != nil {
			t.Errorf("Bob's raise: %v", err)
		}
	}
	_, err := svc.Raise(ctx, team, pr.ID, "U0MALLORY")
	if r.hook != nil {
		t.Fatal("the answer never read the roster")
	}
	if !domain.IsRefusal(err) {
		t.Fatalf("Mallory's raise after Bob's: %v, want a refusal", err)
	}
	if want := "<@U0BOB> already raised <@U0ALICE>'s discount box to $900"; !strings.Contains(err.Error(), want) {
		t.Errorf("Mallory is told %q; want it to contain %q", err.Error(), want)
	}
}

// proposed starts a store and the service over it, with an open proposal
// to raise Alice's discount box to $900, for Bob or Mallory to answer.
func proposed(t *testing.T) (*store.Store, *autonomy.Service, *hookRoster, *notifier, *domain.Proposal) {
	t.Helper()
	ctx := t.Context()
	srv := redistest.Start(t)
	st := store.New(srv.Client(t), store.NewKeys(srv.Prefix(t)))
	p, err := policy.Parse([]byte(testTeams), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 18, 16, 0, 0, 0, time.UTC)
	n := &notifier{}
	r := &hookRoster{Roster: roster.New(team, noGroups{}, nil)}
	svc := autonomy.New(domain.NewPolicies(p), st, n, r, fixedClock(now), nil)

	pr := &domain.Proposal{
		ID: domain.NewProposalID(), Team: team, Person: "U0ALICE", Activity: "discount", Currency: "USD",
		Limit: money.FromMajor(500), Largest: money.FromMajor(900), Count: 3, First: now.Add(-72 * time.Hour), Last: now.Add(-time.Hour),
		Decisions: []string{"D-AAAAA1", "D-AAAAA2", "D-AAAAA3"}, Approvers: []string{"U0BOB", "U0MALLORY"}, CreatedAt: now,
	}
	ev := domain.Event{Subject: pr.Person, To: pr.ID, At: now, Payload: domain.AutonomyProposedData{
		AutonomyFacts: domain.AutonomyFacts{Person: pr.Person, Activity: pr.Activity, Amount: pr.Largest, Currency: "USD", Proposal: pr.ID},
		Limit:         pr.Limit, Count: pr.Count, Approvers: pr.Approvers,
	}}
	if ok, err := st.Propose(ctx, pr, time.Time{}, ev); err != nil || !ok {
		t.Fatalf("propose = %v, %v", ok, err)
	}
	return st, svc, r, n, pr
}
