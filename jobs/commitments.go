package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/store"
)

// JobCommitmentReminders is the policy's schedules key of the commitment
// reminders.
const JobCommitmentReminders = "commitment_reminders"

// CommitmentReminders is the commitment_reminders job of team, on spec:
// leaders are DMed about commitments coming due within
// commitments.remind_before, and once a day while overdue (see
// commitments.Service.Remind). Each reminder is leased per (commitment,
// day) under the run's own owner, so replicas and extra runs never send it
// twice. With local_time each zone's tick reminds the leaders of that zone,
// the day being theirs.
func CommitmentReminders(svc *commitments.Service, team, spec string) Job {
	return Job{
		Name: JobCommitmentReminders,
		Spec: spec,
		Run: func(ctx context.Context, _ time.Time) error {
			_, err := svc.Remind(ctx, team, store.NewOwner())
			return err
		},
		Local: func(ctx context.Context, t LocalTick) error {
			_, err := svc.RemindIn(ctx, team, store.NewOwner(), t.Zone, t.In)
			return err
		},
	}
}
