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
// error says in plain words what is wrong (robfig/cron's own messages are
// rewritten), or is ErrInterval.
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
		return nil, 0, plain(rest, err)
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

// fields names the five fields of a standard spec, with what each accepts.
var fields = []struct{ name, accepts string }{
	{"minute", "0-59"},
	{"hour", "0-23"},
	{"day-of-month", "1-31"},
	{"month", "1-12 or JAN-DEC"},
	{"day-of-week", "0-6 or SUN-SAT"},
}

// plain rewrites robfig/cron's error for spec (without its zone prefix)
// into words an admin can act on.
func plain(spec string, err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "provided bad location "):
		zone, _, _ := strings.Cut(strings.TrimPrefix(msg, "provided bad location "), ":")
		return fmt.Errorf("unknown time zone %q (use an IANA name like America/Chicago)", zone)
	case strings.HasPrefix(msg, "unrecognized descriptor"):
		return fmt.Errorf("%q is not a schedule shortcut: use @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>, or five fields like \"0 9 * * MON\"", spec)
	case strings.HasPrefix(msg, "expected exactly 5 fields"):
		return fmt.Errorf("a schedule has five fields (minute hour day-of-month month day-of-week), like \"0 9 * * MON\"; this one has %d", len(strings.Fields(spec)))
	case strings.HasPrefix(msg, "failed to parse duration"):
		return fmt.Errorf("%q: @every needs a duration like 30s, 5m or 1h", spec)
	}
	f := strings.Fields(spec)
	if len(f) == 5 {
		for i, field := range fields {
			probe := []string{"*", "*", "*", "*", "*"}
			probe[i] = f[i]
			if _, perr := cron.ParseStandard(strings.Join(probe, " ")); perr != nil {
				return fmt.Errorf("the %s field %q is not valid: it takes %s, a range (1-5), a list (1,3) or a step (*/5)", field.name, f[i], field.accepts)
			}
		}
	}
	return errors.New(msg)
}
