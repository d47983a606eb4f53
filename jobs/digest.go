package jobs

import "github.com/empowerbot/empowerbot/service/insights"

// JobDigest is the weekly digest's job name (the policy's schedules key).
const JobDigest = "digest"

// Digest is the digest job on spec: the week ending at the tick, posted
// once to the leaders channel (see insights.Service.Digest). The scheduler
// runs each tick once across replicas; the post itself is claimed per tick
// too, so a run taken over from a replica that died after posting does not
// post it again.
func Digest(s *insights.Service, spec string) Job {
	return Job{
		Name: JobDigest,
		Spec: spec,
		Run:  s.Digest,
	}
}
