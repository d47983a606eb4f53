package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
)

// The bot's clock moved forward and then back (the sandbox's Now, a node
// whose clock stepped back): what is logged after it went back still counts
// in /empower stats, and what was logged in the future does not.
func TestStatsCountWhatHappensAfterTheClockWentBack(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	back := e.Clock.Now()
	e.Command(apptest.Alice, "discount 100 for ACME travel charge")
	e.Clock.Advance(11 * 24 * time.Hour)
	e.Command(apptest.Alice, "discount 120 for ACME travel charge")
	e.Clock.Set(back.Add(time.Minute))
	e.Command(apptest.Alice, "discount 150 for Globex late visit")
	e.Command(apptest.Alice, "travel-waiver 50 for Initech")
	res := e.Command(apptest.Bob, "stats")
	if !strings.Contains(res.AllText(), "*Decisions*: 3") {
		t.Errorf("Bob's stats after the clock went back do not count the 3 decisions of this week:\n%s", res.AllText())
	}
}
