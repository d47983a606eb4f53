package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/insights"
)

// homeJSON is blocks as JSON, with <, > and & as they are.
func homeJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(blocks); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func testHome(t *testing.T, p *domain.Policy, user string, levels ...int) *insights.Home {
	t.Helper()
	return &insights.Home{Team: "T1", User: user, Now: time.Date(2026, 3, 2, 16, 42, 0, 0, time.UTC), Loc: p.Location,
		Levels: levels, Box: box.AllLimits(p), AlwaysEscalate: box.EscalationTags(p)}
}

func pendingFor(i int, at time.Time) domain.Decision {
	return domain.Decision{ID: fmt.Sprintf("D-%06d", i), Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900),
		Currency: "USD", Customer: "ACME", Reason: "renewal <!channel>", State: domain.StatePending, LevelName: "team-lead", CreatedAt: at}
}

func TestHomeBlocksFrontline(t *testing.T) {
	p := testPolicy(t)
	h := testHome(t, p, "U0DAVE")
	now := h.Now
	h.Recent = []domain.Decision{
		{ID: "D-AAAAAA", Activity: "discount", Amount: money.FromMajor(250), Currency: "USD", State: domain.StateAutonomous, CreatedAt: now},
		{ID: "D-BBBBBB", Activity: "discount", Amount: money.FromMajor(900), Currency: "USD", State: domain.StateDeclined, DecidedBy: "U0BOB", DecidedAt: now.AddDate(0, 0, -1)},
	}
	h.Received = []domain.Commitment{{ID: "C-1", Leader: "U0BOB", Employee: "U0DAVE", Text: "book <!here> training", Due: "2026-03-01"}}
	h.Praise = &insights.Praise{From: "U0CAROL", At: now, Text: "Calm under pressure"}

	got := homeJSON(t, homeBlocks(p, h))
	for _, want := range []string{
		"*Your box*: up to these amounts the call is yours to make", "• *discount*: yours up to *$500*",
		"`D-AAAAAA` *discount* of *$250* · :white_check_mark: inside your box · 10:42",
		"`D-BBBBBB` *discount* of *$900* · :no_entry: declined by <@U0BOB> · Sun Mar 1, 10:42 AM CST",
		"• <@U0BOB> promised you: “book &lt;!here&gt; training” · *overdue* since Sun Mar 1",
		":tada: *Latest praise for you*, from <@U0CAROL> · 10:42 AM CST\\n“Calm under pressure”",
		":bulb: What I can do for you: record the calls you make on the spot (`/empower discount 250 for ACME …`)",
		"(`/empower praise @name …`)", "(`/empower ask @leader …`)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Home lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"Waiting for your answer", "you approve", "decision_approve", "commitment_done", "/empower away"} {
		if strings.Contains(got, not) {
			t.Errorf("a front-line Home shows %q:\n%s", not, got)
		}
	}
}

func TestHomeBlocksLeaderStaysWithinLimits(t *testing.T) {
	p := testPolicy(t)
	h := testHome(t, p, "U0BOB", 0)
	for i := range 25 {
		h.Waiting = append(h.Waiting, pendingFor(i, h.Now.Add(-time.Duration(25-i)*time.Minute)))
	}
	for i := range 20 {
		h.Made = append(h.Made, domain.Commitment{ID: fmt.Sprintf("C-%d", i), Leader: "U0BOB", Employee: "U0DAVE",
			Text: "promise", Due: fmt.Sprintf("2026-03-%02d", i+1)})
	}
	blocks := homeBlocks(p, h)
	if len(blocks) > homeMaxBlocks {
		t.Fatalf("%d blocks; Slack allows %d", len(blocks), homeMaxBlocks)
	}
	got := homeJSON(t, blocks)
	for _, want := range []string{
		"*Your people's box*", "• *discount*: theirs up to *$500*; you approve up to *$2,000*",
		":raised_hand: *Waiting for your answer* (25)", `…and 5 more in \u003c#C0ESCALATE\u003e.`, // context elements escape their own JSON
		"`D-000000` <@U0DAVE> asks: *discount* of *$900* for *ACME* · for the *team lead* · asked 10:17 AM CST\\n_renewal &lt;!channel&gt;_",
		`"block_id":"home-D-000000"`, "You promised <@U0DAVE>: “promise” · *overdue* since Sun Mar 1",
		"You promised <@U0DAVE>: “promise” · due Mon Mar 2", "…and 5 more you made",
		"What I can do for you: bring you what's above your people's box", "(`/empower away until …`)", "`/empower stats`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Home lacks %q:\n%s", want, got)
		}
	}
	var approve, escalate, done int
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					switch btn.ActionID {
					case ActionApprove:
						approve++
					case ActionEscalate:
						escalate++
					}
				}
			}
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil && b.Accessory.ButtonElement.ActionID == ActionCommitmentDone {
				done++
			}
		}
	}
	if approve != homePending || escalate != homePending || done != homeCommitments {
		t.Errorf("buttons: %d Approve, %d Escalate, %d Done; want %d, %d, %d", approve, escalate, done, homePending, homePending, homeCommitments)
	}
}

func TestHomeBlocksLongContentWithinLimits(t *testing.T) {
	p := testPolicy(t)
	for i := range 30 {
		p.Activities = append(p.Activities, domain.Activity{Name: fmt.Sprintf("act-%d", i), FrontlineLimit: money.FromMajor(1)})
	}
	h := testHome(t, p, "U0BOB", 0)
	for i := range 40 {
		h.Waiting = append(h.Waiting, pendingFor(i, h.Now))
		h.Recent = append(h.Recent, pendingFor(100+i, h.Now))
		h.Made = append(h.Made, domain.Commitment{ID: fmt.Sprintf("C-%d", i), Employee: "U0DAVE", Text: strings.Repeat("x", 600), Due: "2026-04-01"})
	}
	blocks := homeBlocks(p, h)
	if len(blocks) > homeMaxBlocks {
		t.Fatalf("%d blocks; Slack allows %d", len(blocks), homeMaxBlocks)
	}
	got := homeJSON(t, blocks)
	if !strings.Contains(got, "…and 16 more activities") {
		t.Errorf("the box does not say how many activities are left out:\n%s", got)
	}
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && len([]rune(s.Text.Text)) > 3000 {
			t.Errorf("a section of %d characters; Slack allows 3000", len([]rune(s.Text.Text)))
		}
	}
}
