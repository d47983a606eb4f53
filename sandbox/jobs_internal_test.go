package sandbox

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/policy"
)

func TestSpecWords(t *testing.T) {
	for spec, want := range map[string]string{
		"0 9 * * MON":  "Mondays at 9:00 AM",
		"30 16 * * 5":  "Fridays at 4:30 PM",
		"0 8 * * *":    "every day at 8:00 AM",
		"*/5 * * * *":  "every 5 minutes",
		"@every 1h":    "every 1h",
		"0 9 1 * *":    "0 9 1 * *",
		"":             "not scheduled",
		"0 9 * * 1-5":  "0 9 * * 1-5",
		"0 0 * * SUN":  "Sundays at 12:00 AM",
		"0 12 * * *":   "every day at 12:00 PM",
		"61 9 * * *":   "61 9 * * *",
		" 0 10 * * * ": "every day at 10:00 AM",
	} {
		if got := specWords(spec); got != want {
			t.Errorf("specWords(%q) = %q, want %q", spec, got, want)
		}
	}
}

// TestDueBetween: a job is due when one of its ticks falls in (from, to], in the policy's
// zone or, with local_time, in someone's own zone.
func TestDueBetween(t *testing.T) {
	p, err := policy.Parse(SamplePolicy, "sample-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sandbox{cfg: Config{Policy: p}, dir: buildDirectory(p, p.Timezone)}
	chicago := p.Location
	// Friday Dec 4 2026, 15:00 in Chicago; the digest is at 16:00 there.
	from := time.Date(2026, 12, 4, 15, 0, 0, 0, chicago)
	cases := []struct {
		job  string
		to   time.Time
		want bool
	}{
		{"digest", from.Add(59 * time.Minute), false},
		{"digest", from.Add(time.Hour), true},
		{"digest", from.Add(7 * 24 * time.Hour), true},
		{"escalation_timeouts", from.Add(4 * time.Minute), false},
		{"escalation_timeouts", from.Add(5 * time.Minute), true},
		// commitment_reminders at 08:00: in London that is 02:00 Chicago, not in 15:00-16:00
		{"commitment_reminders", from.Add(time.Hour), false},
		// feedback Mondays 09:00: 03:00 Chicago is Monday 09:00 in London (local_time)
		{"feedback", time.Date(2026, 12, 7, 3, 0, 0, 0, chicago), true},
		{"feedback", time.Date(2026, 12, 7, 2, 59, 0, 0, chicago), false},
	}
	for _, c := range cases {
		if got := s.dueBetween(c.job, from, c.to); got != c.want {
			t.Errorf("%s due in (%v, %v] = %v, want %v", c.job, from, c.to, got, c.want)
		}
	}
}
