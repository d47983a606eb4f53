package e2e

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
)

// A frontline user group that Slack does not know (a typo in the policy, a
// deleted group) is left out with a warning: the people named directly and
// the other groups still get this week's question.
func TestFeedbackUnknownGroupStillReachesEveryoneElse(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "frontline: [S0FRONTLINE, U0DAVE]",
		"frontline: [S0NOSUCHGROUP, S0FRONTLINE, U0DAVE]", 1)
	e := apptest.Start(t, apptest.Options{Policy: pol})
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobFeedback); err != nil {
		t.Fatalf("feedback run with an unknown group: %v", err)
	}
	for _, u := range []string{apptest.Dave, apptest.Alice, apptest.Erin} {
		n := 0
		for _, m := range e.Emu.DMs(u) {
			for _, b := range m.Buttons() {
				if b.Text == "Answer" {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("%s got %d feedback DMs, want 1", u, n)
		}
	}
	if len(e.Logs.Lines("S0NOSUCHGROUP")) == 0 {
		t.Errorf("no warning names the unknown group:\n%s", e.Logs.String())
	}
}
