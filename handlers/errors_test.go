package handlers

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

func TestUserMessage(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantText    string
		wantRefusal bool
	}{
		{"invalid", domain.Invalidf("Say `worked` or `failed`."), "Say `worked` or `failed`.", true},
		{"not found", domain.NotFoundf("I can't find decision `D-1`."), "I can't find decision `D-1`.", true},
		{"conflict", domain.Conflictf("Already approved."), "Already approved.", true},
		{"forbidden wrapped", fmt.Errorf("approve: %w", domain.Forbiddenf("Only approvers.")), "Only approvers.", true},
		{"unavailable from the store", fmt.Errorf("get decision: %w", domain.Wrap(domain.Unavailable, io.EOF)), SorryText, false},
		{"unavailable with words", domain.Unavailablef("Slack is slow; try again."), "Slack is slow; try again.", false},
		{"unconfirmed from the store", fmt.Errorf("create decision: %w", &domain.Error{Code: domain.Unconfirmed, Err: io.EOF}), UnconfirmedText, false},
		{"maybe applied from the store", fmt.Errorf("create decision: %w", &domain.Error{Code: domain.MaybeApplied, Err: io.EOF}), MaybeAppliedText, false},
		{"internal", errors.New("decode decision: bad json"), SorryText, false},
		{"internal with a message", domain.Errorf(domain.Internal, "secret detail"), SorryText, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, refusal := UserMessage(tt.err)
			if text != tt.wantText || refusal != tt.wantRefusal {
				t.Errorf("UserMessage(%v) = %q, %v; want %q, %v", tt.err, text, refusal, tt.wantText, tt.wantRefusal)
			}
			if got := ErrorReply(tt.err).Text; got != tt.wantText {
				t.Errorf("ErrorReply(%v).Text = %q; want %q", tt.err, got, tt.wantText)
			}
		})
	}
}

// The words for a real store's failures: a decision whose script reached
// Redis and whose reply never came back (held past the client's read
// timeout by a proxy) may be saved, and the person is told to look before
// logging it again; a refused dial recorded nothing, and they are told so.
func TestUserMessageOfRedisFailures(t *testing.T) {
	srv := redistest.Start(t)
	prefix := srv.Prefix(t)
	newStore := func(url string) *store.Store {
		rdb, err := store.NewClient(store.ClientOptions{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return store.New(rdb, store.NewKeys(prefix))
	}
	decision := func(id, customer string) (*domain.DecisionRecord, domain.Event) {
		d := &domain.DecisionRecord{Decision: domain.Decision{ID: id, Team: "T1", Requester: "U0DAVE",
			Activity: "discount", Amount: money.FromMajor(250), Currency: "USD", Customer: customer,
			State: domain.StateAutonomous, CreatedAt: time.Now()}}
		return d, domain.Event{Actor: d.Requester, Subject: d.ID, To: string(d.State), At: d.CreatedAt,
			Payload: domain.DecisionCreatedData{DecisionFacts: d.Facts()}}
	}

	p := redistest.StartProxy(t, srv.Addr())
	via := newStore(p.URL())
	d, ev := decision("D-WORDS0", "First Co") // Redis learns the script
	if err := via.CreateDecision(t.Context(), d, ev); err != nil {
		t.Fatalf("a decision through the proxy: %v", err)
	}
	d, ev = decision("D-WORDS1", "Held Reply Co")
	p.HoldReply(d.Customer)
	err := via.CreateDecision(t.Context(), d, ev)
	text, _ := UserMessage(err)
	if text != MaybeAppliedText || strings.Contains(text, "nothing was recorded") || strings.Contains(text, "try again") {
		t.Errorf("words for a decision whose reply never came (%v) = %q, want %q", err, text, MaybeAppliedText)
	}
	if _, err := newStore(srv.URL()).GetDecision(t.Context(), "T1", d.ID); err != nil {
		t.Errorf("the decision told 'may have been saved': %v, want it saved", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	d, ev = decision("D-WORDS2", "Refused Co")
	err = newStore("redis://"+closed+"/0").CreateDecision(t.Context(), d, ev)
	if text, _ := UserMessage(err); text != SorryText || !strings.Contains(text, "nothing was recorded") {
		t.Errorf("words for a refused dial (%v) = %q, want %q", err, text, SorryText)
	}
}
