package domain

import (
	"errors"
	"time"
)

// CommitmentState is where a commitment stands.
type CommitmentState string

// The states of a commitment.
const (
	// CommitmentAsked: an employee's ask, waiting for the leader.
	CommitmentAsked CommitmentState = "asked"
	// CommitmentOpen: made, not done yet.
	CommitmentOpen CommitmentState = "open"
	// CommitmentDone: the leader did it.
	CommitmentDone CommitmentState = "done"
	// CommitmentDeclined: the leader declined the ask.
	CommitmentDeclined CommitmentState = "declined"
)

// Sources of a commitment: made by `/empower commit`, or from an
// employee's ask.
const (
	SourceCommit = "commit"
	SourceAsk    = "ask"
	// SourceFeedback is a commitment made with Commit to this on a
	// feedback answer.
	SourceFeedback = "feedback"
)

// ReminderKind says which reminder of a commitment its leader gets.
type ReminderKind string

// The reminders of a commitment.
const (
	// ReminderDueSoon: its due date starts within remind_before (once per
	// due date).
	ReminderDueSoon ReminderKind = "soon"
	// ReminderOverdue: its due date has passed (once a day).
	ReminderOverdue ReminderKind = "overdue"
)

// Commitment is a leader's promise to one of their people, or an ask that
// may become one. Its JSON is the stored record: the field names are part
// of the wire format.
type Commitment struct {
	ID       string          `json:"id"`
	Team     string          `json:"team"`
	Leader   string          `json:"leader"`
	Employee string          `json:"employee"`
	Text     string          `json:"text"`
	State    CommitmentState `json:"state"`
	// Source is SourceCommit or SourceAsk.
	Source string `json:"source"`
	// Due is the due date, "2006-01-02" in the policy's timezone; an ask
	// may have none.
	Due string `json:"due,omitempty"`
	// AskedDue is the date the employee asked for (asks only).
	AskedDue  string    `json:"asked_due,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	MadeAt    time.Time `json:"made_at,omitzero"`
	// ClosedAt is when it was done or declined.
	ClosedAt      time.Time `json:"closed_at,omitzero"`
	DeclineReason string    `json:"decline_reason,omitempty"`
	// OnTime is set when it was done on or before its due date.
	OnTime bool `json:"on_time,omitempty"`
	// Redates counts the new dates the leader set.
	Redates int `json:"redates,omitempty"`
	// Answer is the feedback answer (its ID) the commitment was made to
	// with Commit to this, "" for none; Said is that answer's text.
	Answer string `json:"answer,omitempty"`
	Said   string `json:"said,omitempty"`
	// ToTeam is set for a commitment to a whole policy team (TeamName, ""
	// for the people in no team) rather than to Employee, who is then "":
	// the commitment to an anonymous answer.
	ToTeam   bool   `json:"to_team,omitempty"`
	TeamName string `json:"team_name,omitempty"`
	// Request is the request (RequestKey) of the person's action that made
	// its latest change (an ask answered, done, a new date), written with
	// it: a redelivery of that request after a crash recognises the change
	// as its own and finishes what followed it (the DMs), where any other
	// is told where the commitment stands. RedatedFrom is the due date
	// before the latest new date.
	Request     string `json:"request,omitempty"`
	RedatedFrom string `json:"redated_from,omitempty"`
}

// NewCommitmentID returns a fresh ID such as "C-7K2QF9" (Crockford base32,
// as decision IDs).
func NewCommitmentID() string { return newID("C-") }

// NormalizeCommitmentID turns what a person typed into the ID's canonical
// form, and reports whether it looks like one.
func NormalizeCommitmentID(s string) (string, bool) { return normalizeID("C-", s) }

// CommitmentRecord is a commitment as kept in storage: the noun, the
// version that guards every change of it, and where the ask's message to
// the leader is.
type CommitmentRecord struct {
	Commitment
	// AskDM is the ask's DM to the leader, kept beside the record so that
	// it can be shown as answered (zero when it was not sent).
	AskDM MessageRef `json:"-"`
	// Version grows by one with every change; a change is written only
	// while the stored commitment is still at the version it was read at.
	Version int64 `json:"-"`
	// Members are the people a commitment to a team is listed to, when it
	// is created (not stored in the record).
	Members []string `json:"-"`
}

// ErrCommitmentNotFound is the store's answer for a commitment ID it does
// not hold.
var ErrCommitmentNotFound = errors.New("commitment not found")

// CommitmentConflictError is the error of a change to a commitment that
// someone else changed first: nothing was written, and Current is how the
// commitment is now.
type CommitmentConflictError struct {
	Current *CommitmentRecord
}

func (e *CommitmentConflictError) Error() string { return "commitment changed meanwhile" }
