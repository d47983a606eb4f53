package domain

import "time"

// Outcomes of a decision, as its requester tells them.
const (
	OutcomeWorked = "worked"
	OutcomeFailed = "failed"
)

// Outcome is how an autonomous or approved decision turned out.
type Outcome struct {
	// Result is OutcomeWorked, OutcomeFailed or "" (not recorded yet).
	Result string
	// At is when it was recorded.
	At time.Time
	// Note is the requester's note ("" for none).
	Note string
	// FollowUp is the follow-up DM that asked how it turned out (zero when
	// none was sent).
	FollowUp MessageRef
	// PraisePost is the public praise of a decision that worked (zero when
	// none was posted).
	PraisePost MessageRef
	// Request is the request (RequestKey: a click's, a command's) that
	// recorded it, written with it: a redelivery of that request after a
	// crash recognises the outcome as its own and finishes what followed
	// it (the praise post, the DMs), where any other is told it is known
	// already.
	Request string
	// NoteRequest is the request (a submission's) that added the note, in
	// the same way: that submission delivered again finishes what followed
	// the note instead of being told it was added already.
	NoteRequest string
}

// MessageRef is a message the bot posted, as the adapter that posted it
// names it, so that it can be changed later. The rules only carry it from
// the notifier that posted the message to the store and back; they never
// look inside.
type MessageRef struct {
	Channel string
	TS      string
}

// IsZero reports whether r names no message.
func (r MessageRef) IsZero() bool { return r.Channel == "" || r.TS == "" }

// PraiseGiven is one person's public praise of another.
type PraiseGiven struct {
	Team string
	// Giver praises To.
	Giver string
	To    string
	// Text is what they did, as typed (Slack markup left in, to be shown
	// escaped), its #values taken out.
	Text string
	// Values are the core values it was tagged with.
	Values []string
	// Reacted is the message whose reaction gave this praise (nil for
	// praise typed with /empower praise).
	Reacted *ReactedMessage
}

// ReactedMessage is a person's message someone reacted to with the
// policy's praise.reaction emoji.
type ReactedMessage struct {
	// Channel and TS name the message.
	Channel, TS string
	// Reaction is the emoji as reacted (a skin tone included).
	Reaction string
	// Permalink links to the message; the Slack side fills it when it
	// posts the praise.
	Permalink string
}

// Win is a team win shared by one person.
type Win struct {
	Team  string
	Giver string
	// Text is what the team won, as typed, its #values and trailing
	// mentions taken out.
	Text string
	// Users are the people credited (none: the whole team).
	Users []string
	// Values are the core values it was tagged with.
	Values []string
}

// PraiseTicket is a praise or a win counted against its giver's daily limit
// and audited, before its post; it takes both back when the post fails.
type PraiseTicket struct {
	Team, Giver, Day string
	// Kind is the counter: "praise" or "win".
	Kind string
	// Count is the giver's posts of the day, this one included.
	Count int
	// AuditID is the audit entry.
	AuditID string
	// Credited are the people whose praise index holds it.
	Credited []string
	// Once is the key recording a praise by reaction (empty for others).
	Once string
	// Already: praise by reaction refused because the giver already
	// praised that message.
	Already bool
}

// OutcomeRefusal is the error of an outcome, or of its note, that was not
// recorded, and why. Current is the decision as it is now.
type OutcomeRefusal struct {
	Reason  OutcomeRefusalReason
	Current *Decision
}

// OutcomeRefusalReason says why an outcome or a note was not recorded.
type OutcomeRefusalReason string

// The reasons of an OutcomeRefusal.
const (
	// RefusedNotRequester: only the requester tells how it turned out.
	RefusedNotRequester OutcomeRefusalReason = "not_requester"
	// RefusedState: pending or declined, there is nothing to record.
	RefusedState OutcomeRefusalReason = "state"
	// RefusedAlready: recorded before (or, for a note, a note was given).
	RefusedAlready OutcomeRefusalReason = "already"
	// RefusedNoOutcome: a note before any outcome.
	RefusedNoOutcome OutcomeRefusalReason = "no_outcome"
)

// Error says why, for the logs.
func (e *OutcomeRefusal) Error() string { return "outcome refused: " + string(e.Reason) }
