package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The audit trail.
//
// Every change of state the product makes is recorded as an Event: an
// envelope (who did what to which thing, from where to where, when) and a
// typed payload, one payload type per event type (audit_payloads.go). Stats,
// the App Home and the weekly digest read the events back.
//
// The envelope's from and to, per type:
//
//	decision.created     from ""         to autonomous|pending
//	decision.escalated   from team-lead  to manager (levels)
//	decision.timeout     from team-lead  to manager (levels)
//	decision.reminded    from manager    to manager (the top level)
//	decision.approval    from pending    to pending (one of several approvals)
//	decision.approved    from pending    to approved
//	decision.declined    from pending    to declined
//	outcome.asked        actor ""         subject decision ID (the follow-up DM was sent)
//	outcome.worked       actor requester  subject decision ID  from the decision's state, to worked
//	outcome.failed       actor requester  subject decision ID  from the decision's state, to failed
//	outcome.noted        actor requester  subject decision ID
//	praise.given         actor giver      subject receiver
//	win.posted           actor giver      subject ""
//	commitment.*         subject commitment ID; from/to the states, or for
//	                     commitment.redated the old/new due date;
//	                     commitment.overdue has actor "" (the first reminder
//	                     after the due date)
//	feedback.round       subject round ID; to "open" (DMs sent), "reminded"
//	                     or "closed" (the next round started)
//	feedback.answered    subject round ID; actor the person, "" when anonymous
//	away.started         actor and subject the leader; to the last day away
//	                     ("2006-01-02"); a new period replaces the one before
//	away.ended           actor and subject the leader (`back`); from the last
//	                     day the period had, to "back"
//	autonomy.proposed    actor "", subject the person, to the proposal ID
//	autonomy.raised      actor the leader, subject the person; from the
//	                     limit before, to the limit now ("500", "900")
//	autonomy.deferred    actor the leader (Not now), subject the person, to
//	                     the proposal ID
//	autonomy.reset       actor the leader, subject the person; from the
//	                     personal limit, to the policy's
//
// A payload is stored as a JSON object (the event's data) with its keys in
// sorted order, as earlier versions wrote them.

// EventType names what happened, "<thing>.<verb>".
type EventType string

// The event types.
const (
	EventDecisionCreated   EventType = "decision.created"
	EventDecisionEscalated EventType = "decision.escalated"
	EventDecisionApproved  EventType = "decision.approved"
	EventDecisionApproval  EventType = "decision.approval"
	EventDecisionDeclined  EventType = "decision.declined"
	EventDecisionTimeout   EventType = "decision.timeout"
	EventDecisionReminded  EventType = "decision.reminded"

	EventOutcomeAsked  EventType = "outcome.asked"
	EventOutcomeWorked EventType = "outcome.worked"
	EventOutcomeFailed EventType = "outcome.failed"
	EventOutcomeNoted  EventType = "outcome.noted"

	EventPraiseGiven EventType = "praise.given"
	EventWinPosted   EventType = "win.posted"

	EventCommitmentAsked    EventType = "commitment.asked"
	EventCommitmentMade     EventType = "commitment.made"
	EventCommitmentDeclined EventType = "commitment.declined"
	EventCommitmentDone     EventType = "commitment.done"
	EventCommitmentRedated  EventType = "commitment.redated"
	EventCommitmentOverdue  EventType = "commitment.overdue"

	EventFeedbackRound    EventType = "feedback.round"
	EventFeedbackAnswered EventType = "feedback.answered"
	EventFeedbackReplied  EventType = "feedback.replied"
	EventFeedbackReleased EventType = "feedback.released"

	EventAwayStarted EventType = "away.started"
	EventAwayEnded   EventType = "away.ended"
)

// Payload is the typed data of one event type.
type Payload interface {
	// EventType is the type of the events that carry this payload.
	EventType() EventType
}

// Event is one entry of a team's audit trail.
type Event struct {
	// ID is the trail's entry ID; set when read back, ignored when appended.
	ID string
	// Actor is the Slack user who did it ("" for the bot itself).
	Actor string
	// Subject is what it happened to (a decision ID, a person, a round).
	Subject string
	// From and To are where it was before and after (states, levels, dates).
	From, To string
	// At is when it happened, kept to the millisecond.
	At time.Time
	// Payload holds the type's data; its type is the event's type.
	Payload Payload
}

// Type is the event's type: its payload's, "" when it has none.
func (e Event) Type() EventType {
	if e.Payload == nil {
		return ""
	}
	return e.Payload.EventType()
}

// EncodeData returns e's payload as the JSON object stored as the event's
// data, its keys sorted.
func (e Event) EncodeData() ([]byte, error) {
	if e.Payload == nil {
		return nil, fmt.Errorf("audit event of %s at %s: no payload", e.Subject, e.At.Format(time.RFC3339))
	}
	if u, ok := e.Payload.(UnknownData); ok {
		return u.data()
	}
	if p, ok := e.Payload.(DecisionCreatedData); ok {
		return appendCreatedData(make([]byte, 0, 256), p), nil
	}
	b, err := json.Marshal(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s data: %w", e.Type(), err)
	}
	if sorted, ok := sortKeys(b); ok {
		return sorted, nil
	}
	if b, err = sortKeysDecoded(b); err != nil {
		return nil, fmt.Errorf("encode %s data: %w", e.Type(), err)
	}
	return b, nil
}

// sortKeysDecoded is sortKeys by decoding b into a map and encoding the
// map (encoding/json sorts a map's keys): the data reads the same whichever
// struct it came from.
func sortKeysDecoded(b []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// DecodePayload decodes the data of an event of type t ("" or "{}" for an
// event without extras). A type this version does not know gives an
// UnknownData payload; data that does not fit t's payload is an error.
func DecodePayload(t EventType, data []byte) (Payload, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	switch t {
	case EventDecisionCreated:
		return decodeAs[DecisionCreatedData](t, data)
	case EventDecisionEscalated:
		return decodeAs[DecisionEscalatedData](t, data)
	case EventDecisionApproved:
		return decodeAs[DecisionApprovedData](t, data)
	case EventDecisionApproval:
		return decodeAs[DecisionApprovalData](t, data)
	case EventDecisionDeclined:
		return decodeAs[DecisionDeclinedData](t, data)
	case EventDecisionTimeout:
		return decodeAs[DecisionTimeoutData](t, data)
	case EventDecisionReminded:
		return decodeAs[DecisionRemindedData](t, data)
	case EventOutcomeAsked:
		return decodeAs[OutcomeAskedData](t, data)
	case EventOutcomeWorked:
		return decodeAs[OutcomeWorkedData](t, data)
	case EventOutcomeFailed:
		return decodeAs[OutcomeFailedData](t, data)
	case EventOutcomeNoted:
		return decodeAs[OutcomeNotedData](t, data)
	case EventPraiseGiven:
		return decodeAs[PraiseGivenData](t, data)
	case EventWinPosted:
		return decodeAs[WinPostedData](t, data)
	case EventCommitmentAsked:
		return decodeAs[CommitmentAskedData](t, data)
	case EventCommitmentMade:
		return decodeAs[CommitmentMadeData](t, data)
	case EventCommitmentDeclined:
		return decodeAs[CommitmentDeclinedData](t, data)
	case EventCommitmentDone:
		return decodeAs[CommitmentDoneData](t, data)
	case EventCommitmentRedated:
		return decodeAs[CommitmentRedatedData](t, data)
	case EventCommitmentOverdue:
		return decodeAs[CommitmentOverdueData](t, data)
	case EventFeedbackRound:
		return decodeAs[FeedbackRoundData](t, data)
	case EventFeedbackAnswered:
		return decodeAs[FeedbackAnsweredData](t, data)
	case EventFeedbackReplied:
		return decodeAs[FeedbackRepliedData](t, data)
	case EventFeedbackReleased:
		return decodeAs[FeedbackReleasedData](t, data)
	case EventAwayStarted:
		return decodeAs[AwayStartedData](t, data)
	case EventAwayEnded:
		return decodeAs[AwayEndedData](t, data)
	case EventAutonomyProposed:
		return decodeAs[AutonomyProposedData](t, data)
	case EventAutonomyRaised:
		return decodeAs[AutonomyRaisedData](t, data)
	case EventAutonomyDeferred:
		return decodeAs[AutonomyDeferredData](t, data)
	case EventAutonomyReset:
		return decodeAs[AutonomyResetData](t, data)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("decode %s data: invalid JSON", t)
	}
	return UnknownData{Type: t, Data: json.RawMessage(bytes.Clone(data))}, nil
}

// decodeAs decodes data as a payload of type P.
func decodeAs[P Payload](t EventType, data []byte) (Payload, error) {
	var p P
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode %s data: %w", t, err)
	}
	return p, nil
}

// UnknownData is the payload of an event type this version does not know (one
// written by a newer version, say): its data is kept as it was.
type UnknownData struct {
	Type EventType
	// Data is the event's data, a JSON object.
	Data json.RawMessage
}

// EventType implements Payload.
func (u UnknownData) EventType() EventType { return u.Type }

func (u UnknownData) data() ([]byte, error) {
	if len(u.Data) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(u.Data) {
		return nil, fmt.Errorf("encode %s data: invalid JSON", u.Type)
	}
	return u.Data, nil
}
