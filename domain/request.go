package domain

import (
	"context"
	"crypto/sha256"
)

// requestKeyCtx is the context key of RequestKey.
type requestKeyCtx struct{}

// WithRequestKey returns ctx carrying key, the identity of the request a
// person made (a slash command's trigger_id), the same across Slack's
// redeliveries of that request. State changes that create something use it
// to create it once however often the request is handled.
func WithRequestKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, requestKeyCtx{}, key)
}

// RequestKey returns the key set by WithRequestKey, or "".
func RequestKey(ctx context.Context) string {
	k, _ := ctx.Value(requestKeyCtx{}).(string)
	return k
}

// finishingCtx is the context key of Finishing.
type finishingCtx struct{}

// WithFinishing returns ctx marking what is done under it as the finishing
// of an earlier handling of the same request (a redelivery after a crash),
// whose state change was saved but whose messages may or may not have gone
// out: a message posted under ctx is looked for first and posted only when
// it is not there (slackapi.Poster.PostAgain).
func WithFinishing(ctx context.Context) context.Context {
	return context.WithValue(ctx, finishingCtx{}, true)
}

// Finishing reports whether ctx was marked by WithFinishing.
func Finishing(ctx context.Context) bool {
	f, _ := ctx.Value(finishingCtx{}).(bool)
	return f
}

// DecisionIDFor returns the decision ID derived from the request key of
// workspace team: a redelivered request gets the ID the first handling
// used, so the decision is stored once.
func DecisionIDFor(team, requestKey string) string { return idFor("D-", team, requestKey) }

// CommitmentIDFor is DecisionIDFor for commitments (and asks): the ID a
// command's commitment gets, the same every time the same request is
// handled.
func CommitmentIDFor(team, requestKey string) string { return idFor("C-", team, requestKey) }

// idFor derives an ID of prefix from team and a request key.
func idFor(prefix, team, requestKey string) string {
	sum := sha256.Sum256([]byte(team + "\x00" + requestKey))
	out := []byte(prefix)
	for _, c := range sum[:6] {
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}
