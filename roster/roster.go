// Package roster knows who is who under a policy: which policy team each
// person belongs to, and who approves at which level for which team, with
// the user groups the policy names resolved to their members.
//
// A policy is resolved once (per *domain.Policy, so a reload is a new
// resolution) into an immutable View. The members of user groups are kept
// in memory and refreshed in the background (Run, Refresh), so that
// routing a decision or checking a click reads memory only: no Slack call
// and no Redis round trip on the ack path. Only a group the roster has
// never seen (the first view after start-up or after a reload that names a
// new group) is listed while a view is built.
package roster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Groups lists the members of Slack user groups. Package handlers
// implements it with usergroups.users.list and the Redis group cache.
type Groups interface {
	// CachedGroupMembers returns the members of group in workspace team
	// from the shared cache, and whether it holds them; it never calls
	// Slack.
	CachedGroupMembers(ctx context.Context, team, group string) ([]string, bool, error)
	// FreshGroupMembers asks Slack for the members of group and updates the
	// shared cache.
	FreshGroupMembers(ctx context.Context, team, group string) ([]string, error)
}

// DefaultRefresh is how often Run lists every user group again.
const DefaultRefresh = 10 * time.Minute

// IncompleteError says a view was built without some user groups, which
// neither memory nor the shared cache held: they count as empty until they
// are listed in the background.
type IncompleteError struct {
	Groups []string
}

func (e *IncompleteError) Error() string {
	return "user groups not resolved yet: " + strings.Join(e.Groups, ", ")
}

// Roster resolves policies into Views for one workspace. Build it with New;
// it is safe for concurrent use.
type Roster struct {
	team   string
	groups Groups
	log    *slog.Logger
	kick   chan struct{} // asks Run to list the groups a view missed

	view atomic.Pointer[View] // the latest complete view built
	// prev is the one before it, of another policy: operations still
	// running on the policy a reload replaced keep finding theirs.
	prev atomic.Pointer[View]

	mu      sync.Mutex          // guards members
	members map[string][]string // group -> members last listed
	refresh sync.Mutex          // one Resolve or Refresh at a time
}

// New returns the roster of workspace team, listing groups through g.
func New(team string, g Groups, log *slog.Logger) *Roster {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Roster{team: team, groups: g, log: log, members: map[string][]string{}, kick: make(chan struct{}, 1)}
}

// View returns who is who under p. It is built once per policy and then
// read from memory; it never calls Slack. Building it reads the groups
// memory does not hold from the shared cache; a group the cache does not
// hold either counts as empty, the error is an *IncompleteError, and Run
// lists it in the background (the partial view is not kept, so a later
// call sees it once listed).
func (r *Roster) View(ctx context.Context, p *domain.Policy) (*View, error) {
	if v := r.view.Load(); v != nil && v.policy == p {
		return v, nil
	}
	if v := r.prev.Load(); v != nil && v.policy == p {
		return v, nil
	}
	missing := r.missing(p)
	got := make(map[string][]string, len(missing))
	var unresolved []string
	for _, g := range missing {
		m, ok, err := r.groups.CachedGroupMembers(ctx, r.team, g)
		if err != nil || !ok {
			unresolved = append(unresolved, g)
			continue
		}
		got[g] = m
	}
	v := r.build(p, got, len(unresolved) == 0)
	if len(unresolved) > 0 {
		select {
		case r.kick <- struct{}{}:
		default:
		}
		return v, &IncompleteError{Groups: unresolved}
	}
	return v, nil
}

// missing returns the groups of p whose members are not in memory.
func (r *Roster) missing(p *domain.Policy) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, g := range GroupsOf(p) {
		if _, ok := r.members[g]; !ok {
			out = append(out, g)
		}
	}
	return out
}

// build records got (groups not in memory yet) and builds p's view; keep
// makes it the latest view.
func (r *Roster) build(p *domain.Policy, got map[string][]string, keep bool) *View {
	r.mu.Lock()
	defer r.mu.Unlock()
	for g, m := range got {
		if _, ok := r.members[g]; !ok {
			r.members[g] = m
		}
	}
	v := build(p, r.members)
	if keep {
		r.keep(v)
	}
	return v
}

// keep makes v the latest view; the latest one of another policy becomes
// the previous one (mu held).
func (r *Roster) keep(v *View) {
	if cur := r.view.Load(); cur != nil && cur.policy != v.policy {
		r.prev.Store(cur)
	}
	r.view.Store(v)
}

// Resolve lists from Slack the groups of p that memory does not hold and
// keeps p's view. Run calls it for a view that missed groups; start-up
// calls it so that the first decision finds its view ready.
func (r *Roster) Resolve(ctx context.Context, p *domain.Policy) error {
	r.refresh.Lock()
	defer r.refresh.Unlock()
	got := map[string][]string{}
	var errs []error
	for _, g := range r.missing(p) {
		m, ok, err := r.groups.CachedGroupMembers(ctx, r.team, g)
		if err != nil || !ok {
			m, err = r.groups.FreshGroupMembers(ctx, r.team, g)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("members of %s: %w", g, err))
			continue
		}
		got[g] = m
	}
	r.build(p, got, len(errs) == 0)
	return errors.Join(errs...)
}

// Refresh lists every user group of the latest view's policy again from
// Slack and rebuilds the view from the answers. A group Slack cannot list
// keeps its last known members.
func (r *Roster) Refresh(ctx context.Context) error {
	r.refresh.Lock()
	defer r.refresh.Unlock()
	cur := r.view.Load()
	if cur == nil {
		return nil
	}
	// List without holding mu: views built on the ack path meanwhile must
	// not wait for Slack.
	fresh := map[string][]string{}
	var errs []error
	for _, g := range GroupsOf(cur.policy) {
		m, err := r.groups.FreshGroupMembers(ctx, r.team, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("members of %s: %w", g, err))
			continue
		}
		fresh[g] = m
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for g, m := range fresh {
		r.members[g] = m
	}
	// A newer policy may have been resolved meanwhile: rebuild that one.
	// The previous view is dropped: operations on its policy rebuild it
	// from the fresh members if they still need it.
	r.prev.Store(nil)
	r.view.Store(build(r.view.Load().policy, r.members))
	return errors.Join(errs...)
}

// Run keeps the roster current until ctx ends: every interval
// (DefaultRefresh when zero) it lists every group again (Refresh), and when
// a view missed groups it lists them for the policy current returns
// (Resolve).
func (r *Roster) Run(ctx context.Context, current func() *domain.Policy, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultRefresh
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
			if p := current(); p != nil {
				err = r.Resolve(ctx, p)
			}
		case <-t.C:
			err = r.Refresh(ctx)
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("could not list every user group of the policy", "error", err.Error())
		}
	}
}

// GroupsOf returns the user groups (S…) p names anywhere a person is
// resolved: frontline, the levels' approvers, the teams' members and
// approvers; each once, in the order met.
func GroupsOf(p *domain.Policy) []string {
	seen := map[string]bool{}
	var out []string
	add := func(ids []string) {
		for _, id := range ids {
			if isGroup(id) && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	add(p.Frontline)
	for _, l := range p.Levels {
		add(l.Approvers)
	}
	for _, t := range p.Teams {
		add(t.Members)
		for _, l := range p.Levels {
			add(t.Approvers[l.Name])
		}
	}
	return out
}

func isGroup(id string) bool { return strings.HasPrefix(id, "S") }

// set is a set of user IDs.
type set map[string]struct{}

// View is who is who under one policy. It never changes once built.
type View struct {
	policy *domain.Policy
	// teamOf maps a person to the index of their team in policy.Teams (the
	// first that lists them).
	teamOf map[string]int
	// teamIndex maps a team name to its index.
	teamIndex map[string]int
	// approvers[t+1][l] are the people who approve level l for team t;
	// approvers[0] is the top-level chain. A level a team leaves out
	// shares the top-level set.
	approvers [][]set
	// sorted[t+1][l] are the same people, sorted.
	sorted [][][]string
	// levels maps an approver to the levels they approve at for anyone,
	// lowest first.
	levels map[string][]int
	// frontline are the policy's frontline people and every team member.
	frontline set
}

// build resolves p with the group members known.
func build(p *domain.Policy, members map[string][]string) *View {
	resolve := func(ids []string) set {
		s := set{}
		for _, id := range ids {
			if isGroup(id) {
				for _, m := range members[id] {
					s[m] = struct{}{}
				}
				continue
			}
			s[id] = struct{}{}
		}
		return s
	}
	v := &View{
		policy:    p,
		teamOf:    map[string]int{},
		teamIndex: make(map[string]int, len(p.Teams)),
		approvers: make([][]set, len(p.Teams)+1),
		sorted:    make([][][]string, len(p.Teams)+1),
		levels:    map[string][]int{},
		frontline: resolve(p.Frontline),
	}
	top := make([]set, len(p.Levels))
	for i, l := range p.Levels {
		top[i] = resolve(l.Approvers)
	}
	v.approvers[0] = top
	for ti, t := range p.Teams {
		if _, dup := v.teamIndex[t.Name]; !dup {
			v.teamIndex[t.Name] = ti
		}
		for id := range resolve(t.Members) {
			if _, taken := v.teamOf[id]; !taken {
				v.teamOf[id] = ti
			}
			v.frontline[id] = struct{}{}
		}
		chain := make([]set, len(p.Levels))
		for i, l := range p.Levels {
			if ids, ok := t.Approvers[l.Name]; ok {
				chain[i] = resolve(ids)
			} else {
				chain[i] = top[i]
			}
		}
		v.approvers[ti+1] = chain
	}
	for ci, chain := range v.approvers {
		v.sorted[ci] = make([][]string, len(chain))
		for l, s := range chain {
			users := make([]string, 0, len(s))
			for u := range s {
				users = append(users, u)
				if !slices.Contains(v.levels[u], l) {
					v.levels[u] = append(v.levels[u], l)
				}
			}
			slices.Sort(users)
			v.sorted[ci][l] = users
		}
	}
	for u := range v.levels {
		slices.Sort(v.levels[u])
	}
	return v
}

// Policy is the policy the view resolves.
func (v *View) Policy() *domain.Policy { return v.policy }

// TeamOf returns the name of user's policy team: the first team in the
// file that lists them, directly or through a group; "" for no team (the
// top-level chain routes their decisions).
func (v *View) TeamOf(user string) string {
	if i, ok := v.teamOf[user]; ok {
		return v.policy.Teams[i].Name
	}
	return ""
}

// chain returns the approver sets of team's chain: the team's own, or the
// top-level chain for no team or a team the policy no longer has.
func (v *View) chain(team string) int {
	if i, ok := v.teamIndex[team]; ok && team != "" {
		return i + 1
	}
	return 0
}

// Approves reports whether user approves at level for team (the top-level
// chain for "" or a team the policy no longer has).
func (v *View) Approves(team string, level int, user string) bool {
	c := v.approvers[v.chain(team)]
	if level < 0 || level >= len(c) {
		return false
	}
	_, ok := c[level][user]
	return ok
}

// ApproverLevels returns, lowest first, the levels of team's chain at which
// user approves.
func (v *View) ApproverLevels(team, user string) []int {
	var out []int
	for l, s := range v.approvers[v.chain(team)] {
		if _, ok := s[user]; ok {
			out = append(out, l)
		}
	}
	return out
}

// Approvers returns the people who approve at level for team, sorted (user
// groups resolved).
func (v *View) Approvers(team string, level int) []string {
	c := v.sorted[v.chain(team)]
	if level < 0 || level >= len(c) {
		return nil
	}
	return c[level]
}

// LevelsOf returns, lowest first, the levels at which user approves for
// anyone: some team, or the top-level chain.
func (v *View) LevelsOf(user string) []int { return v.levels[user] }

// TeamsApprovedBy returns the names of the teams, in file order, for which
// user approves at some level (their own approvers, or the top-level ones
// for a level the team leaves out).
func (v *View) TeamsApprovedBy(user string) []string {
	var out []string
	for ti, t := range v.policy.Teams {
		for _, s := range v.approvers[ti+1] {
			if _, ok := s[user]; ok {
				out = append(out, t.Name)
				break
			}
		}
	}
	return out
}

// Members returns the people of team, sorted.
func (v *View) Members(team string) []string {
	i, ok := v.teamIndex[team]
	if !ok {
		return nil
	}
	var out []string
	for u, ti := range v.teamOf {
		if ti == i {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// IsFrontline reports whether user is one of the policy's frontline people
// or a member of a team.
func (v *View) IsFrontline(user string) bool {
	_, ok := v.frontline[user]
	return ok
}
