package handlers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// readable is blocks' JSON with the HTML-safe escapes undone, as a
// person reads it.
func readable(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(blocksJSON(t, blocks))
}

// actionIDs lists the action IDs of the buttons in blocks.
func actionIDs(blocks []slack.Block) []string {
	var out []string
	for _, b := range blocks {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, e := range ab.Elements.ElementSet {
				if be, ok := e.(*slack.ButtonBlockElement); ok {
					out = append(out, be.ActionID+"="+be.Value)
				}
			}
		}
	}
	return out
}

func TestReminderMessage(t *testing.T) {
	p := testPolicy(t)
	now := time.Date(2026, 3, 2, 16, 42, 0, 0, time.UTC)
	d := domain.Decision{
		ID: "D-7K2QF9", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900), Currency: "USD",
		Customer: "ACME <!channel>", State: domain.StatePending, Level: 0, LevelName: "team-lead",
		CreatedAt: now, Deadline: now.Add(4 * time.Hour),
		History: []domain.HistoryEntry{{Action: "created", Actor: "U0DAVE", To: "team-lead", At: now}},
	}
	_, card := escalationMessage(p, &d, 0, now)
	text, blocks := reminderMessage(p, &d, 0, now)
	all := text + readable(t, blocks)
	for _, want := range []string{"Still waiting for you", "<@U0DAVE>", "$900", "ACME &lt;!channel&gt;", "as team lead", "D-7K2QF9"} {
		if !strings.Contains(all, want) {
			t.Errorf("pending reminder lacks %q: %s", want, all)
		}
	}
	if strings.Contains(all, "<!channel>") {
		t.Errorf("user text is live in the reminder: %s", all)
	}
	if got, want := actionIDs(blocks), actionIDs(card); !slices.Equal(got, want) || len(got) != 3 {
		t.Errorf("reminder buttons %v, want the card's %v", got, want)
	}

	approved := d
	approved.State, approved.DecidedBy, approved.DecidedAt = domain.StateApproved, "U0BOB", now
	text, blocks = reminderMessage(p, &approved, 0, now)
	if all := text + readable(t, blocks); !strings.Contains(all, "Approved by <@U0BOB>") || strings.Contains(all, "Still waiting") || !strings.Contains(all, "No longer waiting for you") {
		t.Errorf("approved reminder: %s", all)
	}
	if ids := actionIDs(blocks); len(ids) != 0 {
		t.Errorf("approved reminder keeps buttons %v", ids)
	}

	moved := d
	moved.Level, moved.LevelName = 1, "manager"
	text, blocks = reminderMessage(p, &moved, 0, now)
	if all := text + readable(t, blocks); !strings.Contains(all, "No longer waiting for you") || !strings.Contains(all, "Now with the *manager*, so nothing more is needed from you") {
		t.Errorf("moved-up reminder: %s", all)
	}
	if ids := actionIDs(blocks); len(ids) != 0 {
		t.Errorf("moved-up reminder keeps buttons %v", ids)
	}
}
