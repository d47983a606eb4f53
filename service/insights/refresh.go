package insights

import (
	"context"
	"slices"
	"sync"
	"time"
)

// homeCacheTTL is how long a replica trusts its copy of the set of people
// who opened the Home before reading it again.
const homeCacheTTL = 5 * time.Second

// homeRefreshTimeout bounds one background refresh of a Home.
const homeRefreshTimeout = 30 * time.Second

// Homes re-publishes the App Home of people who have opened it, after
// changes that concern them (handlers call Refresh through Touched).
// Refreshes run in the background, never delaying the change's own answer,
// and one at a time per person: changes that arrive while a person's Home
// is being rendered cause one more render, so the last one published shows
// the latest state.
//
// Who opened the Home is read from Redis at most every few seconds per
// replica (the set only grows); a person who opens the Home on another
// replica is picked up at the next read, their Home being fresh meanwhile.
//
// The refresh goroutines are owned by Homes: each lives until its person's
// Home is published (or homeRefreshTimeout passes). Wait waits for them and
// Close stops new ones and ends the running ones; App.Run calls both, so
// the process awaits them before it closes Redis.
type Homes struct {
	svc *Service

	mu      sync.Mutex
	opened  map[string]map[string]bool    // team -> people who opened the Home
	loaded  map[string]time.Time          // team -> when opened was read
	running map[string]context.CancelFunc // team|user -> cancels the refresh that runs
	dirty   map[string]bool               // team|user -> changed during the refresh
	idle    chan struct{}                 // closed when the last running refresh ends
	closed  bool                          // Close was called: no refresh starts
}

func newHomes(s *Service) *Homes {
	return &Homes{svc: s, opened: map[string]map[string]bool{}, loaded: map[string]time.Time{},
		running: map[string]context.CancelFunc{}, dirty: map[string]bool{}}
}

// noteOpened records locally that user opened the Home.
func (hs *Homes) noteOpened(team, user string) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.opened[team] == nil {
		hs.opened[team] = map[string]bool{}
	}
	hs.opened[team][user] = true
}

// openedOf returns those of users who opened the Home.
func (hs *Homes) openedOf(ctx context.Context, team string, users []string) ([]string, error) {
	hs.mu.Lock()
	fresh := time.Since(hs.loaded[team]) < homeCacheTTL
	hs.mu.Unlock()
	if !fresh {
		all, err := hs.svc.store.HomeOpenedAll(ctx, team)
		if err != nil {
			return nil, err
		}
		hs.mu.Lock()
		set := hs.opened[team]
		if set == nil {
			set = map[string]bool{}
			hs.opened[team] = set
		}
		for _, u := range all {
			set[u] = true
		}
		hs.loaded[team] = time.Now()
		hs.mu.Unlock()
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var out []string
	for _, u := range users {
		if hs.opened[team][u] {
			out = append(out, u)
		}
	}
	return out, nil
}

// Refresh re-publishes, in the background, the Home of each of userIDs who
// has opened it. Failures are logged: the change that caused the refresh is
// already saved.
func (hs *Homes) Refresh(ctx context.Context, teamID string, userIDs ...string) {
	teamID = hs.svc.teamOr(teamID)
	var ids []string
	for _, u := range userIDs {
		if u != "" && !slices.Contains(ids, u) {
			ids = append(ids, u)
		}
	}
	opened, err := hs.openedOf(ctx, teamID, ids)
	if err != nil {
		hs.svc.log.Warn("could not refresh App Homes", "team", teamID, "error", err.Error())
		return
	}
	for _, u := range opened {
		hs.schedule(context.WithoutCancel(ctx), teamID, u)
	}
}

// schedule renders user's Home in the background, once more when it changes
// meanwhile.
func (hs *Homes) schedule(ctx context.Context, team, user string) {
	key := team + "|" + user
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.closed {
		hs.svc.log.Debug("App Home not refreshed: shutting down", "team", team, "user", user)
		return
	}
	if hs.running[key] != nil {
		hs.dirty[key] = true
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	if len(hs.running) == 0 {
		hs.idle = make(chan struct{})
	}
	hs.running[key] = cancel
	go func() {
		defer hs.finished(key)
		for {
			rctx, rcancel := context.WithTimeout(ctx, homeRefreshTimeout)
			if err := hs.svc.PublishHome(rctx, team, user); err != nil {
				hs.svc.log.Warn("could not refresh an App Home", "team", team, "user", user, "error", err.Error())
			}
			rcancel()
			if !hs.again(key) {
				return
			}
		}
	}()
}

// publishNow publishes user's Home now, in turn with the background
// refreshes: when one is rendering their Home, it is told to render once
// more instead (what it publishes last then shows the latest state), so a
// Home gathered before a change is never published after the Home that
// shows it. It returns the first publish's error.
func (hs *Homes) publishNow(ctx context.Context, team, user string) error {
	key := team + "|" + user
	hs.mu.Lock()
	if hs.running[key] != nil {
		hs.dirty[key] = true
		hs.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	if len(hs.running) == 0 {
		hs.idle = make(chan struct{})
	}
	hs.running[key] = cancel
	hs.mu.Unlock()
	defer hs.finished(key)
	err := hs.svc.PublishHome(ctx, team, user)
	for hs.again(key) {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), homeRefreshTimeout)
		if err := hs.svc.PublishHome(rctx, team, user); err != nil {
			hs.svc.log.Warn("could not refresh an App Home", "team", team, "user", user, "error", err.Error())
		}
		rcancel()
	}
	return err
}

// again reports whether key's Home changed during its refresh, and must be
// rendered once more.
func (hs *Homes) again(key string) bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if !hs.dirty[key] || hs.closed {
		return false
	}
	delete(hs.dirty, key)
	return true
}

// finished records that key's refresh goroutine ended.
func (hs *Homes) finished(key string) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.running[key]()
	delete(hs.running, key)
	delete(hs.dirty, key)
	if len(hs.running) == 0 {
		close(hs.idle)
	}
}

// Wait waits until no refresh runs, or ctx ends (its error is returned).
// Refreshes may start again afterwards; Close stops them for good.
func (hs *Homes) Wait(ctx context.Context) error {
	hs.mu.Lock()
	if len(hs.running) == 0 {
		hs.mu.Unlock()
		return nil
	}
	idle := hs.idle
	hs.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops refreshes from starting and waits for the running ones until
// ctx ends; those still running then are cancelled, and Close returns once
// they have ended.
func (hs *Homes) Close(ctx context.Context) {
	hs.mu.Lock()
	hs.closed = true
	hs.mu.Unlock()
	if hs.Wait(ctx) == nil {
		return
	}
	hs.mu.Lock()
	n := len(hs.running)
	for _, cancel := range hs.running {
		cancel()
	}
	hs.mu.Unlock()
	hs.svc.log.Warn("shutdown grace over with App Home refreshes still running: cancelling them", "refreshes", n)
	_ = hs.Wait(context.Background())
}
