package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/handlers"
)

// JobCommitmentReminders is the policy's schedules key of the commitment
// reminders.
const JobCommitmentReminders = "commitment_reminders"

// CommitmentReminders is the commitment_reminders job: leaders are DMed about
// commitments coming due within commitments.remind_before, and once a day
// while overdue (see handlers.CommitmentReminders). Each reminder is claimed
// per (commitment, day), so replicas and extra runs never send it twice.
func CommitmentReminders(h *handlers.Handlers) Job {
	return Job{
		Name: JobCommitmentReminders,
		Spec: h.Policy.Schedules.CommitmentReminders,
		Run: func(ctx context.Context, _ time.Time) error {
			_, err := h.CommitmentReminders(ctx)
			return err
		},
	}
}
