package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The time-zone directory's cache: each person's Slack time zone (users.info
// `tz`), as the zones package last read it.
//
//	<prefix>:{T}:zones            person -> "<checked Unix ms>|<IANA zone>" ("" zone: Slack has none)
//	<prefix>:{T}:zones-refreshed  when the whole workspace was last read (Unix ms)
//
// Every write is one HSET (or SET): atomic, and safe to repeat.

// CachedZone is one person's cached Slack time zone.
type CachedZone struct {
	// TZ is the IANA zone name ("Asia/Tokyo"); "" when Slack has none.
	TZ string
	// Checked is when it was read from Slack.
	Checked time.Time
}

// zoneBatch bounds the fields of one HSET or one HSCAN page.
const zoneBatch = 1000

func encodeZone(z CachedZone) string {
	return strconv.FormatInt(z.Checked.UnixMilli(), 10) + "|" + z.TZ
}

func decodeZone(v string) (CachedZone, bool) {
	ms, tz, ok := strings.Cut(v, "|")
	if !ok {
		return CachedZone{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return CachedZone{}, false
	}
	return CachedZone{TZ: tz, Checked: time.UnixMilli(n)}, true
}

// UserZone returns user's cached zone; ok is false when none is cached.
func (s *Store) UserZone(ctx context.Context, team, user string) (z CachedZone, ok bool, err error) {
	v, err := s.rdb.HGet(ctx, s.keys.Team(team, "zones"), user).Result()
	if errors.Is(err, redis.Nil) {
		return CachedZone{}, false, nil
	}
	if err != nil {
		return CachedZone{}, false, fmt.Errorf("read the time zone of %s: %w", user, err)
	}
	z, ok = decodeZone(v)
	return z, ok, nil
}

// UserZones returns every cached zone of team, by person.
func (s *Store) UserZones(ctx context.Context, team string) (map[string]CachedZone, error) {
	key := s.keys.Team(team, "zones")
	out := make(map[string]CachedZone)
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", zoneBatch).Result()
		if err != nil {
			return nil, fmt.Errorf("read the time zones: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if z, ok := decodeZone(kv[i+1]); ok {
				out[kv[i]] = z
			}
		}
		if next == 0 {
			return out, nil
		}
		cursor = next
	}
}

// SaveUserZones caches zones (person -> IANA zone, "" for none) as read at
// checked. With full, they are a read of the whole workspace, and
// ZonesRefreshed returns checked from now on.
func (s *Store) SaveUserZones(ctx context.Context, team string, zones map[string]string, checked time.Time, full bool) error {
	key := s.keys.Team(team, "zones")
	batch := make([]any, 0, 2*min(len(zones), zoneBatch))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.rdb.HSet(ctx, key, batch...).Err()
		batch = batch[:0]
		if err != nil {
			return fmt.Errorf("save time zones: %w", err)
		}
		return nil
	}
	for user, tz := range zones {
		batch = append(batch, user, encodeZone(CachedZone{TZ: tz, Checked: checked}))
		if len(batch) >= 2*zoneBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if full {
		if err := s.rdb.Set(ctx, s.keys.Team(team, "zones-refreshed"), checked.UnixMilli(), 0).Err(); err != nil {
			return fmt.Errorf("save when the time zones were read: %w", err)
		}
	}
	return nil
}

// ZonesRefreshed returns when the whole workspace's zones were last read
// (SaveUserZones with full); the zero time when never.
func (s *Store) ZonesRefreshed(ctx context.Context, team string) (time.Time, error) {
	v, err := s.rdb.Get(ctx, s.keys.Team(team, "zones-refreshed")).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read when the time zones were read: %w", err)
	}
	return time.UnixMilli(v), nil
}
