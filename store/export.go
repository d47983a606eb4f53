package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// auditPage is how many audit entries EachAudit reads at a time.
const auditPage = 500

// EachAudit calls fn with each of team's audit events with at in [from,
// to), in the order they were appended, reading the stream a page at a time, so that a year of
// a large team never sits in memory. It stops at fn's first error and
// returns it.
func (s *Store) EachAudit(ctx context.Context, team string, from, to time.Time, fn func(domain.Event) error) error {
	key := s.AuditKey(team)
	start, end := auditRange(from)
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, start, end, auditPage).Result()
		if err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		for _, m := range msgs {
			ev, err := parseAudit(m)
			if err != nil {
				return fmt.Errorf("read audit of %s: %w", team, err)
			}
			if ev.At.Before(from) || !ev.At.Before(to) {
				continue
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(msgs) < auditPage {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// TrimAudit deletes team's audit entries from before before (the policy's
// retention) and returns how many went. Safe to run any number of times, by
// any number of replicas.
func (s *Store) TrimAudit(ctx context.Context, team string, before time.Time) (int64, error) {
	n, err := s.rdb.XTrimMinID(ctx, s.AuditKey(team), strconv.FormatInt(before.UnixMilli(), 10)).Result()
	if err != nil {
		return 0, fmt.Errorf("trim audit: %w", err)
	}
	return n, nil
}

// AuditTeams lists the workspaces that have an audit stream under this
// store's prefix (`empowerbot export` without a token to name the
// workspace). It scans one Redis server; on a Cluster name the workspace.
func (s *Store) AuditTeams(ctx context.Context) ([]string, error) {
	pattern := s.keys.Team("*", "audit")
	var out []string
	iter := s.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		open, close := strings.Index(k, "{"), strings.Index(k, "}")
		if open >= 0 && close > open {
			out = append(out, k[open+1:close])
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan audit streams: %w", err)
	}
	return out, nil
}
