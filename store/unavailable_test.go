package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// TestRedisDownIsUnavailable checks the store's error boundary: an answer
// (a missing decision) keeps its error, Redis stopped or the client closed
// is domain.Unavailable, and Redis back is fine again.
func TestRedisDownIsUnavailable(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartOwn(t, redistest.Options{})
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(rdb, store.NewKeys("p"))
	store.New(rdb, store.NewKeys("q")) // a second Store on the same client classifies once

	_, err = s.GetDecision(ctx, "T1", "D-NOPE")
	if !errors.Is(err, domain.ErrDecisionNotFound) || domain.ErrorCode(err) != domain.Internal {
		t.Fatalf("GetDecision(missing) = %v (code %q); want ErrNotFound, code internal", err, domain.ErrorCode(err))
	}

	srv.Stop()
	_, err = s.GetDecision(ctx, "T1", "D-NOPE")
	if got := domain.ErrorCode(err); got != domain.Unavailable {
		t.Errorf("GetDecision with Redis stopped = %v (code %q); want code unavailable", err, got)
	}
	if _, err := s.Dedupe(ctx, "T1", "slash", "x", time.Minute); domain.ErrorCode(err) != domain.Unavailable {
		t.Errorf("Dedupe with Redis stopped = %v; want code unavailable", err)
	}
	if _, err := s.GetDecisions(ctx, "T1", []string{"D-1", "D-2"}); domain.ErrorCode(err) != domain.Unavailable {
		t.Errorf("GetDecisions (a pipeline) with Redis stopped = %v; want code unavailable", err)
	}
	if err := s.Ping(ctx); domain.ErrorCode(err) != domain.Unavailable {
		t.Errorf("Ping with Redis stopped = %v; want code unavailable", err)
	}

	srv.Restart()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() after restart = %v; want nil", err)
	}

	_ = rdb.Close()
	if err := s.Ping(ctx); domain.ErrorCode(err) != domain.Unavailable {
		t.Errorf("Ping on a closed client = %v; want code unavailable", err)
	}
}
