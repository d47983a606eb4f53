package domain_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/domain"
)

var t0 = time.UnixMilli(1772463600000)

func pending() *domain.Decision {
	return &domain.Decision{ID: "D-1", Requester: "U1", Activity: "discount", Amount: 90000, Currency: "USD",
		State: domain.StatePending, Level: 0, LevelName: "team-lead", CreatedAt: t0,
		Customer: "ACME <x> & co", Tags: []string{"a", "b"}}
}

func autonomous() *domain.Decision {
	return &domain.Decision{ID: "D-2", Requester: "U1", Activity: "discount", Amount: 100, Currency: "USD",
		State: domain.StateAutonomous, Level: -1, CreatedAt: t0}
}

func TestEncodeDataAsEarlierVersionsWroteIt(t *testing.T) {
	yes := true
	commit := &domain.Commitment{Leader: "L", Employee: "E", Text: "a <van>", Due: "2026-01-02", Source: domain.SourceCommit}
	ask := &domain.Commitment{Leader: "L", Employee: "E", Text: "t", AskedDue: "2026-01-05", Source: domain.SourceAsk}
	undated := &domain.Commitment{Leader: "L", Employee: "E", Text: "t", Source: domain.SourceAsk}
	const pendingFacts = `"activity":"discount","amount":90000,"autonomous":false,"created_at":1772463600000,"currency":"USD","customer":"ACME \u003cx\u003e \u0026 co","level":"team-lead"`
	tests := []struct {
		name string
		p    domain.Payload
		want string // what the string-keyed maps of earlier versions encoded to
	}{
		{"created pending", domain.DecisionCreatedData{DecisionFacts: pending().Facts()},
			`{` + pendingFacts + `,"requester":"U1","tags":["a","b"]}`},
		{"declined pending", domain.DecisionDeclinedData{DecisionFacts: pending().Facts(), Reason: "why"},
			`{` + pendingFacts + `,"reason":"why","requester":"U1","tags":["a","b"]}`},
		{"reminded pending", domain.DecisionRemindedData{DecisionFacts: pending().Facts(), Reminders: 2},
			`{` + pendingFacts + `,"reminders":2,"requester":"U1","tags":["a","b"]}`},
		{"created autonomous", domain.DecisionCreatedData{DecisionFacts: autonomous().Facts()},
			`{"activity":"discount","amount":100,"autonomous":true,"created_at":1772463600000,"currency":"USD","requester":"U1"}`},
		{"declined without reason", domain.DecisionDeclinedData{DecisionFacts: autonomous().Facts()},
			`{"activity":"discount","amount":100,"autonomous":true,"created_at":1772463600000,"currency":"USD","requester":"U1"}`},
		{"commitment made", domain.CommitmentMadeData{CommitmentFacts: commit.Facts()},
			`{"due":"2026-01-02","employee":"E","leader":"L","source":"commit","text":"a \u003cvan\u003e"}`},
		{"ask with a date", domain.CommitmentAskedData{CommitmentFacts: ask.Facts()},
			`{"due":"2026-01-05","employee":"E","leader":"L","source":"ask","text":"t"}`},
		{"ask without a date", domain.CommitmentAskedData{CommitmentFacts: undated.Facts()},
			`{"due":"","employee":"E","leader":"L","source":"ask","text":"t"}`},
		{"made from an ask", domain.CommitmentMadeData{CommitmentFacts: commit.Facts(), AskedDue: "2026-01-01"},
			`{"asked_due":"2026-01-01","due":"2026-01-02","employee":"E","leader":"L","source":"commit","text":"a \u003cvan\u003e"}`},
		{"declined ask", domain.CommitmentDeclinedData{CommitmentFacts: undated.Facts()},
			`{"due":"","employee":"E","leader":"L","reason":"","source":"ask","text":"t"}`},
		{"done", domain.CommitmentDoneData{CommitmentFacts: commit.Facts(), OnTime: &yes},
			`{"due":"2026-01-02","employee":"E","leader":"L","on_time":true,"source":"commit","text":"a \u003cvan\u003e"}`},
		{"overdue", domain.CommitmentOverdueData{CommitmentFacts: commit.Facts(), DaysOverdue: 3},
			`{"days_overdue":3,"due":"2026-01-02","employee":"E","leader":"L","source":"commit","text":"a \u003cvan\u003e"}`},
		{"worked", domain.OutcomeWorkedData{OutcomeFacts: pending().OutcomeFacts("")},
			`{"activity":"discount","amount":90000,"currency":"USD","level":"team-lead","note":"","tags":["a","b"]}`},
		{"failed autonomous", domain.OutcomeFailedData{OutcomeFacts: autonomous().OutcomeFacts("sorry")},
			`{"activity":"discount","amount":100,"currency":"USD","note":"sorry"}`},
		{"noted", domain.OutcomeNotedData{Note: "n"}, `{"note":"n"}`},
		{"asked", domain.OutcomeAskedData{Requester: "U1"}, `{"requester":"U1"}`},
		{"asked without requester", domain.OutcomeAskedData{}, `{}`},
		{"praise", domain.PraiseGivenData{Text: "great"}, `{"text":"great","values":[]}`},
		{"win", domain.WinPostedData{Text: "won", Users: []string{"U2"}}, `{"text":"won","users":["U2"],"values":[]}`},
		{"round", domain.FeedbackRoundData{Question: "Q?", Sent: 3, Answered: 2, RatePct: 66},
			`{"answered":2,"question":"Q?","rate_pct":66,"sent":3}`},
		{"answered", domain.FeedbackAnsweredData{}, `{"anonymous":false}`},
		{"away with a delegate", domain.AwayStartedData{Until: "2026-12-04", Zone: "America/Chicago", Ends: 1772463600000, Delegate: "U2"},
			`{"delegate":"U2","ends":1772463600000,"until":"2026-12-04","zone":"America/Chicago"}`},
		{"back", domain.AwayEndedData{Until: "2026-12-04"}, `{"until":"2026-12-04"}`},
		{"approved for an away leader", domain.DecisionApprovedData{DecisionFacts: autonomous().Facts(), For: "U9"},
			`{"activity":"discount","amount":100,"autonomous":true,"created_at":1772463600000,"currency":"USD","for":"U9","requester":"U1"}`},
		{"unknown", domain.UnknownData{Type: "later.thing"}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := domain.Event{Subject: "x", At: t0, Payload: tt.p}
			got, err := ev.EncodeData()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("EncodeData:\n got %s\nwant %s", got, tt.want)
			}
			back, err := domain.DecodePayload(ev.Type(), got)
			if err != nil {
				t.Fatalf("DecodePayload: %v", err)
			}
			if back.EventType() != tt.p.EventType() {
				t.Errorf("decoded type: got %s, want %s", back.EventType(), tt.p.EventType())
			}
			again, err := domain.Event{Payload: back}.EncodeData()
			if err != nil || string(again) != tt.want {
				t.Errorf("re-encoded: got %s, %v; want %s", again, err, tt.want)
			}
		})
	}
}

func TestDecodePayload(t *testing.T) {
	yes := true
	tests := []struct {
		name    string
		typ     domain.EventType
		data    string
		want    domain.Payload
		wantErr bool
	}{
		{"no data", domain.EventOutcomeAsked, "", domain.OutcomeAskedData{}, false},
		{"empty object", domain.EventOutcomeWorked, "{}", domain.OutcomeWorkedData{}, false},
		{"extra keys are ignored", domain.EventOutcomeNoted, `{"note":"n","later":1}`, domain.OutcomeNotedData{Note: "n"}, false},
		{"done without on_time", domain.EventCommitmentDone, `{"leader":"L"}`,
			domain.CommitmentDoneData{CommitmentFacts: domain.CommitmentFacts{Leader: "L"}}, false},
		{"done on time", domain.EventCommitmentDone, `{"on_time":true}`, domain.CommitmentDoneData{OnTime: &yes}, false},
		{"big amount stays exact", domain.EventDecisionApproved, `{"amount":99999999999,"created_at":1772463600000}`,
			domain.DecisionApprovedData{DecisionFacts: domain.DecisionFacts{Amount: 99999999999, CreatedAt: 1772463600000}}, false},
		{"unknown type", "later.thing", `{"k":[1]}`, domain.UnknownData{Type: "later.thing", Data: json.RawMessage(`{"k":[1]}`)}, false},
		{"wrong type of value", domain.EventDecisionCreated, `{"amount":"lots"}`, nil, true},
		{"fraction of a cent", domain.EventDecisionCreated, `{"amount":1.5}`, nil, true},
		{"not an object", domain.EventPraiseGiven, `["text"]`, nil, true},
		{"broken JSON", domain.EventFeedbackRound, `{"sent":`, nil, true},
		{"broken JSON of an unknown type", "later.thing", `{`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.DecodePayload(tt.typ, []byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodePayload(%s, %s): error %v, want error %v", tt.typ, tt.data, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventWithoutPayload(t *testing.T) {
	ev := domain.Event{Subject: "D-1", At: t0}
	if ev.Type() != "" {
		t.Errorf("Type() = %q, want empty", ev.Type())
	}
	if _, err := ev.EncodeData(); err == nil {
		t.Error("EncodeData without a payload: no error")
	}
}

func TestUnixMilli(t *testing.T) {
	if got := domain.UnixMilliOf(t0); got != 1772463600000 || !got.Time().Equal(t0) {
		t.Errorf("UnixMilliOf(%v) = %d (%v)", t0, got, got.Time())
	}
}
