package roster_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/roster"
)

// groups is a workspace's user groups as Slack lists them (members) and
// the shared cache (cache), counting Slack's calls.
type groups struct {
	mu      sync.Mutex
	members map[string][]string // guarded by mu
	cache   map[string][]string // guarded by mu
	fail    map[string]bool     // guarded by mu
	calls   int                 // guarded by mu
}

func (g *groups) CachedGroupMembers(_ context.Context, _, group string) ([]string, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, ok := g.cache[group]
	return slices.Clone(m), ok, nil
}

func (g *groups) FreshGroupMembers(_ context.Context, _, group string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if g.fail[group] {
		return nil, errors.New("slack is down")
	}
	g.cache[group] = slices.Clone(g.members[group])
	return slices.Clone(g.members[group]), nil
}

func (g *groups) set(group string, members ...string) {
	g.mu.Lock()
	g.members[group] = members
	g.mu.Unlock()
}

func (g *groups) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// orgPolicy has two teams: north (S0NORTH and erin; lead frank) and south
// (S0SOUTH; lead gina, its own manager hank); the top-level team-lead is
// bob and the shared manager carol.
func orgPolicy() *domain.Policy {
	return &domain.Policy{
		Frontline: []string{"S0FRONTLINE", "U0DAVE"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}},
			{Name: "manager", Approvers: []string{"U0CAROL"}},
		},
		Teams: []domain.Team{
			{Name: "north", Members: []string{"S0NORTH", "U0ERIN"}, Approvers: map[string][]string{"team-lead": {"U0FRANK"}}},
			{Name: "south", Members: []string{"S0SOUTH"}, Approvers: map[string][]string{"team-lead": {"S0SOUTHLEADS"}, "manager": {"U0HANK"}}},
		},
	}
}

func newGroups() *groups {
	return &groups{members: map[string][]string{
		"S0FRONTLINE":  {"U0ALICE"},
		"S0NORTH":      {"U0ALICE", "U0IVY"},
		"S0SOUTH":      {"U0IVY", "U0JOE", "U0ERIN"},
		"S0SOUTHLEADS": {"U0GINA"},
	}, cache: map[string][]string{}, fail: map[string]bool{}}
}

func TestViewTeamsAndApprovers(t *testing.T) {
	g := newGroups()
	r := roster.New("T1", g, nil)
	p := orgPolicy()
	if err := r.Resolve(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	v, err := r.View(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{
		"U0ALICE": "north", // through S0NORTH
		"U0IVY":   "north", // in both teams: the first in the file
		"U0ERIN":  "north", // named in north, in south's group too
		"U0JOE":   "south",
		"U0DAVE":  "", // frontline, in no team
		"U0MAL":   "", // no one
	} {
		if got := v.TeamOf(user); got != want {
			t.Errorf("TeamOf(%s) = %q, want %q", user, got, want)
		}
	}
	for _, c := range []struct {
		team  string
		level int
		user  string
		want  bool
	}{
		{"north", 0, "U0FRANK", true},
		{"north", 0, "U0BOB", false},  // north names its own lead
		{"north", 1, "U0CAROL", true}, // shared manager
		{"south", 0, "U0GINA", true},  // through a group
		{"south", 0, "U0FRANK", false},
		{"south", 1, "U0CAROL", false}, // south has its own manager
		{"south", 1, "U0HANK", true},
		{"", 0, "U0BOB", true},
		{"gone", 0, "U0BOB", true}, // a team the policy no longer has
		{"gone", 0, "U0FRANK", false},
	} {
		if got := v.Approves(c.team, c.level, c.user); got != c.want {
			t.Errorf("Approves(%q, %d, %s) = %v, want %v", c.team, c.level, c.user, got, c.want)
		}
	}
	if got := v.Approvers("south", 0); !slices.Equal(got, []string{"U0GINA"}) {
		t.Errorf("south's team-lead approvers: %v", got)
	}
	if got := v.LevelsOf("U0CAROL"); !slices.Equal(got, []int{1}) {
		t.Errorf("LevelsOf(carol) = %v", got)
	}
	if got := v.TeamsApprovedBy("U0CAROL"); !slices.Equal(got, []string{"north"}) {
		t.Errorf("TeamsApprovedBy(carol) = %v", got)
	}
	if got := v.Members("south"); !slices.Equal(got, []string{"U0JOE"}) {
		t.Errorf("south's members: %v", got)
	}
	if !v.IsFrontline("U0JOE") || !v.IsFrontline("U0DAVE") || v.IsFrontline("U0BOB") {
		t.Error("IsFrontline: wrong")
	}

	// The same policy is read from memory; a new one reuses the members
	// already listed.
	calls := g.count()
	if v2, _ := r.View(context.Background(), p); v2 != v {
		t.Error("a second View of the same policy built it again")
	}
	p2 := orgPolicy()
	p2.Teams[0], p2.Teams[1] = p2.Teams[1], p2.Teams[0]
	v3, err := r.View(context.Background(), p2)
	if err != nil {
		t.Fatal(err)
	}
	if n := g.count() - calls; n != 0 {
		t.Errorf("resolving a reloaded policy listed %d groups again, want 0", n)
	}
	if got := v3.TeamOf("U0IVY"); got != "south" {
		t.Errorf("after the reload ivy is in %q, want south", got)
	}
	// Operations still running on the replaced policy find its view.
	if again, _ := r.View(context.Background(), p); again != v {
		t.Error("the replaced policy's view was built again")
	}
	if again, _ := r.View(context.Background(), p2); again != v3 {
		t.Error("the reloaded policy's view was built again")
	}
}

func TestRefreshSeesGroupChanges(t *testing.T) {
	g := newGroups()
	r := roster.New("T1", g, nil)
	p := orgPolicy()
	ctx := context.Background()
	if err := r.Resolve(ctx, p); err != nil {
		t.Fatal(err)
	}
	g.set("S0NORTH")
	g.set("S0SOUTH", "U0ALICE")
	if v, _ := r.View(ctx, p); v.TeamOf("U0ALICE") != "north" {
		t.Error("a group change was seen before the refresh")
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v, _ := r.View(ctx, p)
	if got := v.TeamOf("U0ALICE"); got != "south" {
		t.Errorf("after the refresh alice is in %q, want south", got)
	}
	// A group Slack cannot list keeps its last members.
	g.mu.Lock()
	g.fail["S0SOUTH"] = true
	g.mu.Unlock()
	if err := r.Refresh(ctx); err == nil {
		t.Error("a failed listing was not reported")
	}
	if v, _ := r.View(ctx, p); v.TeamOf("U0ALICE") != "south" {
		t.Error("a failed refresh forgot the group's members")
	}
}

func TestViewNeverCallsSlack(t *testing.T) {
	g := newGroups()
	r := roster.New("T1", g, nil)
	p := orgPolicy()
	ctx := context.Background()
	v, err := r.View(ctx, p)
	var ie *roster.IncompleteError
	if !errors.As(err, &ie) || len(ie.Groups) != 4 {
		t.Fatalf("a cold view: %v, want the 4 groups unresolved", err)
	}
	if g.count() != 0 {
		t.Errorf("View called Slack %d times", g.count())
	}
	if v.TeamOf("U0ERIN") != "north" || v.TeamOf("U0ALICE") != "" {
		t.Error("the partial view: people named directly are placed, group members not yet")
	}

	// Another replica listed the groups: the shared cache is enough.
	other := roster.New("T1", g, nil)
	if err := other.Resolve(ctx, p); err != nil {
		t.Fatal(err)
	}
	calls := g.count()
	v, err = r.View(ctx, p)
	if err != nil || v.TeamOf("U0ALICE") != "north" {
		t.Errorf("a view from the shared cache: %v, alice in %q", err, v.TeamOf("U0ALICE"))
	}
	if g.count() != calls {
		t.Error("a view from the shared cache called Slack")
	}
}

func TestRunListsWhatAViewMissed(t *testing.T) {
	g := newGroups()
	r := roster.New("T1", g, nil)
	p := orgPolicy()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, func() *domain.Policy { return p }, time.Hour); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := r.View(ctx, p); err == nil {
		t.Fatal("a cold view was complete")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := r.View(ctx, p)
		if err == nil && v.TeamOf("U0ALICE") == "north" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run never listed the missing groups: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// OrgPolicy is a policy of teams teams of size people each, every team's
// members one user group, for the scale figures of issue 12.
func OrgPolicy(teams, size int) (*domain.Policy, map[string][]string) {
	p := &domain.Policy{Levels: []domain.Level{
		{Name: "team-lead", Approvers: []string{"U0BOB"}},
		{Name: "manager", Approvers: []string{"U0CAROL"}},
		{Name: "director", Approvers: []string{"U0DIANA"}},
	}}
	members := map[string][]string{}
	for i := range teams {
		g := fmt.Sprintf("S%04d", i)
		for j := range size {
			members[g] = append(members[g], fmt.Sprintf("U%04d%04d", i, j))
		}
		p.Teams = append(p.Teams, domain.Team{Name: fmt.Sprintf("team-%d", i), Members: []string{g},
			Approvers: map[string][]string{"team-lead": {fmt.Sprintf("U%04dLEAD", i)}, "manager": {fmt.Sprintf("U%04dMGR", i/5)}}})
	}
	return p, members
}

// BenchmarkBuild50Teams measures resolving a 50-team, 5,000-person policy
// whose group members are known, and the memory the view holds.
func BenchmarkBuild50Teams(b *testing.B) {
	p, members := OrgPolicy(50, 100)
	g := &groups{members: members, cache: map[string][]string{}, fail: map[string]bool{}}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := roster.New("T1", g, nil)
	if err := r.Resolve(ctx, p); err != nil {
		b.Fatal(err)
	}
	v, err := r.View(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		q := *p // a reload: a new policy, the same groups
		if _, err := r.View(ctx, &q); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1024, "roster-KiB")
}

// BenchmarkTeamOf50Teams measures the lookups of the ack path.
func BenchmarkTeamOf50Teams(b *testing.B) {
	p, members := OrgPolicy(50, 100)
	r := roster.New("T1", &groups{members: members, cache: map[string][]string{}, fail: map[string]bool{}}, nil)
	if err := r.Resolve(context.Background(), p); err != nil {
		b.Fatal(err)
	}
	v, err := r.View(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if v.TeamOf("U00420042") != "team-42" || !v.Approves("team-42", 0, "U0042LEAD") {
			b.Fatal("wrong view")
		}
	}
}
