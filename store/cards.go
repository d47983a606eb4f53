package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// staleCardsKey is the sorted set of decisions whose cards may not show
// their current state (an update was due and has not succeeded yet), scored
// by when the update was due (ms).
func (s *Store) staleCardsKey(team string) string {
	return s.keys.Team(team, "decisions", "stale-cards")
}

// MarkCardsStale records that decision id's cards are about to be updated
// at at: until CardsFresh, the repair job takes it for one that failed. It
// keeps the earliest time when marked again (idempotent).
func (s *Store) MarkCardsStale(ctx context.Context, team, id string, at time.Time) error {
	err := s.rdb.ZAddArgs(ctx, s.staleCardsKey(team), redis.ZAddArgs{NX: true, Members: []redis.Z{{Score: float64(at.UnixMilli()), Member: id}}}).Err()
	if err != nil {
		return fmt.Errorf("mark cards of %s stale: %w", id, err)
	}
	return nil
}

// CardsFresh records that decision id's cards show its current state.
func (s *Store) CardsFresh(ctx context.Context, team, id string) error {
	if err := s.rdb.ZRem(ctx, s.staleCardsKey(team), id).Err(); err != nil {
		return fmt.Errorf("mark cards of %s fresh: %w", id, err)
	}
	return nil
}

// StaleCards returns the decisions whose cards were due an update at or
// before before and may still not show it, oldest first, at most limit.
func (s *Store) StaleCards(ctx context.Context, team string, before time.Time, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.staleCardsKey(team), Start: "-inf", Stop: strconv.FormatInt(before.UnixMilli(), 10),
		ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("stale cards: %w", err)
	}
	return ids, nil
}
