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
//	<prefix>:{T}:dm-opening:<U> a replica is opening that channel now (a lease)
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

// dmOpenKind is the lease of opening the DM channel with one person
// ("<prefix>:{T}:dm-opening:<U>").
//
// claim: KEYS[2] the cached channel. A channel cached already is done, with
// the channel as the result.
//
// done: KEYS[2] the cached channel; ARGV[4] the channel, which is cached.
var dmOpenKind = newLeaseKind(leaseHooks{
	claim: `
local ch = redis.call('GET', KEYS[2])
if ch then return lease_done(ch) end`,
	done: `
redis.call('SET', KEYS[2], ARGV[4])`,
})

func (s *Store) dmOpenKeys(team, user string) []string {
	return []string{s.keys.Team(team, "dm-opening", user), s.keys.Team(team, "dm", user)}
}

// ClaimDMOpen lets one caller at a time, across replicas, open the DM
// channel with user, for owner for ttl: LeaseClaimed means the caller opens
// it and then calls DMOpened (or ReleaseDMOpen when it could not);
// LeaseHeld that another caller is opening it now (wait for DMChannel);
// LeaseDone that it is open, and channel is the cached channel (it may be
// "" after an older version's claim: wait for DMChannel then).
func (s *Store) ClaimDMOpen(ctx context.Context, team, user, owner string, ttl time.Duration) (st LeaseState, channel string, err error) {
	st, channel, err = s.claimLease(ctx, dmOpenKind, s.dmOpenKeys(team, user), owner, ttl)
	if err != nil {
		return 0, "", fmt.Errorf("claim dm open: %w", err)
	}
	return st, channel, nil
}

// DMOpened caches channel as the DM channel with user and ends owner's
// claim, in one step. When another caller holds the claim now, the channel
// is cached all the same (it is the same channel).
func (s *Store) DMOpened(ctx context.Context, team, user, owner, channel string) error {
	ok, err := s.finishLease(ctx, dmOpenKind, s.dmOpenKeys(team, user), owner, 0, "", channel)
	if err != nil {
		return fmt.Errorf("record dm open: %w", err)
	}
	if !ok {
		return s.SetDMChannel(ctx, team, user, channel)
	}
	return nil
}

// ReleaseDMOpen gives back owner's claim after the channel could not be
// opened, so that the next caller opens it at once.
func (s *Store) ReleaseDMOpen(ctx context.Context, team, user, owner string) error {
	if _, err := s.releaseLease(ctx, dmOpenKind, s.dmOpenKeys(team, user)[:1], owner); err != nil {
		return fmt.Errorf("release dm open: %w", err)
	}
	return nil
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
