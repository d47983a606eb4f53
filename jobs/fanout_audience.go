package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackapi"
)

// Directory is the part of the Slack Web API the fan-out needs to find
// people (*slack.Client).
type Directory interface {
	GetUsersContext(ctx context.Context, options ...slack.GetUsersOption) ([]slack.User, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUserGroupMembersContext(ctx context.Context, group string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// Audience is the people a fan-out reaches.
type Audience struct {
	// People are the user IDs to DM, sorted, each once.
	People []string
	// Excluded counts the IDs left out: bots, deleted or deactivated users,
	// and IDs Slack does not know.
	Excluded int
	// Unresolved are the user groups whose members Slack would not list
	// (unknown or disabled groups); they are among Excluded.
	Unresolved []string
}

// usersListPage is the users.list page size (Slack accepts up to 1000;
// bigger pages mean fewer calls to a Tier 2 method).
const usersListPage = 1000

// ResolveAudience turns policy IDs (users U…/W… and user groups S…) into the
// people to DM: groups are expanded with usergroups.users.list, everyone is
// listed once, and bots, deleted and deactivated users are left out, as
// users.list (one paginated pass over the workspace) and, for IDs it does not
// list, users.info say.
func ResolveAudience(ctx context.Context, dir Directory, ids []string) (Audience, error) {
	var candidates, unresolved []string
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			members, err := dir.GetUserGroupMembersContext(ctx, id)
			if slackapi.Classify(err) == slackapi.Permanent {
				// Slack's answer, not a passing failure: one bad group
				// must not keep everyone else from their DM.
				unresolved = append(unresolved, id)
				continue
			}
			if err != nil {
				return Audience{}, fmt.Errorf("list members of user group %s: %w", id, err)
			}
			candidates = append(candidates, members...)
			continue
		}
		candidates = append(candidates, id)
	}
	candidates = dedupe(candidates)
	if len(candidates) == 0 {
		return Audience{People: []string{}, Excluded: len(unresolved), Unresolved: unresolved}, nil
	}

	users, err := dir.GetUsersContext(ctx, slack.GetUsersOptionLimit(usersListPage), slack.GetUsersOptionIncludeLocale(false))
	if err != nil {
		if ctx.Err() != nil {
			return Audience{}, fmt.Errorf("list users: %w", err)
		}
		// users.list refused or not offered: everyone is looked up with
		// users.info below instead (a real failure fails there too).
		users = nil
	}
	byID := make(map[string]*slack.User, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	a := Audience{People: make([]string, 0, len(candidates)), Excluded: len(unresolved), Unresolved: unresolved}
	for _, id := range candidates {
		u, ok := byID[id]
		if !ok {
			u, err = dir.GetUserInfoContext(ctx, id)
			switch {
			case slackapi.UserNotFound(err):
				a.Excluded++
				continue
			case err != nil:
				return Audience{}, fmt.Errorf("look up user %s: %w", id, err)
			}
		}
		if !reachable(u) {
			a.Excluded++
			continue
		}
		a.People = append(a.People, id)
	}
	return a, nil
}

// reachable reports whether u is a person who can get a DM.
func reachable(u *slack.User) bool {
	return u != nil && !u.IsBot && !u.Deleted && u.ID != "USLACKBOT"
}
