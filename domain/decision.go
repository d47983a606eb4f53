package domain

import (
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/money"
)

// DecisionState is where a decision stands.
type DecisionState string

// The states of a decision.
const (
	// StateAutonomous: inside the box, the requester's own call.
	StateAutonomous DecisionState = "autonomous"
	// StatePending: above the box, waiting for a level's answer.
	StatePending DecisionState = "pending"
	// StateApproved: a leader approved it.
	StateApproved DecisionState = "approved"
	// StateDeclined: a leader declined it.
	StateDeclined DecisionState = "declined"
)

// Decision is one logged decision with its whole history. Its JSON is the
// stored record: the field names are part of the wire format.
type Decision struct {
	ID        string `json:"id"`
	Team      string `json:"team"`
	Requester string `json:"requester"`
	// TeamName is the requester's policy team when the decision was
	// logged; "" for none (the top-level chain). It is kept, so that moving
	// someone to another team later does not re-route it; a team the
	// policy no longer has falls back to the top-level approvers.
	TeamName string        `json:"team_name,omitempty"`
	Activity string        `json:"activity"`
	Amount   money.Amount  `json:"amount"` // minor units
	Currency string        `json:"currency"`
	Customer string        `json:"customer,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	State    DecisionState `json:"state"`
	// Level is the index in the policy's chain of the level that must answer
	// (pending) or answered; -1 for autonomous decisions.
	Level int `json:"level"`
	// LevelName is the name of Level when it was set.
	LevelName string `json:"level_name,omitempty"`
	// Why says why it left the box, for people ("$900 is above your $500 box").
	Why string `json:"why,omitempty"`
	// ExceedsAll is set when the amount is above every level's limit.
	ExceedsAll bool      `json:"exceeds_all,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Deadline is when the current level's respond_within runs out.
	Deadline time.Time      `json:"deadline,omitzero"`
	History  []HistoryEntry `json:"history,omitempty"`
	// Approvals are the approvals given at the current level so far, when
	// it needs more than one (approvals_needed); escalating or timing out
	// starts the next level afresh. Each approver counts once.
	Approvals []Approval `json:"approvals,omitempty"`
	// DecidedBy and DecidedAt are set once approved or declined (for
	// several approvals: the last approver, at the final approval).
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// DecidedFor is the away leader DecidedBy answered for, as their
	// delegate; "" when they answered in their own right.
	DecidedFor    string `json:"decided_for,omitempty"`
	DeclineReason string `json:"decline_reason,omitempty"`
	// Reminders counts the reminders sent to the top level.
	Reminders int `json:"reminders,omitempty"`
	// OutcomeDue is when to ask the requester how it turned out. It is set
	// on the change that makes the decision autonomous or approved.
	OutcomeDue time.Time `json:"outcome_due,omitzero"`
	// Outcome is how it turned out. It is kept beside the record, not in
	// its JSON, so that recording it never races a change of the record.
	Outcome Outcome `json:"-"`
}

// Approval is one approver's yes at a level that needs several.
type Approval struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
	// For is the away leader By approved for, as their delegate.
	For string `json:"for,omitempty"`
}

// ApprovedBy reports whether user has approved at the current level.
func (d *Decision) ApprovedBy(user string) bool {
	for _, a := range d.Approvals {
		if a.By == user {
			return true
		}
	}
	return false
}

// Approvers returns who approved at the current level, in order.
func (d *Decision) Approvers() []string {
	out := make([]string, 0, len(d.Approvals))
	for _, a := range d.Approvals {
		out = append(out, a.By)
	}
	return out
}

// DecisionRecord is a decision as it was read from storage to be changed:
// the noun, the version that guards its next change, and its escalation
// cards. The version and the cards are kept beside the noun's JSON, so that
// recording a card never races a person's action; only the store gives the
// version a meaning, only the notifier the cards' references.
type DecisionRecord struct {
	Decision
	// Version counts the record's changes. A change names the version it
	// read and is refused (DecisionConflictError) when another came first.
	Version int64 `json:"-"`
	// Messages are the escalation cards, one per level it was posted to,
	// lowest level first.
	Messages []DecisionMessage `json:"-"`
	// ReminderDMs are the reminders its approvers got by DM, one per level
	// and approver, lowest level first (see ReminderDM).
	ReminderDMs []ReminderDM `json:"-"`
}

// DecisionMessage is an escalation card: the message that asks Level to
// answer, as the notifier that posted it names it.
type DecisionMessage struct {
	Level int
	MessageRef
}

// MessageFor returns the escalation card posted for level, if any.
func (d *DecisionRecord) MessageFor(level int) (DecisionMessage, bool) {
	for _, m := range d.Messages {
		if m.Level == level {
			return m, true
		}
	}
	return DecisionMessage{}, false
}

// ErrDecisionNotFound is the store's answer for a decision ID it does not hold.
var ErrDecisionNotFound = errors.New("decision not found")

// DecisionConflictError refuses a change of a decision that changed since
// it was read: someone else acted first. Current is the decision as it is
// now.
type DecisionConflictError struct {
	Current *DecisionRecord
}

func (e *DecisionConflictError) Error() string { return "decision changed meanwhile" }

// HistoryEntry is one step in a decision's life.
type HistoryEntry struct {
	// Action is "created", "escalated", "timeout", "reminded", "approval"
	// (one of several needed), "approved", "declined" or "away" (nobody of
	// level From was here: it went on to To).
	Action string    `json:"action"`
	Actor  string    `json:"actor,omitempty"` // "" for the bot
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
	// For is the away leader Actor acted for, as their delegate.
	For string `json:"for,omitempty"`
	// Request is the request (RequestKey: a click's or a submission's) of
	// the person's action that made this change, written with it: a
	// redelivery of that request after a crash recognises the change as
	// its own and finishes what followed it (the cards, the DMs), where
	// anyone else's request is told it was answered already.
	Request string `json:"request,omitempty"`
}

// ChangeBy returns the index in d's history of the entry request made,
// and whether it is d's latest change: no entry after it but those made
// in the same change (the levels it skipped for being away, at the same
// moment). It returns -1 when request made none ("" makes none).
func (d *Decision) ChangeBy(request string) (i int, latest bool) {
	if request == "" {
		return -1, false
	}
	for i := len(d.History) - 1; i >= 0; i-- {
		if d.History[i].Request != request {
			continue
		}
		for _, later := range d.History[i+1:] {
			if later.Action != "away" || !later.At.Equal(d.History[i].At) {
				return i, false
			}
		}
		return i, true
	}
	return -1, false
}

// Decided reports whether the decision reached a final answer from a leader.
func (d *Decision) Decided() bool { return d.State == StateApproved || d.State == StateDeclined }

// idAlphabet is Crockford's base32: no I, L, O or U, so an ID read aloud or
// typed is hard to get wrong.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns prefix followed by 6 random base32 characters (about a
// billion values), short enough to type.
func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	out := []byte(prefix)
	for _, c := range b {
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}

// normalizeID turns what a person typed (with or without prefix, any case)
// into the canonical "<prefix><6 characters>", and reports whether it looks
// like one.
func normalizeID(prefix, s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, prefix)
	if len(s) != 6 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(idAlphabet, rune(s[i])) {
			return "", false
		}
	}
	return prefix + s, true
}

// NewDecisionID returns a fresh ID such as "D-7K2QF9".
func NewDecisionID() string { return newID("D-") }

// NormalizeDecisionID turns what a person typed ("d-7k2qf9", "7K2QF9") into
// the ID's canonical form, and reports whether it looks like one.
func NormalizeDecisionID(s string) (string, bool) { return normalizeID("D-", s) }
