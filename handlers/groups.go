package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/slackapi"
)

// groupCacheTTL is how long a user group's members are cached.
const groupCacheTTL = 5 * time.Minute

// IsMember reports whether user is one of ids: named directly (U…/W…) or a
// member of one of its user groups (S…). Group members come from
// usergroups.users.list and are cached in Redis for a few minutes; when the
// cache is unavailable Slack is asked directly. It is the decisions
// service's Directory.
func (h *Handlers) IsMember(ctx context.Context, team, user string, ids []string) (bool, error) {
	for _, id := range ids {
		if id == user {
			return true, nil
		}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		members, err := h.GroupMembers(ctx, team, id)
		if err != nil {
			return false, err
		}
		for _, m := range members {
			if m == user {
				return true, nil
			}
		}
	}
	return false, nil
}

// GroupMembers returns the members of user group group, from the Redis cache
// or usergroups.users.list.
func (h *Handlers) GroupMembers(ctx context.Context, team, group string) ([]string, error) {
	members, ok, err := h.Store.GroupMembers(ctx, team, group)
	if err == nil && ok {
		return members, nil
	}
	if err != nil {
		h.Log.Warn("group cache unavailable", "team", team, "group", group, "error", err.Error())
	}
	return h.listGroup(ctx, team, group, groupCacheTTL)
}

// listGroup lists group's members with usergroups.users.list and caches
// them for ttl.
func (h *Handlers) listGroup(ctx context.Context, team, group string, ttl time.Duration) ([]string, error) {
	members, err := h.Slack.GetUserGroupMembersContext(ctx, group)
	if slackapi.Classify(err) == slackapi.Permanent {
		// Slack's answer (an unknown or disabled group), not a passing
		// failure: the group has no one, and the policy's other people
		// still count.
		h.Log.Warn("Slack does not list this user group's members; check the policy", "team", team, "group", group, "error", slackapi.Code(err))
		members, err = []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list members of %s: %w", group, err)
	}
	if err := h.Store.SetGroupMembers(ctx, team, group, members, ttl); err != nil {
		h.Log.Warn("could not cache group members", "team", team, "group", group, "error", err.Error())
	}
	return members, nil
}

// rosterCacheTTL is how long a group listed for the roster stays in the
// shared cache: longer than the roster's refresh, so that a replica that
// starts meanwhile resolves the policy from Redis without asking Slack.
const rosterCacheTTL = time.Hour

// RosterGroups is roster.Groups in Slack: the Redis group cache shared by
// the replicas, and usergroups.users.list.
type RosterGroups struct{ H *Handlers }

// CachedGroupMembers returns the cached members of group, never asking
// Slack.
func (g RosterGroups) CachedGroupMembers(ctx context.Context, team, group string) ([]string, bool, error) {
	return g.H.Store.GroupMembers(ctx, team, group)
}

// FreshGroupMembers lists group's members with usergroups.users.list and
// caches them. A group Slack does not list (unknown or disabled) has no
// one.
func (g RosterGroups) FreshGroupMembers(ctx context.Context, team, group string) ([]string, error) {
	return g.H.listGroup(ctx, team, group, rosterCacheTTL)
}
