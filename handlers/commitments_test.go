package handlers

import (
	"errors"
	"testing"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
)

func TestCutLastBy(t *testing.T) {
	tests := []struct {
		in, text, date string
		ok             bool
	}{
		{"the course by friday", "the course", "friday", true},
		{"stand by you by 12/15", "stand by you", "12/15", true},
		{"call back By Tomorrow", "call back", "Tomorrow", true},
		{"by friday", "", "friday", true},
		{"the course on friday", "the course on friday", "", false},
		{"nearby friday", "nearby friday", "", false},
	}
	for _, tt := range tests {
		text, date, ok := cutLastBy(tt.in)
		if text != tt.text || date != tt.date || ok != tt.ok {
			t.Errorf("cutLastBy(%q) = %q, %q, %v; want %q, %q, %v", tt.in, text, date, ok, tt.text, tt.date, tt.ok)
		}
	}
}

func TestWithUsage(t *testing.T) {
	const usage = "Usage: `/empower commit …`"
	tests := []struct {
		name string
		err  error
		want string // the message after; "" for the error unchanged
	}{
		{"invalid", domain.Invalidf("Say what you will do."), "Say what you will do.\n" + usage},
		{"not found", domain.NotFoundf("I can't find <@U1>."), "I can't find <@U1>.\n" + usage},
		{"forbidden", domain.Forbiddenf("Only leaders…"), ""},
		{"internal", errors.New("redis: broken"), ""},
		{"no words", domain.Wrap(domain.NotFound, errors.New("commitment not found")), ""},
	}
	for _, tt := range tests {
		got := withUsage(tt.err, usage)
		if tt.want == "" {
			if got != tt.err {
				t.Errorf("%s: %v; want the error unchanged", tt.name, got)
			}
			continue
		}
		if domain.ErrorMessage(got) != tt.want || domain.ErrorCode(got) != domain.ErrorCode(tt.err) {
			t.Errorf("%s: %q (%s); want %q (%s)", tt.name, domain.ErrorMessage(got), domain.ErrorCode(got), tt.want, domain.ErrorCode(tt.err))
		}
	}
}

// TestSettledLine: the line a leader reads after changing a commitment from
// an old list names the person and keeps the ID out of the subject (issue
// 16's voice): "You declined <@U0DAVE>'s ask (`C-…`)", not "You declined
// `C-…`".
func TestSettledLine(t *testing.T) {
	today, err := dates.ParseISO("2026-11-18")
	if err != nil {
		t.Fatal(err)
	}
	cm := func(state domain.CommitmentState) *domain.CommitmentRecord {
		return &domain.CommitmentRecord{Commitment: domain.Commitment{ID: "C-AAAAAA", Leader: "U0BOB", Employee: "U0DAVE",
			Text: "a van", State: state, Due: "2026-11-20"}}
	}
	tests := []struct {
		state domain.CommitmentState
		want  string
	}{
		{domain.CommitmentDone, ":white_check_mark: Your commitment to <@U0DAVE> is done (`C-AAAAAA`); I told them. Thank you for keeping your word."},
		{domain.CommitmentDeclined, ":no_entry_sign: You declined <@U0DAVE>'s ask (`C-AAAAAA`); I told them."},
		{domain.CommitmentOpen, ":calendar: Your commitment to <@U0DAVE> is now due *Fri Nov 20* (`C-AAAAAA`); I told them."},
	}
	for _, tt := range tests {
		if got := settledLine(cm(tt.state), today); got != tt.want {
			t.Errorf("settledLine(%s) = %q, want %q", tt.state, got, tt.want)
		}
	}
}
