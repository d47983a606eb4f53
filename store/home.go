package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// The App Home's read model.
//
// A person's Home is read from indexes that the scripts changing state keep
// in the same atomic step, so that a render is a few bounded reads whatever
// the length of the audit stream:
//
//	decisions:by-requester:<U>   their recent decisions (decisions.go)
//	decisions:pending            what waits for an answer (decisions.go)
//	commitments:by-leader:<U>    commitments they made, and
//	commitments:by-employee:<U>  made to them (commitments.go; CommitmentsOf,
//	                             which `/empower commitments` reads too)
//	praise:to:<U>                praise and wins crediting them (praise.go)
//
// and beside them
//
//	<prefix>:{T}:home:opened     set of the people who opened the bot's App Home:
//	                             only their Home is re-published after a change
//	<prefix>:{T}:praise:indexed  set once the praise index holds the praise
//	                             given before it existed (IndexPraise)

func (s *Store) homeOpenedKey(team string) string    { return s.keys.Team(team, "home", "opened") }
func (s *Store) praiseIndexedKey(team string) string { return s.keys.Team(team, "praise", "indexed") }

// MarkHomeOpened records that user has opened the App Home.
func (s *Store) MarkHomeOpened(ctx context.Context, team, user string) error {
	if err := s.rdb.SAdd(ctx, s.homeOpenedKey(team), user).Err(); err != nil {
		return fmt.Errorf("mark home opened: %w", err)
	}
	return nil
}

// HomeOpenedAll returns everyone who has opened the App Home.
func (s *Store) HomeOpenedAll(ctx context.Context, team string) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, s.homeOpenedKey(team)).Result()
	if err != nil {
		return nil, fmt.Errorf("home opened: %w", err)
	}
	return out, nil
}

// RecentDecisions returns user's decisions, newest first, at most n.
func (s *Store) RecentDecisions(ctx context.Context, team, user string, n int) ([]domain.Decision, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.requesterKey(team, user), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", user, err)
	}
	return s.decisionsOf(ctx, team, ids)
}

// WaitingDecisions returns the pending decisions, earliest deadline first,
// at most n.
func (s *Store) WaitingDecisions(ctx context.Context, team string, n int) ([]domain.Decision, error) {
	ids, err := s.PendingDecisions(ctx, team, n)
	if err != nil {
		return nil, err
	}
	return s.decisionsOf(ctx, team, ids)
}

// decisionsOf reads the decisions with these IDs, as domain nouns.
func (s *Store) decisionsOf(ctx context.Context, team string, ids []string) ([]domain.Decision, error) {
	recs, err := s.GetDecisions(ctx, team, ids)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Decision, len(recs))
	for i, r := range recs {
		out[i] = r.Decision
	}
	return out, nil
}

// praiseCandidates is how many index entries LatestPraiseFor looks at: an
// entry whose audit record is gone (taken back while IndexPraise ran, or
// past the stream's retention) is passed over.
const praiseCandidates = 5

// LatestPraiseFor returns the latest praise.given or win.posted event that
// credits user with at in [from, to), from their praise index; ok is false
// when there is none.
func (s *Store) LatestPraiseFor(ctx context.Context, team, user string, from, to time.Time) (ev domain.Event, ok bool, err error) {
	ids, err := s.rdb.ZRevRangeByScore(ctx, s.praiseToKey(team, user), &redis.ZRangeBy{
		Max: "(" + strconv.FormatInt(to.UnixMilli(), 10), Min: strconv.FormatInt(from.UnixMilli(), 10), Count: praiseCandidates,
	}).Result()
	if err != nil {
		return domain.Event{}, false, fmt.Errorf("praise of %s: %w", user, err)
	}
	if len(ids) == 0 {
		return domain.Event{}, false, nil
	}
	cmds := make([]*redis.XMessageSliceCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.XRangeN(ctx, s.AuditKey(team), id, id, 1)
		}
		return nil
	})
	if err != nil {
		return domain.Event{}, false, fmt.Errorf("praise of %s: %w", user, err)
	}
	for _, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		ev, err := parseAudit(c.Val()[0])
		if err != nil {
			return domain.Event{}, false, fmt.Errorf("praise of %s: %w", user, err)
		}
		return ev, true, nil
	}
	return domain.Event{}, false, nil
}

// IndexPraise makes sure team's praise index holds the praise and wins given
// since since, before the index existed: the first call reads the audit
// stream from since once and adds them, later ones find that done (one
// read). It is safe to run on several replicas at once, and while praise
// is given (adding an entry twice changes nothing).
func (s *Store) IndexPraise(ctx context.Context, team string, since time.Time) error {
	n, err := s.rdb.Exists(ctx, s.praiseIndexedKey(team)).Result()
	if err != nil {
		return fmt.Errorf("praise index of %s: %w", team, err)
	}
	if n == 1 {
		return nil
	}
	start := strconv.FormatInt(since.UnixMilli(), 10)
	touched := map[string]bool{}
	for {
		msgs, err := s.rdb.XRangeN(ctx, s.AuditKey(team), start, "+", 1000).Result()
		if err != nil {
			return fmt.Errorf("praise index of %s: %w", team, err)
		}
		if err := s.indexPraisePage(ctx, team, msgs, touched); err != nil {
			return err
		}
		if len(msgs) < 1000 {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for key := range touched {
			p.ZRemRangeByRank(ctx, key, 0, -(PraiseIndexKeep + 1))
		}
		p.Set(ctx, s.praiseIndexedKey(team), "1", 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("praise index of %s: %w", team, err)
	}
	return nil
}

// indexPraisePage adds the praise and wins among msgs to the index.
func (s *Store) indexPraisePage(ctx context.Context, team string, msgs []redis.XMessage, touched map[string]bool) error {
	var adds []redis.Z
	var keys []string
	for _, m := range msgs {
		if t, _ := m.Values["type"].(string); t != string(domain.EventPraiseGiven) && t != string(domain.EventWinPosted) {
			continue
		}
		ev, err := parseAudit(m)
		if err != nil {
			return fmt.Errorf("praise index of %s: %w", team, err)
		}
		for _, key := range s.praiseKeys(team, praiseRecipients(ev)) {
			keys = append(keys, key)
			adds = append(adds, redis.Z{Score: float64(ev.At.UnixMilli()), Member: m.ID})
			touched[key] = true
		}
	}
	if len(adds) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			p.ZAdd(ctx, key, adds[i])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("praise index of %s: %w", team, err)
	}
	return nil
}
