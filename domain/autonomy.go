package domain

import (
	"time"

	"github.com/empowerbot/empowerbot/money"
)

// Earned autonomy (PRODUCT.md "Beyond the box"): a person whose last
// decisions above their box were all approved and none failed is proposed
// a limit of their own; a first-level approver raises it (or says not
// now), and a leader may reset it.

// PersonalLimit is a limit of one person's own for one activity: up to it
// their decisions are inside their box. It is kept beside the policy and
// survives reloads; a policy whose level limit is now lower caps it (see
// box.OwnLimit).
type PersonalLimit struct {
	Activity string       `json:"activity"`
	Amount   money.Amount `json:"amount"` // minor units
	Currency string       `json:"currency"`
	// By is the leader who raised it, At when, Proposal the proposal they
	// answered.
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Proposal string    `json:"proposal,omitempty"`
	// From is the person's limit before the raise (the policy's, usually).
	From money.Amount `json:"from"`
	// Level is the level whose limit capped the raise (the raiser's own):
	// a policy that lowers that level's limit below Amount caps it.
	Level string `json:"level,omitempty"`
}

// PersonalLimits are one person's own limits, by activity.
type PersonalLimits map[string]PersonalLimit

// AutonomyState is what the store keeps about one person's earned
// autonomy: their own limits, when each activity's streak started
// counting (the last proposal, raise or reset), and the open proposal of
// each activity.
type AutonomyState struct {
	Limits PersonalLimits
	// Since is, by activity, the time after which decisions count toward
	// the streak; zero: all of them.
	Since map[string]time.Time
	// Open is, by activity, the ID of the proposal waiting for an answer.
	Open map[string]string
}

// ProposalState is where a proposal stands.
type ProposalState string

// The states of a proposal.
const (
	ProposalOpen     ProposalState = "open"
	ProposalRaised   ProposalState = "raised"
	ProposalDeferred ProposalState = "deferred" // Not now
)

// Proposal proposes to a person's first-level approvers to raise their
// limit for an activity, with the streak that earned it as evidence.
type Proposal struct {
	ID       string `json:"id"`
	Team     string `json:"team"`
	Person   string `json:"person"`
	TeamName string `json:"team_name,omitempty"`
	Activity string `json:"activity"`
	Currency string `json:"currency"`
	// Limit is the person's box when it was proposed; Largest the largest
	// amount of the streak (what is proposed, capped per leader).
	Limit   money.Amount `json:"limit"`
	Largest money.Amount `json:"largest"`
	// Count, First and Last are the streak: how many decisions, when the
	// first and last of them were logged; Decisions their IDs, oldest
	// first.
	Count     int       `json:"count"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Decisions []string  `json:"decisions"`
	// Approvers are the leaders it was sent to.
	Approvers []string  `json:"approvers"`
	CreatedAt time.Time `json:"created_at"`

	// The answer, kept beside the JSON: the state, who answered and when,
	// and the limit raised to.
	State      ProposalState `json:"-"`
	AnsweredBy string        `json:"-"`
	AnsweredAt time.Time     `json:"-"`
	RaisedTo   money.Amount  `json:"-"`
	// Request is the request that answered it (the click's request key,
	// "" for none), written with the answer: the same click delivered
	// again after a crash finishes what the answer left undone.
	Request string `json:"-"`
	// DMs are the proposal's DMs, by approver.
	DMs map[string]MessageRef `json:"-"`
}

// NewProposalID returns a fresh proposal ID such as "A-7K2QF9".
func NewProposalID() string { return newID("A-") }

// The audit events of earned autonomy. Each has the person as subject.
const (
	// EventAutonomyProposed: actor "" (the bot), to the proposal ID.
	EventAutonomyProposed EventType = "autonomy.proposed"
	// EventAutonomyRaised: actor the leader; from the person's limit
	// before, to the limit now (amounts, "500", "1,250.50").
	EventAutonomyRaised EventType = "autonomy.raised"
	// EventAutonomyDeferred: actor the leader who said Not now; to the
	// proposal ID.
	EventAutonomyDeferred EventType = "autonomy.deferred"
	// EventAutonomyReset: actor the leader; from the personal limit, to
	// the policy's.
	EventAutonomyReset EventType = "autonomy.reset"
)

// AutonomyFacts are the data every autonomy event carries. The field
// names match the export's columns (employee is the person).
type AutonomyFacts struct {
	Person   string       `json:"employee"`
	Activity string       `json:"activity"`
	Amount   money.Amount `json:"amount"` // the limit proposed, raised to, or reset from
	Currency string       `json:"currency"`
	TeamName string       `json:"team_name,omitempty"`
	Proposal string       `json:"proposal,omitempty"`
}

// AutonomyProposedData is the payload of autonomy.proposed.
type AutonomyProposedData struct {
	AutonomyFacts
	Limit     money.Amount `json:"limit"`
	Count     int          `json:"count"`
	First     UnixMilli    `json:"first"`
	Last      UnixMilli    `json:"last"`
	Decisions []string     `json:"decisions"`
	Approvers []string     `json:"users"`
}

// AutonomyRaisedData is the payload of autonomy.raised.
type AutonomyRaisedData struct {
	AutonomyFacts
	From  money.Amount `json:"from"`
	Level string       `json:"level,omitempty"`
}

// AutonomyDeferredData is the payload of autonomy.deferred.
type AutonomyDeferredData struct {
	AutonomyFacts
}

// AutonomyResetData is the payload of autonomy.reset.
type AutonomyResetData struct {
	AutonomyFacts
	// To is the limit the person is back to (the policy's).
	To money.Amount `json:"to"`
}

// EventType implements Payload.
func (AutonomyProposedData) EventType() EventType { return EventAutonomyProposed }

// EventType implements Payload.
func (AutonomyRaisedData) EventType() EventType { return EventAutonomyRaised }

// EventType implements Payload.
func (AutonomyDeferredData) EventType() EventType { return EventAutonomyDeferred }

// EventType implements Payload.
func (AutonomyResetData) EventType() EventType { return EventAutonomyReset }

// ProposalAnsweredError refuses an answer to a proposal another answer
// came first to. Current is the proposal as it is now.
type ProposalAnsweredError struct {
	Current *Proposal
}

func (e *ProposalAnsweredError) Error() string { return "proposal answered meanwhile" }

// OwnLimitChangedError refuses to store a decision routed with a limit of
// its requester's own that is not theirs any more (a raise or a reset came
// first). Limit is the one kept now, nil for none: route it again with it.
type OwnLimitChangedError struct {
	Limit *PersonalLimit
	// Raw is the limit as the store keeps it, to name it when storing the
	// decision again.
	Raw string
}

func (e *OwnLimitChangedError) Error() string { return "own limit changed meanwhile" }
