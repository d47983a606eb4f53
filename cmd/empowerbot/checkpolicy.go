package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/policy"
)

// runCheckPolicy is `empowerbot check-policy FILE`.
func runCheckPolicy(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: empowerbot check-policy FILE")
		return 2
	}
	pol, err := policy.Load(args[0])
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	for _, w := range pol.Warnings {
		fmt.Fprintln(stdout, w)
	}
	fmt.Fprintln(stdout, "ok")
	fmt.Fprint(stdout, policySummary(pol, time.Now()))
	return 0
}

// policySummary is check-policy's summary of a valid policy: its levels,
// teams, activities and the next run of each schedule after now.
func policySummary(p *domain.Policy, now time.Time) string {
	var b strings.Builder
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	levels := make([]string, len(p.Levels))
	for i, l := range p.Levels {
		levels[i] = fmt.Sprintf("%s (%s, answers within %s)", l.Name, plural(len(l.Approvers), "approver"), human(l.RespondWithin))
	}
	fmt.Fprintf(&b, "levels: %s\n", strings.Join(levels, " > "))
	if len(p.Teams) == 0 {
		fmt.Fprintf(&b, "teams: one (%s)\n", plural(len(p.Frontline), "front-line entry"))
	} else {
		teams := make([]string, len(p.Teams))
		for i, t := range p.Teams {
			teams[i] = fmt.Sprintf("%s (%s)", t.Name, plural(len(t.Members), "member"))
		}
		fmt.Fprintf(&b, "teams: %s\n", strings.Join(teams, ", "))
	}
	acts := make([]string, len(p.Activities))
	for i, a := range p.Activities {
		acts[i] = fmt.Sprintf("%s (alone up to %s)", a.Name, a.FrontlineLimit.Format(p.CurrencyOf(a)))
	}
	fmt.Fprintf(&b, "activities: %s\n", strings.Join(acts, ", "))
	if len(p.Admins) > 0 {
		fmt.Fprintf(&b, "admins: %s\n", strings.Join(p.Admins, ", "))
	}
	if p.Retention > 0 {
		fmt.Fprintf(&b, "retention: history older than %s is deleted\n", human(p.Retention))
	}
	fmt.Fprintf(&b, "schedules (%s):\n", loc)
	specs := jobs.Specs(p.Schedules)
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		spec := specs[n]
		if strings.TrimSpace(spec) == "" {
			fmt.Fprintf(&b, "  %-22s off\n", n)
			continue
		}
		sched, _, err := cronspec.Parse(spec, loc)
		if err != nil {
			fmt.Fprintf(&b, "  %-22s %q: %v\n", n, spec, err)
			continue
		}
		fmt.Fprintf(&b, "  %-22s %-16q next %s\n", n, spec, sched.Next(now).In(loc).Format("Mon 2006-01-02 15:04 MST"))
	}
	return b.String()
}

// human writes a policy duration as the file would: 4h, 30m, 3d.
func human(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// nearest returns the candidate closest to word when it is close enough to
// be a typo, or "".
func nearest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(2, len(word)/3) {
		return ""
	}
	return best
}
