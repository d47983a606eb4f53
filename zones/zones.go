// Package zones is the time-zone directory: each person's Slack time zone
// (users.info `tz`), cached in Redis and read again once a day, and the
// policy's zone for anyone Slack gives none (or when Slack cannot be
// asked). Dates a person types are read in their zone, and, with the
// policy's local_time, the person-facing schedules fire at their time there.
//
// It reaches Redis through Store (*store.Store) and Slack through Slack
// (package handlers), both defined here; it never speaks slack-go itself.
// With local_time off, Location is the policy's zone and nothing is asked.
package zones

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
)

// Store is the cache of zones (*store.Store).
type Store interface {
	UserZone(ctx context.Context, team, user string) (store.CachedZone, bool, error)
	UserZones(ctx context.Context, team string) (map[string]store.CachedZone, error)
	SaveUserZones(ctx context.Context, team string, zones map[string]string, checked time.Time, full bool) error
	ZonesRefreshed(ctx context.Context, team string) (time.Time, error)
}

// Slack reads time zones from Slack (package handlers implements it).
type Slack interface {
	// UserZone returns user's IANA zone (users.info), "" when Slack has none.
	UserZone(ctx context.Context, user string) (string, error)
	// AllZones returns the zone of every person the workspace lists
	// (users.list), "" for those without one.
	AllZones(ctx context.Context) (map[string]string, error)
}

// Config is what a Directory needs.
type Config struct {
	Store Store
	Slack Slack
	// Policy returns the policy in force: its zone is everyone's whose zone
	// is unknown, and its local_time says whether people's own zones count.
	Policy func() *domain.Policy
	Now    func() time.Time
	Log    *slog.Logger
	// MaxAge is how long the workspace's zones are used before they are
	// read again (default 24h).
	MaxAge time.Duration
	// LookupTimeout bounds the one users.info call a person whose zone is
	// not cached yet costs (default 700ms): it sits on a command's path.
	LookupTimeout time.Duration
	// SnapshotTTL is how long Snapshot reuses what it read from Redis
	// (default 1m).
	SnapshotTTL time.Duration
}

// Directory answers "which zone is this person in". Build it with New; it
// is safe for concurrent use.
type Directory struct {
	cfg  Config
	locs sync.Map // IANA name -> *time.Location

	mu     sync.Mutex
	snap   map[string]string // guarded by mu: person -> IANA zone
	snapAt time.Time         // guarded by mu: when snap was read
	team   string            // guarded by mu: the team of snap
}

// New returns a Directory.
func New(cfg Config) *Directory {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = 700 * time.Millisecond
	}
	if cfg.SnapshotTTL <= 0 {
		cfg.SnapshotTTL = time.Minute
	}
	return &Directory{cfg: cfg}
}

// policyZone is the policy's zone (UTC when it names none).
func (d *Directory) policyZone() *time.Location {
	if p := d.cfg.Policy(); p != nil && p.Location != nil {
		return p.Location
	}
	return time.UTC
}

// Local reports whether the policy's local_time is on.
func (d *Directory) Local() bool {
	p := d.cfg.Policy()
	return p != nil && p.LocalTime
}

// PolicyZone returns the policy's zone.
func (d *Directory) PolicyZone() *time.Location { return d.policyZone() }

// load returns the location named tz, or nil when it is "" or unknown.
func (d *Directory) load(tz string) *time.Location {
	if tz == "" {
		return nil
	}
	if l, ok := d.locs.Load(tz); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		d.cfg.Log.Warn("unknown time zone from Slack; using the policy's", "tz", tz)
		return nil
	}
	d.locs.Store(tz, l)
	return l
}

// Location returns the zone the dates user types are read in and the times
// shown to them: with local_time, their own Slack zone (the policy's when
// Slack has none or cannot be asked now); without it, the policy's. A person
// not cached yet costs one users.info call of at most LookupTimeout.
func (d *Directory) Location(ctx context.Context, team, user string) *time.Location {
	if !d.Local() || user == "" {
		return d.policyZone()
	}
	return d.Zone(ctx, team, user)
}

// Zone returns user's own zone whether or not local_time is on (the
// policy's when unknown).
func (d *Directory) Zone(ctx context.Context, team, user string) *time.Location {
	z, ok, err := d.cfg.Store.UserZone(ctx, team, user)
	if err != nil {
		d.cfg.Log.Warn("time zone cache unavailable; using the policy's zone", "user", user, "error", err.Error())
		return d.policyZone()
	}
	if ok {
		if l := d.load(z.TZ); l != nil {
			return l
		}
		return d.policyZone()
	}
	lctx, cancel := context.WithTimeout(ctx, d.cfg.LookupTimeout)
	defer cancel()
	tz, err := d.cfg.Slack.UserZone(lctx, user)
	if err != nil {
		d.cfg.Log.Warn("could not read a time zone from Slack; using the policy's zone", "user", user, "error", err.Error())
		return d.policyZone()
	}
	if err := d.cfg.Store.SaveUserZones(context.WithoutCancel(ctx), team, map[string]string{user: tz}, d.cfg.Now(), false); err != nil {
		d.cfg.Log.Warn("could not cache a time zone", "user", user, "error", err.Error())
	}
	if l := d.load(tz); l != nil {
		return l
	}
	return d.policyZone()
}

// Refresh reads every person's zone from Slack (users.list) into the cache
// when the last read is older than MaxAge (or always, with force).
func (d *Directory) Refresh(ctx context.Context, team string, force bool) error {
	now := d.cfg.Now()
	if !force {
		at, err := d.cfg.Store.ZonesRefreshed(ctx, team)
		if err != nil {
			return err
		}
		if !at.IsZero() && now.Sub(at) < d.cfg.MaxAge && !at.After(now) {
			return nil
		}
	}
	all, err := d.cfg.Slack.AllZones(ctx)
	if err != nil {
		return err
	}
	if err := d.cfg.Store.SaveUserZones(ctx, team, all, now, true); err != nil {
		return err
	}
	d.mu.Lock()
	d.snapAt = time.Time{}
	d.mu.Unlock()
	d.cfg.Log.Info("time zones read from slack", "people", len(all))
	return nil
}

// Snapshot returns everyone's zone as cached, read from Redis at most once
// per SnapshotTTL; the workspace is read from Slack first when its zones
// are older than MaxAge (a failure there is logged, and the cache used).
func (d *Directory) Snapshot(ctx context.Context, team string) (*Zones, error) {
	now := d.cfg.Now()
	d.mu.Lock()
	fresh := d.team == team && d.snap != nil && now.Sub(d.snapAt) < d.cfg.SnapshotTTL && !d.snapAt.After(now)
	snap := d.snap
	d.mu.Unlock()
	if !fresh {
		if err := d.Refresh(ctx, team, false); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			d.cfg.Log.Warn("could not read the time zones from slack; using the cached ones", "error", err.Error())
		}
		cached, err := d.cfg.Store.UserZones(ctx, team)
		if err != nil {
			return nil, err
		}
		snap = make(map[string]string, len(cached))
		for u, z := range cached {
			snap[u] = z.TZ
		}
		d.mu.Lock()
		d.snap, d.snapAt, d.team = snap, now, team
		d.mu.Unlock()
	}
	z := &Zones{fallback: d.policyZone(), of: make(map[string]*time.Location, len(snap))}
	for u, tz := range snap {
		if l := d.load(tz); l != nil {
			z.of[u] = l
		}
	}
	return z, nil
}

// Zones is everyone's zone at one moment (Directory.Snapshot).
type Zones struct {
	fallback *time.Location
	of       map[string]*time.Location
}

// Fixed returns Zones where everyone is in loc (local_time off).
func Fixed(loc *time.Location) *Zones { return &Zones{fallback: loc} }

// Of returns person's zone, the policy's when unknown.
func (z *Zones) Of(person string) *time.Location {
	if l, ok := z.of[person]; ok {
		return l
	}
	return z.fallback
}

// Fallback returns the zone of people whose zone is unknown (the policy's).
func (z *Zones) Fallback() *time.Location { return z.fallback }

// Locations returns the distinct zones of everyone, the fallback included,
// sorted by name.
func (z *Zones) Locations() []*time.Location {
	seen := map[string]*time.Location{z.fallback.String(): z.fallback}
	for _, l := range z.of {
		seen[l.String()] = l
	}
	out := make([]*time.Location, 0, len(seen))
	for _, l := range seen {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
