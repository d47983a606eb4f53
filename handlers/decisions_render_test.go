package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

func testPolicy(t *testing.T) *domain.Policy {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Policy{
		Timezone: "America/Chicago", Location: loc, Currency: "USD",
		Channels: domain.Channels{Escalations: "C0ESCALATE"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}, RespondWithin: 4 * time.Hour},
			{Name: "manager", Approvers: []string{"U0CAROL", "S0MANAGERS"}, RespondWithin: 24 * time.Hour},
		},
		Activities: []domain.Activity{{Name: "discount", Unit: "USD", FrontlineLimit: money.FromMajor(500),
			LevelLimits: map[string]money.Amount{"team-lead": money.FromMajor(2000), "manager": money.FromMajor(10000)}}},
	}
}

func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEscalationMessage(t *testing.T) {
	p := testPolicy(t)
	now := time.Date(2026, 3, 2, 16, 42, 0, 0, time.UTC)
	base := domain.Decision{
		ID: "D-7K2QF9", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900), Currency: "USD",
		Customer: "ACME <!channel> @here", Reason: "<!everyone> <!subteam^S1> & <@U0MALLORY>", Tags: []string{"customer-first"},
		State: domain.StatePending, Level: 0, LevelName: "team-lead", Why: "$900 is above your $500 box",
		CreatedAt: now, Deadline: now.Add(4 * time.Hour),
		History: []domain.HistoryEntry{{Action: "created", Actor: "U0DAVE", To: "team-lead", At: now}},
	}
	approved := base
	approved.State, approved.DecidedBy, approved.DecidedAt = domain.StateApproved, "U0CAROL", now
	approved.History = append(append([]domain.HistoryEntry{}, base.History...), domain.HistoryEntry{Action: "approved", Actor: "U0CAROL", At: now})
	escalated := base
	escalated.Level, escalated.LevelName = 1, "manager"
	escalated.History = append(append([]domain.HistoryEntry{}, base.History...), domain.HistoryEntry{Action: "escalated", Actor: "U0BOB", From: "team-lead", To: "manager", At: now})

	tests := []struct {
		name        string
		d           domain.Decision
		level       int
		wantButtons []string
		wantText    []string
	}{
		{"pending at team-lead", base, 0, []string{ActionApprove, ActionEscalate, ActionDecline},
			[]string{"<@U0BOB>", "$900 is above their $500 box", "$900 USD", "D-7K2QF9"}},
		{"pending at the top", escalated, 1, []string{ActionApprove, ActionDecline},
			[]string{"for the managers, <@U0CAROL> or <!subteam^S0MANAGERS>, to answer", "Brought to the manager by <@U0BOB> · 10:42 AM"}},
		{"old level after escalation", escalated, 0, nil, []string{"Now with the *manager*"}},
		{"approved", approved, 0, nil, []string{"Approved by <@U0CAROL> at 10:42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			_, blocks := escalationMessage(p, &d, tt.level, now)
			js := blocksJSON(t, blocks)
			var got []string
			for _, b := range blocks {
				if a, ok := b.(*slack.ActionBlock); ok {
					for _, e := range a.Elements.ElementSet {
						got = append(got, e.(*slack.ButtonBlockElement).ActionID)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantButtons, ",") {
				t.Errorf("buttons: got %v, want %v", got, tt.wantButtons)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(js, jsonEscape(w)) {
					t.Errorf("message lacks %q:\n%s", w, js)
				}
			}
			for _, bad := range []string{"<!channel>", "<!everyone>", "<!subteam^S1>", "<@U0MALLORY>", "@here"} {
				if strings.Contains(js, jsonEscape(bad)) {
					t.Errorf("user text reached Slack live: %q in\n%s", bad, js)
				}
			}
			if len(blocks) > 50 {
				t.Errorf("%d blocks, Slack allows 50", len(blocks))
			}
		})
	}
}

// A decided card says who decided it, once, and no longer who is asked;
// the card of a level it moved up from says where it went, without buttons.
func TestDecidedCardSaysItOnce(t *testing.T) {
	p := testPolicy(t)
	now := time.Date(2026, 3, 2, 16, 42, 0, 0, time.UTC)
	d := domain.Decision{
		ID: "D-7K2QF9", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900), Currency: "USD",
		State: domain.StatePending, Level: 0, LevelName: "team-lead", Why: "$900 is above your $500 box", CreatedAt: now,
		History: []domain.HistoryEntry{{Action: "created", Actor: "U0DAVE", To: "team-lead", At: now}},
	}
	_, pending := escalationMessage(p, &d, 0, now)
	if js := blocksJSON(t, pending); !strings.Contains(js, jsonEscape("for the team lead, <@U0BOB>, to answer")) {
		t.Errorf("a pending card does not say who answers it:\n%s", js)
	}
	for _, decided := range []struct {
		state        domain.DecisionState
		action, says string
	}{
		{domain.StateApproved, "approved", "Approved by <@U0BOB>"},
		{domain.StateDeclined, "declined", "Declined by <@U0BOB>"},
	} {
		d := d
		d.State, d.DecidedBy, d.DecidedAt = decided.state, "U0BOB", now
		d.History = append(append([]domain.HistoryEntry{}, d.History...), domain.HistoryEntry{Action: decided.action, Actor: "U0BOB", At: now})
		text, blocks := escalationMessage(p, &d, 0, now)
		js := blocksJSON(t, blocks)
		if n := strings.Count(js, jsonEscape(decided.says)); n != 1 {
			t.Errorf("%s card says %q %d times, want once:\n%s", decided.state, decided.says, n, js)
		}
		if strings.Contains(js, "to answer") || strings.Contains(text, "to answer") || strings.Contains(js, "needs") {
			t.Errorf("%s card still asks for an answer:\n%s\n%s", decided.state, text, js)
		}
		if strings.Contains(js, `"actions"`) {
			t.Errorf("%s card keeps its buttons:\n%s", decided.state, js)
		}
	}
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func TestButtonValueRoundTrip(t *testing.T) {
	id, level, ok := parseButtonValue(buttonValue("D-7K2QF9", 1))
	if !ok || id != "D-7K2QF9" || level != 1 {
		t.Errorf("got %q %d %v", id, level, ok)
	}
	for _, bad := range []string{"", "D-7K2QF9", "|1", "D-1|x"} {
		if _, _, ok := parseButtonValue(bad); ok {
			t.Errorf("parseButtonValue(%q) accepted", bad)
		}
	}
}

// Why a decision left the box, as the requester and the leaders read it: a
// tag that always escalates is thanked, not framed as going too far.
func TestWhyItLeftTheBox(t *testing.T) {
	tests := []struct{ why, requester, leaders string }{
		{"$900 is above your $500 box", "$900 is above your box of $500", "$900 is above their $500 box"},
		{"tagged #safety", "Thank you for flagging #safety: that always comes to a leader", "flagged #safety, which always comes to a leader"},
		{"$900 is above your $500 box; tagged #safety", "$900 is above your box of $500 and flagged #safety (thank you for raising it)",
			"$900 is above their $500 box; flagged #safety, which always comes to a leader"},
		{"$20,000 is above every limit, so it goes to the top (director)", "$20,000 is above every limit, the most any leader approves",
			"$20,000 is above every limit, the most any leader approves"},
	}
	for _, tt := range tests {
		if got := whyForRequester(tt.why); got != tt.requester {
			t.Errorf("whyForRequester(%q) = %q, want %q", tt.why, got, tt.requester)
		}
		if got := whyForLeaders(tt.why); got != tt.leaders {
			t.Errorf("whyForLeaders(%q) = %q, want %q", tt.why, got, tt.leaders)
		}
	}
}
