package e2e

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// The longest inputs people may type, in characters of two bytes (é), go
// through every card and DM they reach: the emulator refuses what Slack
// refuses (each text object, the option values, the message's blocks in
// all: msg_blocks_too_long), so each post below would be missing if one of
// the bot's texts broke a limit.
func TestLongestInputsThroughCardsAndDMs(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	long := func(n int) string { return strings.Repeat("é", n) }
	customer := `"` + strings.Repeat("Ü", 60) + `"`
	reason := long(2000 - 1) // the longest reason (2,000 characters) with a closing mark
	res, id := e.decide(apptest.Dave, "discount 1500 for "+customer+" "+reason+"!")
	if id == "" {
		t.Fatalf("reply = %q", res.AllText())
	}
	card := e.escalation(id, "ÜÜÜ")
	e.click(apptest.Bob, card, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.CallbackID == "decision_decline_reason" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", long(2000))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Dave, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), id) && strings.Contains(m.AllText(), long(100))
	}); err != nil {
		t.Errorf("no decline DM with the longest reason: %v", err)
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Escalations, func(m slackemu.Message) bool {
		return m.TS == card.TS && len(m.Buttons()) == 0
	}); err != nil {
		t.Errorf("the card was not updated: %v", err)
	}
	// Praise, a win and a commitment of the longest texts.
	e.Command(apptest.Dave, "praise <@U0ALICE|alice> "+long(1500)+" #courage")
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), long(100)) }); err != nil {
		t.Errorf("no praise post of the longest text: %v", err)
	}
	e.Command(apptest.Bob, "commit <@U0DAVE|dave> "+long(500)+" by in 2 weeks")
	if _, err := e.Emu.WaitDM(e.Ctx(), apptest.Dave, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), long(100)) && !strings.Contains(m.AllText(), id)
	}); err != nil {
		t.Errorf("no commitment DM of the longest text: %v", err)
	}
	// Nothing the bot sent was refused.
	for _, c := range e.Emu.Calls("") {
		if c.Error == "invalid_blocks" || c.Error == "msg_blocks_too_long" || c.Error == "invalid_arguments" {
			t.Errorf("%s refused: %s", c.Method, c.Error)
		}
	}
}
