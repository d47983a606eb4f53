package domain

import (
	"encoding/json"
	"time"

	"github.com/empowerbot/empowerbot/money"
)

// The payloads of the audit events, one type per event type. Their JSON
// field names are the stored data's keys: they are part of the wire format.

// UnixMilli is a time stored as Unix milliseconds (a JSON integer).
type UnixMilli int64

// UnixMilliOf returns t in Unix milliseconds.
func UnixMilliOf(t time.Time) UnixMilli { return UnixMilli(t.UnixMilli()) }

// Time returns the time m stands for.
func (m UnixMilli) Time() time.Time { return time.UnixMilli(int64(m)) }

// DecisionFacts are the data every decision event carries: the decision as
// it is after the change.
type DecisionFacts struct {
	Activity  string       `json:"activity"`
	Amount    money.Amount `json:"amount"` // minor units
	Currency  string       `json:"currency"`
	Requester string       `json:"requester"`
	// Autonomous is set when the decision was inside the box.
	Autonomous bool `json:"autonomous"`
	// CreatedAt is when the decision was logged.
	CreatedAt UnixMilli `json:"created_at"`
	// Level is the name of the level that must answer or answered; empty
	// for an autonomous decision.
	Level    string   `json:"level,omitempty"`
	Customer string   `json:"customer,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// TeamName is the requester's policy team when it was logged ("" for
	// none).
	TeamName string `json:"team_name,omitempty"`
}

// Decision returns the facts themselves, so that a reader can take them
// from any decision event.
func (f DecisionFacts) Decision() DecisionFacts { return f }

// Facts returns the data a decision event carries about d.
func (d *Decision) Facts() DecisionFacts {
	f := DecisionFacts{
		Activity: d.Activity, Amount: d.Amount, Currency: d.Currency, Requester: d.Requester,
		Autonomous: d.State == StateAutonomous, CreatedAt: UnixMilliOf(d.CreatedAt),
		Customer: d.Customer, Tags: d.Tags, TeamName: d.TeamName,
	}
	if d.Level >= 0 {
		f.Level = d.LevelName
	}
	return f
}

// DecisionCreatedData is the payload of decision.created.
type DecisionCreatedData struct{ DecisionFacts }

// DecisionEscalatedData is the payload of decision.escalated (a leader sent it
// up a level).
type DecisionEscalatedData struct {
	DecisionFacts
	// For is the away leader the actor answered for, as their delegate.
	For string `json:"for,omitempty"`
}

// DecisionTimeoutData is the payload of decision.timeout (a level did not
// answer in time and it moved up).
type DecisionTimeoutData struct{ DecisionFacts }

// DecisionRemindedData is the payload of decision.reminded (the top level was
// reminded).
type DecisionRemindedData struct {
	DecisionFacts
	// Reminders counts the reminders sent so far, this one included.
	Reminders int `json:"reminders"`
}

// DecisionApprovedData is the payload of decision.approved (the final
// approval).
type DecisionApprovedData struct {
	DecisionFacts
	// Approvers are everyone who approved at the level, in order, when it
	// needed more than one.
	Approvers []string `json:"approvers,omitempty"`
	// For is the away leader the actor approved for, as their delegate.
	For string `json:"for,omitempty"`
}

// DecisionApprovalData is the payload of decision.approval: one approver's
// yes at a level that needs several, not yet the last.
type DecisionApprovalData struct {
	DecisionFacts
	// Approvals is how many distinct approvers have approved at the level,
	// this one included; Needed how many it needs.
	Approvals int `json:"approvals"`
	Needed    int `json:"needed"`
	// For is the away leader the actor approved for, as their delegate.
	For string `json:"for,omitempty"`
}

// DecisionDeclinedData is the payload of decision.declined.
type DecisionDeclinedData struct {
	DecisionFacts
	// Reason is the leader's reason ("" for none).
	Reason string `json:"reason,omitempty"`
	// For is the away leader the actor declined for, as their delegate.
	For string `json:"for,omitempty"`
}

// EventType implements Payload.
func (DecisionCreatedData) EventType() EventType { return EventDecisionCreated }

// EventType implements Payload.
func (DecisionEscalatedData) EventType() EventType { return EventDecisionEscalated }

// EventType implements Payload.
func (DecisionTimeoutData) EventType() EventType { return EventDecisionTimeout }

// EventType implements Payload.
func (DecisionRemindedData) EventType() EventType { return EventDecisionReminded }

// EventType implements Payload.
func (DecisionApprovedData) EventType() EventType { return EventDecisionApproved }

// EventType implements Payload.
func (DecisionApprovalData) EventType() EventType { return EventDecisionApproval }

// EventType implements Payload.
func (DecisionDeclinedData) EventType() EventType { return EventDecisionDeclined }

// OutcomeAskedData is the payload of outcome.asked: the follow-up DM was sent.
type OutcomeAskedData struct {
	Requester string `json:"requester,omitempty"`
}

// OutcomeFacts are the data of an outcome told by the requester.
type OutcomeFacts struct {
	Activity string       `json:"activity"`
	Amount   money.Amount `json:"amount"` // minor units
	Currency string       `json:"currency"`
	// Note is the requester's note ("" for none).
	Note string `json:"note"`
	// Level is the name of the level that approved it ("" when autonomous).
	Level string   `json:"level,omitempty"`
	Tags  []string `json:"tags,omitempty"`
}

// OutcomeFacts returns the data of an outcome of d with the requester's note.
func (d *Decision) OutcomeFacts(note string) OutcomeFacts {
	return OutcomeFacts{Activity: d.Activity, Amount: d.Amount, Currency: d.Currency, Note: note, Level: d.LevelName, Tags: d.Tags}
}

// OutcomeWorkedData is the payload of outcome.worked.
type OutcomeWorkedData struct{ OutcomeFacts }

// OutcomeFailedData is the payload of outcome.failed.
type OutcomeFailedData struct{ OutcomeFacts }

// OutcomeNotedData is the payload of outcome.noted: the requester added a note
// to a recorded outcome (the event's to is worked or failed).
type OutcomeNotedData struct {
	Note string `json:"note"`
}

// EventType implements Payload.
func (OutcomeAskedData) EventType() EventType { return EventOutcomeAsked }

// EventType implements Payload.
func (OutcomeWorkedData) EventType() EventType { return EventOutcomeWorked }

// EventType implements Payload.
func (OutcomeFailedData) EventType() EventType { return EventOutcomeFailed }

// EventType implements Payload.
func (OutcomeNotedData) EventType() EventType { return EventOutcomeNoted }

// PraiseGivenData is the payload of praise.given (the subject is the person
// praised).
type PraiseGivenData struct {
	Text string `json:"text"`
	// Values are the core values it was tagged with.
	Values []string `json:"values"`
	// Reaction is the emoji of praise given by reaction, and Channel and
	// MessageTS the message reacted to (empty for /empower praise).
	Reaction  string `json:"reaction,omitempty"`
	Channel   string `json:"channel,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
}

// WinPostedData is the payload of win.posted.
type WinPostedData struct {
	Text string `json:"text"`
	// Users are the people credited.
	Users []string `json:"users"`
	// Values are the core values it was tagged with.
	Values []string `json:"values"`
}

// EventType implements Payload.
func (PraiseGivenData) EventType() EventType { return EventPraiseGiven }

// EventType implements Payload.
func (WinPostedData) EventType() EventType { return EventWinPosted }

// MarshalJSON writes the lists as arrays, empty ones included.
func (p PraiseGivenData) MarshalJSON() ([]byte, error) {
	type plain PraiseGivenData
	p.Values = nonNil(p.Values)
	return json.Marshal(plain(p))
}

// MarshalJSON writes the lists as arrays, empty ones included.
func (p WinPostedData) MarshalJSON() ([]byte, error) {
	type plain WinPostedData
	p.Users, p.Values = nonNil(p.Users), nonNil(p.Values)
	return json.Marshal(plain(p))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CommitmentFacts are the data every commitment event carries.
type CommitmentFacts struct {
	Leader   string `json:"leader"`
	Employee string `json:"employee"`
	Text     string `json:"text"`
	// Due is the due date ("2006-01-02" in the policy's timezone), or for
	// an ask without one the date asked for.
	Due string `json:"due"`
	// Source is SourceCommit, SourceAsk or SourceFeedback.
	Source string `json:"source"`
	// Answer is the feedback answer a SourceFeedback commitment answers.
	Answer string `json:"answer,omitempty"`
	// ToTeam is set for a commitment to a policy team (TeamName) instead
	// of one person.
	ToTeam   bool   `json:"to_team,omitempty"`
	TeamName string `json:"team_name,omitempty"`
}

// Commitment returns the facts themselves, so that a reader can take them
// from any commitment event.
func (f CommitmentFacts) Commitment() CommitmentFacts { return f }

// Facts returns the data a commitment event carries about c.
func (c *Commitment) Facts() CommitmentFacts {
	f := CommitmentFacts{Leader: c.Leader, Employee: c.Employee, Text: c.Text, Due: c.Due, Source: c.Source,
		Answer: c.Answer, ToTeam: c.ToTeam, TeamName: c.TeamName}
	if c.Due == "" && c.AskedDue != "" {
		f.Due = c.AskedDue
	}
	return f
}

// CommitmentAskedData is the payload of commitment.asked (an employee's ask,
// waiting for the leader).
type CommitmentAskedData struct{ CommitmentFacts }

// CommitmentMadeData is the payload of commitment.made (by commit, or by
// accepting an ask).
type CommitmentMadeData struct {
	CommitmentFacts
	// AskedDue is the date the employee asked for, when made from an ask
	// that had one.
	AskedDue string `json:"asked_due,omitempty"`
}

// CommitmentDeclinedData is the payload of commitment.declined (an ask declined).
type CommitmentDeclinedData struct {
	CommitmentFacts
	Reason string `json:"reason"`
}

// CommitmentDoneData is the payload of commitment.done.
type CommitmentDoneData struct {
	CommitmentFacts
	// OnTime tells whether it was done on or before its due date; nil in
	// events that did not record it (then judge by the due date).
	OnTime *bool `json:"on_time,omitempty"`
}

// CommitmentRedatedData is the payload of commitment.redated (the event's from
// and to are the old and new due dates).
type CommitmentRedatedData struct{ CommitmentFacts }

// CommitmentOverdueData is the payload of commitment.overdue (the first
// reminder after the due date).
type CommitmentOverdueData struct {
	CommitmentFacts
	DaysOverdue int `json:"days_overdue"`
}

// EventType implements Payload.
func (CommitmentAskedData) EventType() EventType { return EventCommitmentAsked }

// EventType implements Payload.
func (CommitmentMadeData) EventType() EventType { return EventCommitmentMade }

// EventType implements Payload.
func (CommitmentDeclinedData) EventType() EventType { return EventCommitmentDeclined }

// EventType implements Payload.
func (CommitmentDoneData) EventType() EventType { return EventCommitmentDone }

// EventType implements Payload.
func (CommitmentRedatedData) EventType() EventType { return EventCommitmentRedated }

// EventType implements Payload.
func (CommitmentOverdueData) EventType() EventType { return EventCommitmentOverdue }

// FeedbackRoundData is the payload of feedback.round: a round's response
// rate when it opened, was reminded or closed.
type FeedbackRoundData struct {
	Question string `json:"question"`
	Sent     int    `json:"sent"`
	Answered int    `json:"answered"`
	// RatePct is the rate in whole percent (0 when nobody was asked).
	RatePct int `json:"rate_pct"`
}

// FeedbackAnsweredData is the payload of feedback.answered.
type FeedbackAnsweredData struct {
	Anonymous bool `json:"anonymous"`
}

// FeedbackRepliedData is the payload of feedback.replied: a leader
// (the actor) replied to answer Subject; the person is never named.
type FeedbackRepliedData struct {
	Anonymous bool `json:"anonymous"`
	// TeamName is the answer's policy team ("" for none).
	TeamName string `json:"team_name,omitempty"`
}

// FeedbackReleasedData is the payload of feedback.released: a batch of
// anonymous answers of a policy team reached its leaders together.
type FeedbackReleasedData struct {
	TeamName string `json:"team_name"`
	Count    int    `json:"count"`
}

// EventType implements Payload.
func (FeedbackRepliedData) EventType() EventType { return EventFeedbackReplied }

// EventType implements Payload.
func (FeedbackReleasedData) EventType() EventType { return EventFeedbackReleased }

// EventType implements Payload.
func (FeedbackRoundData) EventType() EventType { return EventFeedbackRound }

// EventType implements Payload.
func (FeedbackAnsweredData) EventType() EventType { return EventFeedbackAnswered }

// AwayStartedData is the payload of away.started: a leader is away until
// the end of a day in their zone.
type AwayStartedData struct {
	// Until is the last day away ("2006-01-02") in Zone.
	Until string `json:"until"`
	Zone  string `json:"zone"`
	// Ends is the end of that day in Zone.
	Ends UnixMilli `json:"ends"`
	// Delegate answers for the leader meanwhile; "" for none.
	Delegate string `json:"delegate,omitempty"`
}

// AwayEndedData is the payload of away.ended: a leader said `back` before
// their period ended.
type AwayEndedData struct {
	// Until is the last day the period had.
	Until    string `json:"until"`
	Delegate string `json:"delegate,omitempty"`
}

// EventType implements Payload.
func (AwayStartedData) EventType() EventType { return EventAwayStarted }

// EventType implements Payload.
func (AwayEndedData) EventType() EventType { return EventAwayEnded }
