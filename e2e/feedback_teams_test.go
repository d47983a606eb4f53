package e2e

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// northLeaders is the north team's own leaders channel.
const northLeaders = "C0NORTHLEAD"

// A feedback answer goes to its author's team's leaders channel; someone in
// no team (or in a team without its own channel) is read in the top-level
// one. Anonymous answers follow the team too, still without the person.
func TestFeedbackAnswerGoesToTheTeamsLeadersChannel(t *testing.T) {
	pol := noFloor(feedbackPolicy(yearlySpec, yearlySpec, true)) + `
teams:
  - name: north
    members: [` + apptest.Erin + `]
    approvers: {team-lead: [` + apptest.Bob + `]}
    channels: {leaders: ` + northLeaders + `}
`
	e := startFeedback(t, apptest.Options{Policy: pol})
	e.Emu.AddChannel(northLeaders, "north-leaders")
	e.runNow(jobs.JobFeedback)

	e.fbAnswer(apptest.Erin, "North needs a second van.", false)
	if _, err := e.Emu.WaitMessage(e.Ctx(), northLeaders, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "second van") && strings.Contains(m.AllText(), "<@"+apptest.Erin+">")
	}); err != nil {
		t.Fatalf("Erin's answer not in north's leaders channel: %v\nnorth: %s\ntop level: %s", err,
			dump(e.Emu.Messages(northLeaders)), dump(e.Emu.Messages(apptest.Leaders)))
	}

	e.fbAnswer(apptest.Alice, "Clearer goals, please.", true)
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Clearer goals")
	}); err != nil {
		t.Fatalf("Alice (no team) answer not in the top-level leaders channel: %v", err)
	}
	for _, m := range e.Emu.Messages(apptest.Leaders) {
		if strings.Contains(m.AllText(), "second van") {
			t.Errorf("north's answer also reached the top-level leaders channel: %q", m.AllText())
		}
	}
	for _, m := range e.Emu.Messages(northLeaders) {
		if strings.Contains(m.AllText(), "Clearer goals") {
			t.Errorf("a no-team answer reached north's leaders channel: %q", m.AllText())
		}
	}
}
