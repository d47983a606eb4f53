package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Small caches of Slack lookups, so that a person's DM channel is opened
// once (conversations.open) and a user group's members are listed
// (usergroups.users.list, Tier 2) at most once per TTL:
//
//	<prefix>:{T}:dm:<U>        the DM channel ID with user U (no expiry)
//	<prefix>:{T}:dm-opening:<U> a replica is opening that channel now (seconds)
//	<prefix>:{T}:group:<S>     user group S's members, comma-separated (short TTL)

// DMChannel returns the cached DM channel with user, or "" when none is cached.
func (s *Store) DMChannel(ctx context.Context, team, user string) (string, error) {
	ch, err := s.rdb.Get(ctx, s.keys.Team(team, "dm", user)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get dm channel: %w", err)
	}
	return ch, nil
}

// SetDMChannel caches the DM channel with user.
func (s *Store) SetDMChannel(ctx context.Context, team, user, channel string) error {
	if err := s.rdb.Set(ctx, s.keys.Team(team, "dm", user), channel, 0).Err(); err != nil {
		return fmt.Errorf("set dm channel: %w", err)
	}
	return nil
}

// ClaimDMOpen lets one caller at a time, across replicas, open the DM
// channel with user: it returns true when the caller should open it, false
// when another one is opening it now (then wait for DMChannel). The claim
// ends by itself after ttl.
func (s *Store) ClaimDMOpen(ctx context.Context, team, user string, ttl time.Duration) (bool, error) {
	won, err := s.rdb.SetNX(ctx, s.keys.Team(team, "dm-opening", user), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim dm open: %w", err)
	}
	return won, nil
}

// GroupMembers returns the cached members of user group group and whether
// the cache held them.
func (s *Store) GroupMembers(ctx context.Context, team, group string) ([]string, bool, error) {
	v, err := s.rdb.Get(ctx, s.keys.Team(team, "group", group)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get group members: %w", err)
	}
	if v == "" {
		return []string{}, true, nil
	}
	return strings.Split(v, ","), true, nil
}

// SetGroupMembers caches the members of user group group for ttl.
func (s *Store) SetGroupMembers(ctx context.Context, team, group string, members []string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.Team(team, "group", group), strings.Join(members, ","), ttl).Err(); err != nil {
		return fmt.Errorf("set group members: %w", err)
	}
	return nil
}
