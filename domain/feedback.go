package domain

import (
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
}

// RoundID names the round of a feedback tick: the tick in Unix milliseconds.
func RoundID(tick time.Time) string { return strconv.FormatInt(tick.UnixMilli(), 10) }

// FeedbackAnswer is one answer to a round's question. Its JSON is the
// stored answer: the field names are part of the wire format.
type FeedbackAnswer struct {
	Round    string `json:"round"`
	Question string `json:"question"`
	Text     string `json:"text"`
	// User is the person's ID; empty for an anonymous answer.
	User      string    `json:"user,omitempty"`
	Anonymous bool      `json:"anonymous,omitempty"`
	At        time.Time `json:"at"`
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
