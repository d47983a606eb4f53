// Package away owns leaders' time away (PRODUCT.md "Away and delegates"):
// `/empower away until <date> [delegate <@user>]` and `/empower back`, who
// may say them and name whom, when a period ends (by itself at the end of
// its last day in the leader's zone), and the questions the other
// capabilities ask of it: is this leader away now (no reminders, no
// feedback DMs), and who covers for whom (decisions routes what would go to
// an away leader to their delegate too).
//
// It reaches storage through Store, people through Directory and the time
// through Clock, all defined here; its refusals are domain errors whose
// messages are what the person reads. It imports only domain, dates,
// slacktext and the standard library: never slack-go, go-redis, cron or
// x/image, nor handlers, store, jobs or bot.
package away

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Store keeps the periods away. *store.Store implements it.
type Store interface {
	// SetAway records a's period (replacing the one a.User had) with ev in
	// one atomic step.
	SetAway(ctx context.Context, team string, a domain.Absence, now time.Time, ev domain.Event) error
	// EndAway ends user's running period with ev in one atomic step;
	// ended is false (nothing written) when there was none.
	EndAway(ctx context.Context, team, user string, now time.Time, ev domain.Event) (ended bool, err error)
	// Absences returns the periods that still run at t.
	Absences(ctx context.Context, team string, t time.Time) (domain.Absences, error)
}

// Directory knows who is who.
type Directory interface {
	// IsMember reports whether user is one of ids: named directly (U…,
	// W…) or a member of one of its user groups (S…).
	IsMember(ctx context.Context, team, user string, ids []string) (bool, error)
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// ZoneFunc returns user's time zone; nil or a nil answer is the policy's.
type ZoneFunc func(ctx context.Context, team, user string) *time.Location

// MaxAhead is how far ahead the last day away may be.
const MaxAhead = 1 // year

// CacheFor is how long a replica keeps the periods it read: routing a
// decision asks who is away, and must not cost a Redis round trip each
// time. A period set or ended on this replica applies here at once; on the
// others within CacheFor. Whether a period still runs is decided at each
// read, so a period ends on time whatever the cache.
const CacheFor = 10 * time.Second

// Service applies the rules of time away. Build it with New; it is safe
// for concurrent use.
type Service struct {
	policies *domain.Policies
	store    Store
	dir      Directory
	clock    Clock
	zone     ZoneFunc

	mu     sync.Mutex
	cached map[string]cachedPeriods // by workspace; guarded by mu
	gen    uint64                   // counts forget calls; guarded by mu
}

// cachedPeriods are a workspace's periods as read at read (the real clock).
type cachedPeriods struct {
	all  domain.Absences
	read time.Time
}

// New returns the service; zone may be nil (every leader in the policy's
// zone).
func New(p *domain.Policies, st Store, dir Directory, clk Clock, zone ZoneFunc) *Service {
	return &Service{policies: p, store: st, dir: dir, clock: clk, zone: zone}
}

func (s *Service) policy() *domain.Policy { return s.policies.Current() }

// Zone is user's time zone: theirs when known, else the policy's.
func (s *Service) Zone(ctx context.Context, team, user string) *time.Location {
	if s.zone != nil {
		if loc := s.zone(ctx, team, user); loc != nil {
			return loc
		}
	}
	if loc := s.policy().Location; loc != nil {
		return loc
	}
	return time.UTC
}

// IsLeader reports whether user approves at some level, for the top level
// or for a team, named directly or through a user group.
func (s *Service) IsLeader(ctx context.Context, team, user string) (bool, error) {
	return s.dir.IsMember(ctx, team, user, s.policy().Leaders())
}

// Request is `/empower away until <Until> [delegate <Delegate>]` as typed.
type Request struct {
	Team, User string
	// Until is the date as typed ("friday", "2026-12-24").
	Until string
	// Delegate is the user ID of the leader who covers; "" for none.
	Delegate string
}

// Away records r: its user is away until the end of the day r names, in
// their zone. Refusals (nothing stored): not a leader, the delegate is
// themselves, not a leader or away too, the date unreadable, past or more
// than a year away.
func (s *Service) Away(ctx context.Context, r Request) (*domain.Absence, error) {
	ok, err := s.IsLeader(ctx, r.Team, r.User)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, domain.Forbiddenf("`away` is for leaders: it hands the approvals that come to you to someone else while you're out. None come to you, so there's nothing to hand over, and nothing was stored.")
	}
	now := s.clock.Now()
	loc := s.Zone(ctx, r.Team, r.User)
	today := dates.Of(now.In(loc))
	last, err := s.readDate(r.Until, now, loc)
	if err != nil {
		return nil, err
	}
	if limit := yearAhead(today); last.After(limit) {
		return nil, tooFar(last, today)
	}
	if r.Delegate != "" {
		if err := s.checkDelegate(ctx, r, now, today); err != nil {
			return nil, err
		}
	}
	a := domain.Absence{
		User: r.User, Delegate: r.Delegate, Until: last.String(), Zone: loc.String(),
		Ends: last.AddDays(1).In(loc), Since: now,
	}
	ev := domain.Event{Actor: r.User, Subject: r.User, To: a.Until, At: now,
		Payload: domain.AwayStartedData{Until: a.Until, Zone: a.Zone, Ends: domain.UnixMilliOf(a.Ends), Delegate: a.Delegate}}
	err = s.store.SetAway(ctx, r.Team, a, now, ev)
	s.forget(r.Team)
	if err != nil {
		return nil, fmt.Errorf("away: %w", err)
	}
	return &a, nil
}

// readDate reads the last day away as typed, in loc. A date past, more
// than a year away or unreadable is a refusal that says so.
func (s *Service) readDate(typed string, now time.Time, loc *time.Location) (dates.Date, error) {
	today := dates.Of(now.In(loc))
	last, err := dates.Parse(typed, now, loc)
	var de *dates.Error
	if err == nil || !errors.As(err, &de) {
		return last, err
	}
	if de.TooFar {
		return dates.Date{}, domain.Invalidf(":calendar: `%s` is more than a year away: pick a last day away up to %s. Nothing was stored.",
			slacktext.Code(strings.TrimSpace(typed)), yearAhead(today).Human(today))
	}
	return dates.Date{}, domain.Invalidf(":calendar: %s Nothing was stored.", slacktext.Escape(de.Message))
}

// tooFar refuses a last day away more than a year ahead of today.
func tooFar(last, today dates.Date) error {
	return domain.Invalidf(":calendar: %s is more than a year away: pick a last day away up to %s. Nothing was stored.",
		last.Human(today), yearAhead(today).Human(today))
}

// yearAhead is the last day a period may run to from today.
func yearAhead(today dates.Date) dates.Date {
	return dates.Of(today.In(time.UTC).AddDate(MaxAhead, 0, 0))
}

// checkDelegate refuses a delegate who is r's user, not a leader, or away
// themselves.
func (s *Service) checkDelegate(ctx context.Context, r Request, now time.Time, today dates.Date) error {
	if r.Delegate == r.User {
		return domain.Invalidf("You can't be your own delegate: name another leader to cover for you, or leave out `delegate` and the other leaders at your level will. Nothing was stored.")
	}
	ok, err := s.IsLeader(ctx, r.Team, r.Delegate)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Invalidf("%s doesn't answer approvals, so they can't cover yours: name another leader, or leave out `delegate` and the other leaders at your level will cover. Nothing was stored.",
			slacktext.User(r.Delegate))
	}
	as, err := s.store.Absences(ctx, r.Team, now)
	if err != nil {
		return err
	}
	if a, ok := as[r.Delegate]; ok {
		return domain.Invalidf("%s is away too, until %s: name a leader who is here, or leave out `delegate`. Nothing was stored.",
			slacktext.User(r.Delegate), UntilText(a, today))
	}
	return nil
}

// Back ends user's period early and returns it; nil (and no error) when
// they were not away.
func (s *Service) Back(ctx context.Context, team, user string) (*domain.Absence, error) {
	now := s.clock.Now()
	as, err := s.store.Absences(ctx, team, now)
	if err != nil {
		return nil, err
	}
	a, ok := as[user]
	if !ok {
		return nil, nil
	}
	ev := domain.Event{Actor: user, Subject: user, From: a.Until, To: "back", At: now,
		Payload: domain.AwayEndedData{Until: a.Until, Delegate: a.Delegate}}
	ended, err := s.store.EndAway(ctx, team, user, now, ev)
	s.forget(team)
	if err != nil {
		return nil, fmt.Errorf("back: %w", err)
	}
	if !ended {
		return nil, nil
	}
	return &a, nil
}

// Absences returns the leaders away at t, from this replica's cache when
// it was read within CacheFor.
func (s *Service) Absences(ctx context.Context, team string, t time.Time) (domain.Absences, error) {
	s.mu.Lock()
	c, ok := s.cached[team]
	gen := s.gen
	s.mu.Unlock()
	if !ok || time.Since(c.read) >= CacheFor {
		read := time.Now()
		all, err := s.store.Absences(ctx, team, time.Time{}) // every stored period
		if err != nil {
			return nil, err
		}
		c = cachedPeriods{all: all, read: read}
		s.mu.Lock()
		if s.gen == gen { // not changed here meanwhile
			if s.cached == nil {
				s.cached = map[string]cachedPeriods{}
			}
			s.cached[team] = c
		}
		s.mu.Unlock()
	}
	out := make(domain.Absences, len(c.all))
	for u, a := range c.all {
		if a.ActiveAt(t) {
			out[u] = a
		}
	}
	return out, nil
}

// forget drops team's cached periods, after this replica changed them.
func (s *Service) forget(team string) {
	s.mu.Lock()
	delete(s.cached, team)
	s.gen++
	s.mu.Unlock()
}

// IsAway reports whether user is away at t: the reminder and feedback jobs
// send them nothing.
func (s *Service) IsAway(ctx context.Context, team, user string, t time.Time) (bool, error) {
	as, err := s.Absences(ctx, team, t)
	if err != nil {
		return false, err
	}
	return as.IsAway(user), nil
}

// UntilText is a's last day for people, seen on today: "Fri Dec 4".
func UntilText(a domain.Absence, today dates.Date) string {
	d, err := dates.ParseISO(a.Until)
	if err != nil {
		return a.Until
	}
	return d.Human(today)
}
