package store_test

import (
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/store"
)

// The records' wire format: what CreateDecision and CreateCommitment write
// is what earlier versions wrote, and a hash written by them reads back
// whole (the record, its version and the messages kept beside it).

const oldDecisionData = `{"id":"D-AAAAAA","team":"T1","requester":"U0DAVE","activity":"discount","amount":90000,"currency":"USD",` +
	`"customer":"ACME \u003c!channel\u003e","reason":"travel charge","tags":["customer-first"],"state":"pending","level":0,` +
	`"level_name":"team-lead","why":"$900 is above your $500 box","created_at":"2026-03-02T15:00:00Z",` +
	`"deadline":"2026-03-02T19:00:00Z","history":[{"action":"created","actor":"U0DAVE","to":"team-lead","at":"2026-03-02T15:00:00Z"}]}`

func TestDecisionWireFormat(t *testing.T) {
	s, rdb, prefix := setupDecisions(t)
	ctx := t.Context()
	d := pendingDecision("D-AAAAAA")
	if err := s.CreateDecision(ctx, d, createdEvent(d)); err != nil {
		t.Fatal(err)
	}
	key := store.NewKeys(prefix).Team(team, "decision", d.ID)
	if got, _ := rdb.HGet(ctx, key, "data").Result(); got != oldDecisionData {
		t.Errorf("stored data:\n got %s\nwant %s", got, oldDecisionData)
	}

	old := store.NewKeys(prefix).Team(team, "decision", "D-BBBBBB")
	rdb.HSet(ctx, old, "id", "D-BBBBBB", "state", "pending", "level", "0", "requester", "U0DAVE", "ver", "7",
		"data", oldDecisionData, "msg:1", "C0MGR|2.2", "msg:0", "C0ESC|1.1",
		"outcome", "worked", "outcome_at", "1772470800000", "outcome_note", "kept them",
		"ask", "DU0DAVE|3.3", "praise_msg", "C0PRAISE|4.4")
	got, err := s.GetDecision(ctx, team, "D-BBBBBB")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 7 || got.Amount != money.FromMajor(900) || got.Customer != "ACME <!channel>" || len(got.History) != 1 {
		t.Errorf("record: %+v", got)
	}
	want := []domain.DecisionMessage{{Level: 0, MessageRef: domain.MessageRef{Channel: "C0ESC", TS: "1.1"}}, {Level: 1, MessageRef: domain.MessageRef{Channel: "C0MGR", TS: "2.2"}}}
	if len(got.Messages) != 2 || got.Messages[0] != want[0] || got.Messages[1] != want[1] {
		t.Errorf("messages: got %+v, want %+v", got.Messages, want)
	}
	if o := got.Outcome; o.Result != domain.OutcomeWorked || o.Note != "kept them" || !o.At.Equal(time.UnixMilli(1772470800000)) {
		t.Errorf("outcome: %+v", o)
	}
	if o := got.Outcome; o.FollowUp != (domain.MessageRef{Channel: "DU0DAVE", TS: "3.3"}) || o.PraisePost != (domain.MessageRef{Channel: "C0PRAISE", TS: "4.4"}) {
		t.Errorf("follow-up %+v, praise %+v", o.FollowUp, o.PraisePost)
	}
}

const oldCommitmentData = `{"id":"C-AAAAAA","team":"T1","leader":"UL","employee":"UE","text":"a van","state":"open",` +
	`"source":"commit","due":"2026-03-09","created_at":"2026-03-02T15:00:00Z"}`

func TestCommitmentWireFormat(t *testing.T) {
	s, rdb, prefix := setupDecisions(t)
	ctx := t.Context()
	c := &store.CommitmentRecord{Commitment: domain.Commitment{
		ID: "C-AAAAAA", Team: team, Leader: "UL", Employee: "UE", Text: "a van", State: domain.CommitmentOpen,
		Source: domain.SourceCommit, Due: "2026-03-09", CreatedAt: t0,
	}}
	ev := domain.Event{Payload: domain.CommitmentMadeData{}, Actor: "UL", Subject: c.ID, To: "open", At: t0}
	if err := s.CreateCommitment(ctx, c, ev); err != nil {
		t.Fatal(err)
	}
	key := store.NewKeys(prefix).Team(team, "commitment", c.ID)
	if got, _ := rdb.HGet(ctx, key, "data").Result(); got != oldCommitmentData {
		t.Errorf("stored data:\n got %s\nwant %s", got, oldCommitmentData)
	}
	old := store.NewKeys(prefix).Team(team, "commitment", "C-BBBBBB")
	rdb.HSet(ctx, old, "id", "C-BBBBBB", "state", "open", "due", "2026-03-09", "ver", "3", "data", oldCommitmentData, "dm", "DUL|5.5")
	got, err := s.GetCommitment(ctx, team, "C-BBBBBB")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || got.AskDM != (domain.MessageRef{Channel: "DUL", TS: "5.5"}) || got.Text != "a van" || got.State != domain.CommitmentOpen {
		t.Errorf("record: %+v", got)
	}
}
