package store_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// proxied returns a Store whose client reaches a real redis-server through
// a redistest.Proxy, the proxy, and a Store reading the same keys directly.
func proxied(t *testing.T, waitReplicas int) (via *store.Store, p *redistest.Proxy, direct *store.Store) {
	t.Helper()
	srv := redistest.Start(t)
	prefix := srv.Prefix(t)
	p = redistest.StartProxy(t, srv.Addr())
	rdb, err := store.NewClient(store.ClientOptions{URL: p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	via = store.New(rdb, store.NewKeys(prefix))
	via.WaitForReplicas(waitReplicas, 0)
	if err := via.Ping(t.Context()); err != nil { // the connection's handshake is done
		t.Fatalf("ping through the proxy: %v", err)
	}
	return via, p, store.New(srv.Client(t), store.NewKeys(prefix))
}

// A decision's script reaches Redis, which runs it, and its reply never
// comes back (held past the client's ReadTimeout, or the connection reset
// after Redis answered): the decision is stored, and the error says it may
// have been (domain.MaybeApplied), never that nothing was recorded.
func TestWriteWithoutItsReplyMayHaveRun(t *testing.T) {
	for _, tc := range []struct {
		name         string
		waitReplicas int
		reset        bool
	}{
		{"reply held", 0, false},
		{"connection dropped after the reply", 0, true},
		{"reply held, with WAIT", 1, false},
		{"connection dropped after the reply, with WAIT", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			via, p, direct := proxied(t, tc.waitReplicas)
			// One decision first, so that Redis knows the script (EVALSHA
			// runs it, rather than answering NOSCRIPT).
			first := pendingDecision("D-MAYBE0")
			if err := via.CreateDecision(t.Context(), first, createdEvent(first)); domain.ErrorCode(err) != "" && (tc.waitReplicas == 0 || domain.ErrorCode(err) != domain.Unconfirmed) {
				t.Fatalf("CreateDecision through the proxy: %v", err)
			}
			d := pendingDecision("D-MAYBE1")
			d.Customer = "Held Reply Co"
			if tc.reset {
				p.ResetAfterReply(d.Customer)
			} else {
				p.HoldReply(d.Customer)
			}
			err := via.CreateDecision(t.Context(), d, createdEvent(d))
			if p.Triggered() != 1 {
				t.Fatalf("the proxy saw the script %d times, want 1", p.Triggered())
			}
			if got := domain.ErrorCode(err); got != domain.MaybeApplied {
				t.Errorf("CreateDecision without its reply = %v (code %q), want code %q", err, got, domain.MaybeApplied)
			}
			got, gerr := direct.GetDecision(context.Background(), team, d.ID)
			if gerr != nil || got.Customer != d.Customer {
				t.Fatalf("the decision in Redis = %v, %v; want it stored (the script ran)", got, gerr)
			}
			// The next command gets a new connection and its answer.
			if _, err := via.GetDecision(t.Context(), team, d.ID); err != nil {
				t.Errorf("GetDecision after = %v, want the decision", err)
			}
		})
	}
}

// A read whose reply never comes back changed nothing: Unavailable.
func TestReadWithoutItsReplyIsUnavailable(t *testing.T) {
	via, p, direct := proxied(t, 0)
	d := pendingDecision("D-MAYBE2")
	if err := direct.CreateDecision(t.Context(), d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	p.HoldReply(d.ID)
	_, err := via.GetDecision(t.Context(), team, d.ID)
	if p.Triggered() != 1 {
		t.Fatalf("the proxy saw the read %d times, want 1", p.Triggered())
	}
	if got := domain.ErrorCode(err); got != domain.Unavailable {
		t.Errorf("GetDecision without its reply = %v (code %q), want code %q", err, got, domain.Unavailable)
	}
}

// A new connection whose handshake (HELLO) gets no answer never sent the
// write that needed it: Unavailable, and nothing stored.
func TestHandshakeWithoutAnswerIsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	prefix := srv.Prefix(t)
	p := redistest.StartProxy(t, srv.Addr())
	rdb, err := store.NewClient(store.ClientOptions{URL: p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	via := store.New(rdb, store.NewKeys(prefix))
	p.HoldReply("$5\r\nhello\r\n")
	d := pendingDecision("D-MAYBE3")
	err = via.CreateDecision(t.Context(), d, createdEvent(d))
	if p.Triggered() != 1 {
		t.Fatalf("the proxy saw HELLO %d times, want 1", p.Triggered())
	}
	if got := domain.ErrorCode(err); got != domain.Unavailable {
		t.Errorf("CreateDecision with HELLO unanswered = %v (code %q), want code %q", err, got, domain.Unavailable)
	}
	direct := store.New(srv.Client(t), store.NewKeys(prefix))
	if _, err := direct.GetDecision(context.Background(), team, d.ID); !errors.Is(err, domain.ErrDecisionNotFound) {
		t.Errorf("the decision in Redis: %v, want none", err)
	}
}

// Nothing listens on the port: the dial is refused, the script never left,
// Unavailable (the person is told nothing was recorded).
func TestRefusedDialIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb, err := store.NewClient(store.ClientOptions{URL: "redis://" + addr + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	s := store.New(rdb, store.NewKeys("refused"))
	d := pendingDecision("D-MAYBE4")
	err = s.CreateDecision(t.Context(), d, createdEvent(d))
	if got := domain.ErrorCode(err); got != domain.Unavailable {
		t.Errorf("CreateDecision with the dial refused = %v (code %q), want code %q", err, got, domain.Unavailable)
	}
	var ne *net.OpError
	if !errors.As(err, &ne) || ne.Op != "dial" {
		t.Errorf("cause = %v, want the refused dial", err)
	}
	if domain.ErrorMessage(err) != "" {
		t.Errorf("message = %q, want none (the handlers' own words)", domain.ErrorMessage(err))
	}
}
