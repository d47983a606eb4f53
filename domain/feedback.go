package domain

import (
	"errors"
	"strconv"
	"time"
)

// NoRound is the round of answers given when no round has started yet.
const NoRound = "-"

// FeedbackRound is one weekly round of the feedback DM.
type FeedbackRound struct {
	// ID names the round (RoundID of its tick).
	ID       string
	Question string
	// Index is the question's position in the policy's list.
	Index int
	Tick  time.Time
	// Prev is the round that was current when this one opened ("" for
	// none): what was done since it opens this round's DM.
	Prev string
}

// RoundID names the round of a feedback tick: the tick in Unix milliseconds.
func RoundID(tick time.Time) string { return strconv.FormatInt(tick.UnixMilli(), 10) }

// FeedbackAnswer is one answer to a round's question. Its JSON is the
// stored answer: the field names are part of the wire format.
type FeedbackAnswer struct {
	// ID is the answer's own opaque ID (NewAnswerID): what buttons and
	// forms about the answer carry, never the person.
	ID       string `json:"id,omitempty"`
	Round    string `json:"round"`
	Question string `json:"question"`
	Text     string `json:"text"`
	// User is the person's ID; empty for an anonymous answer.
	User      string    `json:"user,omitempty"`
	Anonymous bool      `json:"anonymous,omitempty"`
	At        time.Time `json:"at"`
	// TeamName is the policy team of the person ("" for none): whose
	// leaders read it, and to whom a commitment to an anonymous answer is
	// made.
	TeamName string `json:"team_name,omitempty"`
}

// NewAnswerID returns a fresh answer ID such as "F-7K2QF9".
func NewAnswerID() string { return newID("F-") }

// AnswerIDFor is DecisionIDFor for feedback answers: a submission handled
// again (Slack's redelivery after a crash) is the same answer, stored and
// posted once. The key names the request, never the person.
func AnswerIDFor(team, requestKey string) string { return idFor("F-", team, requestKey) }

// NormalizeAnswerID reports whether s looks like an answer ID, in its
// canonical form.
func NormalizeAnswerID(s string) (string, bool) { return normalizeID("F-", s) }

// AnswerStatus is what leaders did with one feedback answer, as its post in
// the leaders channel shows it.
type AnswerStatus struct {
	// RepliedBy are the leaders who replied, first reply first.
	RepliedBy []string
	// Commitment is the commitment made to it ("" for none) and
	// CommittedBy its leader.
	Commitment, CommittedBy string
	// Post is the answer's message in the leaders channel (zero before it
	// is posted).
	Post MessageRef
	// Batch is how many anonymous answers were posted together with it (0
	// for a named answer).
	Batch int
}

// FeedbackRate is a round's response rate.
type FeedbackRate struct {
	// Sent counts the people the round's DM reached; Answered those of
	// them who answered.
	Sent, Answered int
}

// Pct is the rate in whole percent (0 when nobody was asked).
func (r FeedbackRate) Pct() int {
	if r.Sent == 0 {
		return 0
	}
	return r.Answered * 100 / r.Sent
}

// ErrAnswerNotFound is the store's answer for a feedback answer ID it does
// not hold (unknown or expired).
var ErrAnswerNotFound = errors.New("feedback answer not found")
