package commitments

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

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
		want  Status
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
		cm := &domain.CommitmentRecord{Commitment: domain.Commitment{State: tt.state, Due: tt.due}}
		if got := statusAt(cm, now, loc, tt.rb); got != tt.want {
			t.Errorf("%s due %s remind_before %s: %q, want %q", tt.state, tt.due, tt.rb, got, tt.want)
		}
	}
}
