package domain_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode domain.Code
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"plain error", errors.New("boom"), domain.Internal, ""},
		{"invalid", domain.Invalidf("Say `%s` or `%s`.", "worked", "failed"), domain.Invalid, "Say `worked` or `failed`."},
		{"not found", domain.NotFoundf("I can't find decision `%s`.", "D-1"), domain.NotFound, "I can't find decision `D-1`."},
		{"conflict", domain.Conflictf("Already approved by %s.", "Bob"), domain.Conflict, "Already approved by Bob."},
		{"forbidden", domain.Forbiddenf("Only approvers may do that."), domain.Forbidden, "Only approvers may do that."},
		{"unavailable", domain.Unavailablef("Try again."), domain.Unavailable, "Try again."},
		{"errorf", domain.Errorf(domain.Conflict, "%d left", 3), domain.Conflict, "3 left"},
		{"wrapped once", fmt.Errorf("approve: %w", domain.Forbiddenf("No.")), domain.Forbidden, "No."},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", domain.NotFoundf("Gone."))), domain.NotFound, "Gone."},
		{"joined", errors.Join(errors.New("x"), domain.Invalidf("Bad.")), domain.Invalid, "Bad."},
		{"wrap of cause", domain.Wrap(domain.Unavailable, io.EOF), domain.Unavailable, ""},
		{"no code", &domain.Error{Message: "Hm."}, domain.Internal, "Hm."},
		{"literal percent", domain.Invalidf("%s", "100% sure"), domain.Invalid, "100% sure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode() = %q, want %q", got, tt.wantCode)
			}
			if got := domain.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage() = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestIsRefusal(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("boom"), false},
		{domain.Invalidf("x"), true},
		{domain.NotFoundf("x"), true},
		{domain.Conflictf("x"), true},
		{fmt.Errorf("wrapped: %w", domain.Forbiddenf("x")), true},
		{domain.Unavailablef("x"), false},
		{domain.Errorf(domain.Internal, "x"), false},
	}
	for _, tt := range tests {
		if got := domain.IsRefusal(tt.err); got != tt.want {
			t.Errorf("IsRefusal(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestWrapKeepsTheCause(t *testing.T) {
	if domain.Wrap(domain.Unavailable, nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
	err := fmt.Errorf("get decision: %w", domain.Wrap(domain.Unavailable, io.ErrUnexpectedEOF))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = false, want true", err)
	}
	if got, want := err.Error(), "get decision: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	withMsg := &domain.Error{Code: domain.Unavailable, Message: "Redis is down", Err: io.EOF}
	if got, want := withMsg.Error(), "Redis is down: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
