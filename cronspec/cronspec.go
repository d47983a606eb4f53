// Package cronspec decides what a job's schedule spec means, in one place:
// the policy check (package policy) accepts a spec exactly when Parse does,
// and the scheduler (package jobs) runs what Parse returns, so a policy that
// passes the check always schedules.
//
// A spec is a five-field cron spec ("0 9 * * MON", robfig/cron's standard
// syntax with its descriptors such as "@daily"), optionally after a
// "CRON_TZ=Zone " prefix, or "@every D" with D a whole number of seconds, at
// least 1s. Ticks of "@every D" are the multiples of D since the Unix epoch,
// so that replicas started at different moments agree on them (PRODUCT.md
// "Schedule ticks").
//
// It imports robfig/cron and nothing of the product's.
package cronspec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

const every = "@every "

// ErrInterval is the error for an "@every D" spec whose D is below a second
// or not a whole number of seconds.
var ErrInterval = errors.New("the interval must be a whole number of seconds, at least 1s")

// Parse parses spec (surrounding spaces ignored) in loc, the policy's
// timezone (nil: UTC); a CRON_TZ= or TZ= prefix in the spec names its own.
// It returns the schedule and, for an "@every D" spec, D (0 otherwise). The
// error is robfig/cron's, or ErrInterval.
func Parse(spec string, loc *time.Location) (cron.Schedule, time.Duration, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, 0, errors.New("empty spec string")
	}
	rest, hasTZ, err := cutTZ(spec)
	if err != nil {
		return nil, 0, err
	}
	if !hasTZ {
		if loc == nil {
			loc = time.UTC
		}
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, 0, err
	}
	d, ok := strings.CutPrefix(rest, every)
	if !ok {
		return sched, 0, nil
	}
	// cron has parsed it already; its own @every is not epoch-aligned.
	interval, err := time.ParseDuration(d)
	if err != nil || interval < time.Second || interval%time.Second != 0 {
		return nil, 0, ErrInterval
	}
	return alignedEvery{interval}, interval, nil
}

// cutTZ returns spec without its CRON_TZ= or TZ= prefix, and whether it had
// one. robfig/cron panics on a prefix with nothing after it.
func cutTZ(spec string) (string, bool, error) {
	if !strings.HasPrefix(spec, "TZ=") && !strings.HasPrefix(spec, "CRON_TZ=") {
		return spec, false, nil
	}
	tz, rest, ok := strings.Cut(spec, " ")
	if !ok || strings.TrimSpace(rest) == "" {
		return "", true, fmt.Errorf("%s names a time zone but no schedule", tz)
	}
	return strings.TrimSpace(rest), true, nil
}

// alignedEvery fires at every multiple of d since the Unix epoch.
type alignedEvery struct{ d time.Duration }

// Next returns the first multiple of d since the epoch after t.
func (a alignedEvery) Next(t time.Time) time.Time {
	return time.Unix(0, 0).Add(t.Sub(time.Unix(0, 0)).Truncate(a.d) + a.d).In(t.Location())
}
