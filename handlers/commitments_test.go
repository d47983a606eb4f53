package handlers

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/store"
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

func TestCommitmentStatus(t *testing.T) {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, loc) // Wednesday
	tests := []struct {
		state domain.CommitmentState
		due   string
		rb    time.Duration
		want  string
	}{
		{domain.CommitmentOpen, "2026-11-17", 24 * time.Hour, StatusOverdue},
		{domain.CommitmentOpen, "2026-11-18", 24 * time.Hour, StatusDueSoon},
		{domain.CommitmentOpen, "2026-11-18", 0, StatusDueSoon},
		{domain.CommitmentOpen, "2026-11-19", 24 * time.Hour, StatusDueSoon},
		{domain.CommitmentOpen, "2026-11-19", 0, StatusOpen},
		{domain.CommitmentOpen, "2026-11-20", 24 * time.Hour, StatusOpen},
		{domain.CommitmentOpen, "2026-11-20", 72 * time.Hour, StatusDueSoon},
		{domain.CommitmentDone, "2026-11-01", 24 * time.Hour, StatusDone},
		{domain.CommitmentAsked, "", 24 * time.Hour, StatusAsked},
		{domain.CommitmentDeclined, "", 24 * time.Hour, StatusDeclined},
	}
	for _, tt := range tests {
		cm := &store.CommitmentRecord{Commitment: domain.Commitment{State: tt.state, Due: tt.due}}
		if got := CommitmentStatus(cm, now, loc, tt.rb); got != tt.want {
			t.Errorf("%s due %s remind_before %s: %q, want %q", tt.state, tt.due, tt.rb, got, tt.want)
		}
	}
}
