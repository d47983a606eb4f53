package decisions_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

const team = "T1"

// The people of the fixture policy.
const (
	dave    = "U0DAVE"    // front line
	bob     = "U0BOB"     // team-lead
	carol   = "U0CAROL"   // manager
	mallory = "U0MALLORY" // no one's approver
	mia     = "U0MIA"     // manager, through the S0MANAGERS group
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// testPolicy is a two-level chain: team-lead (bob, 4h) and manager (carol
// and the S0MANAGERS group, 24h); discounts are the front line's up to
// $500, the team-lead's up to $2,000 and the manager's up to $10,000;
// #safety always goes to the manager.
func testPolicy() *domain.Policy {
	return &domain.Policy{
		Location: time.UTC, Currency: "USD",
		Channels: domain.Channels{Escalations: "C0ESCALATE"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{bob}, RespondWithin: 4 * time.Hour},
			{Name: "manager", Approvers: []string{carol, "S0MANAGERS"}, RespondWithin: 24 * time.Hour},
		},
		Activities: []domain.Activity{{Name: "discount", FrontlineLimit: money.FromMajor(500),
			LevelLimits: map[string]money.Amount{"team-lead": money.FromMajor(2000), "manager": money.FromMajor(10000)}}},
		AlwaysEscalate: map[string]string{"safety": "manager"},
		Outcomes:       domain.Outcomes{AskAfter: 72 * time.Hour},
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time // guarded by mu
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// directory lists user groups from groups, as Slack would; err, when set,
// is the answer of every listing.
type directory struct {
	mu     sync.Mutex
	groups map[string][]string // guarded by mu
	err    error               // guarded by mu
}

func (d *directory) CachedGroupMembers(context.Context, string, string) ([]string, bool, error) {
	return nil, false, nil
}

func (d *directory) FreshGroupMembers(_ context.Context, _, group string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	return slices.Clone(d.groups[group]), nil
}

// told is one TellRequester call.
type told struct {
	ID, Action, State string
}

// notifier records what the service asks to tell people. Its hooks, when
// set, run inside PostCard before it returns (another replica acting
// meanwhile), and postErr fails PostCard.
type notifier struct {
	mu        sync.Mutex
	posted    []domain.DecisionMessage // guarded by mu
	updated   []domain.DecisionState   // the state of each UpdateCards call
	withdrawn []domain.DecisionMessage
	told      []told
	reminded  []string
	changed   []string
	reposts   []string // the decision of each RepostCard call
	postErr   error
	onPost    func(d *domain.DecisionRecord, m domain.DecisionMessage)
	ts        int
}

func (n *notifier) PostCard(_ context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	n.mu.Lock()
	if err := n.postErr; err != nil {
		n.mu.Unlock()
		return domain.DecisionMessage{}, err
	}
	n.ts++
	m := domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: "C0ESCALATE", TS: fmt.Sprintf("1000.%04d", n.ts)}}
	n.posted = append(n.posted, m)
	hook := n.onPost
	n.mu.Unlock()
	if hook != nil {
		hook(d, m)
	}
	return m, nil
}

// RepostCard posts like PostCard (no card is ever posted unrecorded here),
// and counts the calls.
func (n *notifier) RepostCard(ctx context.Context, d *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	n.mu.Lock()
	n.reposts = append(n.reposts, d.ID)
	n.mu.Unlock()
	return n.PostCard(ctx, d, level)
}

func (n *notifier) UpdateCards(_ context.Context, d *domain.DecisionRecord) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.updated = append(n.updated, d.State)
	return nil
}

func (n *notifier) WithdrawCard(_ context.Context, m domain.DecisionMessage) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.withdrawn = append(n.withdrawn, m)
	return nil
}

func (n *notifier) TellRequester(_ context.Context, d *domain.DecisionRecord, e domain.HistoryEntry) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.told = append(n.told, told{ID: d.ID, Action: e.Action, State: string(d.State)})
	return nil
}

func (n *notifier) Remind(_ context.Context, d *domain.DecisionRecord) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reminded = append(n.reminded, d.ID)
	return nil
}

func (n *notifier) Changed(_ context.Context, d *domain.DecisionRecord) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changed = append(n.changed, d.ID)
}

func (n *notifier) snapshot() notifier {
	n.mu.Lock()
	defer n.mu.Unlock()
	return notifier{
		posted: slices.Clone(n.posted), updated: slices.Clone(n.updated), withdrawn: slices.Clone(n.withdrawn),
		told: slices.Clone(n.told), reminded: slices.Clone(n.reminded), changed: slices.Clone(n.changed),
		reposts: slices.Clone(n.reposts),
	}
}

// fixture is one service on a real store.
type fixture struct {
	svc    *decisions.Service
	store  *store.Store
	notify *notifier
	dir    *directory
	roster *roster.Roster
	clock  *fakeClock
	policy *domain.Policy
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(t), store.NewKeys(srv.Prefix(t)))
	return newFixture(st)
}

// newFixture builds a service on st, as one replica.
func newFixture(st *store.Store) *fixture {
	f := &fixture{
		store: st, notify: &notifier{}, clock: &fakeClock{now: t0}, policy: testPolicy(),
		dir: &directory{groups: map[string][]string{"S0MANAGERS": {mia}}},
	}
	f.roster = roster.New(team, f.dir, nil)
	_ = f.roster.Resolve(context.Background(), f.policy) // as start-up does
	f.svc = decisions.New(domain.NewPolicies(f.policy), st, f.notify, f.roster, nil, f.clock, nil)
	return f
}

// log logs a discount of amount dollars by dave, with tags.
func (f *fixture) log(t *testing.T, amount int64, tags ...string) *domain.DecisionRecord {
	t.Helper()
	d, err := f.svc.Log(t.Context(), team, dave, box.Request{
		Activity: "discount", Amount: money.FromMajor(amount), Customer: "ACME", Reason: "billing error", Tags: tags,
	})
	if err != nil {
		t.Fatalf("Log: %v", err)
	}
	return d
}

// get reads decision id back from the store.
func (f *fixture) get(t *testing.T, id string) *domain.DecisionRecord {
	t.Helper()
	d, err := f.store.GetDecision(t.Context(), team, id)
	if err != nil {
		t.Fatalf("GetDecision(%s): %v", id, err)
	}
	return d
}

// wantRefusal fails t unless err is a domain error with code and message.
func wantRefusal(t *testing.T, err error, code domain.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", code, msg)
	}
	if got := domain.ErrorCode(err); got != code {
		t.Errorf("code: got %s (%v), want %s", got, err, code)
	}
	if got := domain.ErrorMessage(err); got != msg {
		t.Errorf("message:\n got %q\nwant %q", got, msg)
	}
}

// hookedStore is the real store with a hook that runs before an update is
// written (someone else changing the decision first).
type hookedStore struct {
	*store.Store
	beforeUpdate func()
}

func (s *hookedStore) UpdateDecision(ctx context.Context, d *domain.DecisionRecord, from domain.DecisionState, ev *domain.Event) error {
	if h := s.beforeUpdate; h != nil {
		s.beforeUpdate = nil
		h()
	}
	return s.Store.UpdateDecision(ctx, d, from, ev)
}

var errSlack = errors.New("slack: channel_not_found")
