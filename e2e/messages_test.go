package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// TestMessagesTabAnswers: "help" typed in the bot's Messages tab gets one
// short answer with what the bot can do, in that DM.
func TestMessagesTabAnswers(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	if _, err := e.Emu.SendDM(e.Ctx(), apptest.Dave, "help"); err != nil {
		t.Fatal(err)
	}
	fromBot := func(m slackemu.Message) bool { return m.User != apptest.Dave }
	m, err := e.Emu.WaitDM(e.Ctx(), apptest.Dave, fromBot)
	if err != nil {
		t.Fatalf("no answer in the Messages tab: %v", err)
	}
	for _, want := range []string{"/empower box", "/empower help", "yours to make"} {
		if !strings.Contains(m.AllText(), want) {
			t.Errorf("the answer lacks %q: %s", want, m.AllText())
		}
	}
	// Exactly one answer per message.
	if err := apptest.WaitFor(2*time.Second, func() bool { return len(e.Logs.Lines(`"route":"message"`)) > 0 }); err != nil {
		t.Errorf("the envelope was not logged: %v", err)
	}
	n := 0
	for _, d := range e.Emu.DMs(apptest.Dave) {
		if fromBot(d) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d answers to one message, want 1", n)
	}
}
