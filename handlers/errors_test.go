package handlers

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
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
