package handlers

import (
	"fmt"
	"strings"
	"time"
)

// The product prints durations two ways, on purpose:
//   - a rule of the policy (how long a level has to answer) is stated
//     exactly, in the notation policy.yaml is written in, so that "They have
//     24h to answer" reads as the admin wrote it and 1h30m is not rounded;
//   - a measured time (the median time to answer in stats and the digest) is
//     rounded for reading: "<1m", "3h 5m", "2d 4h".

// policyDurationText states a policy duration exactly, in the policy file's
// notation: "4h", "30m", "1h30m", "24h".
func policyDurationText(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// elapsedText rounds a measured duration down for reading, to at most two
// units: "<1m", "45m", "3h 5m", "2d 4h".
func elapsedText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}
