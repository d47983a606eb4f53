package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

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
