package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// IsMember reports whether user is one of ids: named directly (U…/W…) or a
// member of one of its user groups (S…). Group members come from
// usergroups.users.list and are cached in Redis for a few minutes; when the
// cache is unavailable Slack is asked directly.
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
	members, err = h.Slack.GetUserGroupMembersContext(ctx, group)
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
	if err := h.Store.SetGroupMembers(ctx, team, group, members, groupCacheTTL); err != nil {
		h.Log.Warn("could not cache group members", "team", team, "group", group, "error", err.Error())
	}
	return members, nil
}

// levelsOf returns the indexes of the levels whose approvers include user.
func (h *Handlers) levelsOf(ctx context.Context, team, user string) ([]int, error) {
	var out []int
	for i, l := range h.Policy.Levels {
		ok, err := h.IsMember(ctx, team, user, l.Approvers)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// mayApprove reports whether user approves at a level that may answer d now
// (box.MayAct decides on levels; this resolves who is at which level).
func (h *Handlers) mayApprove(ctx context.Context, d *domain.DecisionRecord, user string) (bool, error) {
	levels, err := h.levelsOf(ctx, d.Team, user)
	if err != nil {
		return false, err
	}
	for _, l := range levels {
		if box.MayAct(h.Policy, d.Activity, d.Amount, d.Level, l) {
			return true, nil
		}
	}
	return false, nil
}

// notApproverText tells someone who may not answer d why, and who may.
func (h *Handlers) notApproverText(ctx context.Context, d *domain.DecisionRecord, user string) string {
	var who []string
	for _, l := range box.ActingLevels(h.Policy, d.Activity, d.Amount, d.Level) {
		who = append(who, fmt.Sprintf("*%s* (%s)", slacktext.Escape(h.Policy.LevelName(l)), slacktext.Mentions(h.Policy.LevelApprovers(l))))
	}
	answer := strings.Join(who, " or ")
	levels, _ := h.levelsOf(ctx, d.Team, user)
	if len(levels) > 0 {
		l := levels[len(levels)-1]
		name := h.Policy.LevelName(l)
		if lim, ok := box.Limits(h.Policy, d.Activity); ok && l < len(lim.Levels) && !lim.Levels[l].NoLimit && lim.Levels[l].Limit < d.Amount {
			return fmt.Sprintf("As *%s* you can approve %s up to %s; `%s` is %s, so it's for %s. Nothing changed.",
				slacktext.Escape(name), slacktext.Escape(d.Activity), lim.Levels[l].Limit.Format(lim.Currency), d.ID, amountText(d), answer)
		}
		return fmt.Sprintf("`%s` now waits for *%s*, above *%s*, so it's for %s. Nothing changed.",
			d.ID, slacktext.Escape(d.LevelName), slacktext.Escape(name), answer)
	}
	return fmt.Sprintf("Only the approvers of `%s` can answer it: %s. Nothing changed.", d.ID, answer)
}
