package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/zones"
)

// ZoneLookup is zones.Slack over the Web API: people's Slack time zones,
// the `tz` of users.info and users.list.
type ZoneLookup struct{ Slack PeopleAPI }

var _ zones.Slack = ZoneLookup{}

// UserZone returns user's zone from users.info ("" when Slack has none,
// or knows no such user).
func (z ZoneLookup) UserZone(ctx context.Context, user string) (string, error) {
	u, err := z.Slack.GetUserInfoContext(ctx, user)
	switch {
	case slackapi.UserNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("users.info %s: %w", user, err)
	case u == nil:
		return "", nil
	}
	return u.TZ, nil
}

// AllZones returns the zone of everyone users.list lists, in one paginated
// pass (a Tier 2 method, so a few calls for thousands of people).
func (z ZoneLookup) AllZones(ctx context.Context) (map[string]string, error) {
	users, err := z.Slack.GetUsersContext(ctx, slack.GetUsersOptionLimit(usersListPage), slack.GetUsersOptionIncludeLocale(false))
	if err != nil {
		return nil, fmt.Errorf("users.list: %w", err)
	}
	out := make(map[string]string, len(users))
	for _, u := range users {
		out[u.ID] = u.TZ
	}
	return out, nil
}

// ZoneDirectory tells each person's time zone (*zones.Directory).
type ZoneDirectory interface {
	// Local reports whether the policy's local_time is on.
	Local() bool
	// Location is user's zone with local_time, the policy's without.
	Location(ctx context.Context, team, user string) *time.Location
}

// ClockFunc shows the moment t to a reader, relative to now.
type ClockFunc func(t, now time.Time) string

// clockFor returns how moments are shown to user in a DM, zone named
// ("10:42 AM CST"): with local_time in their own zone, without in the
// policy's.
func (h *Handlers) clockFor(ctx context.Context, team, user string) ClockFunc {
	loc := h.policy().Location
	if h.Zones != nil && h.Zones.Local() {
		loc = h.zoneOf(ctx, team, user)
	}
	return func(t, now time.Time) string { return dates.ClockText(t, now, loc) }
}

// channelClock returns how moments are shown in a channel post of p: in
// the policy's zone, named.
func channelClock(p *domain.Policy) ClockFunc {
	loc := p.Location
	return func(t, now time.Time) string { return dates.ClockText(t, now, loc) }
}

// homeInZone returns home as its person reads it: with local_time, its
// times and today in their own zone, and a note naming that zone ("" when
// there is nothing to say).
func (h *Handlers) homeInZone(ctx context.Context, home *insights.Home) (*insights.Home, string) {
	if h.Zones == nil || !h.Zones.Local() {
		return home, ""
	}
	loc := h.Zones.Location(ctx, home.Team, home.User)
	in := *home
	in.Loc = loc
	return &in, fmt.Sprintf(":clock3: Times are in your time zone, %s (%s).", loc.String(), home.Now.In(loc).Format("MST"))
}

// zoneOf is user's zone with local_time, the policy's without.
func (h *Handlers) zoneOf(ctx context.Context, team, user string) *time.Location {
	if h.Zones == nil {
		return h.policy().Location
	}
	return h.Zones.Location(ctx, team, user)
}
