package jobs

import (
	"context"
	"time"

	"github.com/empowerbot/empowerbot/handlers"
)

// JobDigest is the weekly digest's job name (the policy's schedules key).
const JobDigest = "digest"

// Digest is the digest job: the week ending at the tick, posted once to the
// leaders channel (see handlers.Digest). The scheduler runs each tick once
// across replicas; the post itself is claimed per tick too, so a run taken
// over from a replica that died after posting does not post it again.
func Digest(h *handlers.Handlers) Job {
	return Job{
		Name: JobDigest,
		Spec: h.Policy.Schedules.Digest,
		Run: func(ctx context.Context, tick time.Time) error {
			return h.Digest(ctx, tick)
		},
	}
}
