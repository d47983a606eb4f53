package domain

import (
	"context"
	"errors"
	"time"
)

// ClaimOutcome is what became of an EnvelopeClaim.
type ClaimOutcome int

// The outcomes of an EnvelopeClaim.
const (
	// ClaimNotTried: no state change took the claim (a refusal, a read).
	ClaimNotTried ClaimOutcome = iota
	// Claimed: the claim is this handling's; the change was applied.
	Claimed
	// ClaimBusy: another handling holds a live claim; nothing was changed.
	ClaimBusy
	// ClaimDone: the envelope was handled; Reply is its recorded answer.
	ClaimDone
	// ClaimFinished: the change was applied and the envelope recorded
	// handled in the same step, with Reply (what Done gave) as its answer:
	// there is no claim left to finish.
	ClaimFinished
)

// ErrEnvelopeTaken is returned by a state change that found its envelope
// claimed by another handling or handled already (see EnvelopeClaim); it
// changed nothing.
var ErrEnvelopeTaken = errors.New("envelope handled or being handled elsewhere")

// EnvelopeClaim asks the first state change of a request to claim the
// request's Slack envelope in the same atomic step (one Redis round trip
// for both), instead of a claim of its own before the handler runs. The
// store sets Outcome (and Reply) when it tries it.
type EnvelopeClaim struct {
	Team, Kind, ID, Token string
	Lease, TTL            time.Duration
	// Done, when set, gives the answer of the request once a decision d is
	// stored, or nil when its handling goes on after the answer (a card to
	// post): with an answer, the store records the envelope handled with
	// it in the decision's own step (Outcome ClaimFinished), and nothing is
	// left to record after the ack.
	Done func(d *DecisionRecord) []byte

	Outcome ClaimOutcome
	Reply   []byte
}

// envelopeClaimCtx is the context key of an EnvelopeClaim.
type envelopeClaimCtx struct{}

// WithEnvelopeClaim returns ctx carrying c.
func WithEnvelopeClaim(ctx context.Context, c *EnvelopeClaim) context.Context {
	return context.WithValue(ctx, envelopeClaimCtx{}, c)
}

// EnvelopeClaimOf returns the claim ctx carries that no state change has
// tried yet, or nil.
func EnvelopeClaimOf(ctx context.Context) *EnvelopeClaim {
	c, _ := ctx.Value(envelopeClaimCtx{}).(*EnvelopeClaim)
	if c == nil || c.Outcome != ClaimNotTried {
		return nil
	}
	return c
}
