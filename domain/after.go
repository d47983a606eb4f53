package domain

import (
	"context"
	"sync"
)

// afterReplyCtx is the context key of the work left for after the reply.
type afterReplyCtx struct{}

// AfterReply is the work a handler leaves for after its answer has gone
// back to Slack (a card to post, a confirmation to show elsewhere), so that
// the acknowledgement waits for no Web API call. The runtime that sends the
// answer makes one with WithAfterReply and runs it once the answer is sent.
type AfterReply struct {
	mu  sync.Mutex // guards fns
	fns []func(context.Context)
}

// WithAfterReply returns ctx carrying a new, empty AfterReply.
func WithAfterReply(ctx context.Context) (context.Context, *AfterReply) {
	a := &AfterReply{}
	return context.WithValue(ctx, afterReplyCtx{}, a), a
}

// Later runs f after the reply when ctx carries an AfterReply (see
// WithAfterReply), and now otherwise (a job, a test calling a service).
func Later(ctx context.Context, f func(context.Context)) {
	if a, _ := ctx.Value(afterReplyCtx{}).(*AfterReply); a != nil {
		a.mu.Lock()
		a.fns = append(a.fns, f)
		a.mu.Unlock()
		return
	}
	f(ctx)
}

// Empty reports whether no work is left (safe to call on nil).
func (a *AfterReply) Empty() bool {
	if a == nil {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.fns) == 0
}

// Run runs, in order, the work left so far, each with ctx; work left while
// it runs runs too. Safe to call on nil.
func (a *AfterReply) Run(ctx context.Context) {
	if a == nil {
		return
	}
	for {
		a.mu.Lock()
		fns := a.fns
		a.fns = nil
		a.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f(ctx)
		}
	}
}

// clickedCardCtx is the context key of ClickedCard.
type clickedCardCtx struct{}

// WithClickedCard returns ctx carrying the escalation card a button was
// clicked on.
func WithClickedCard(ctx context.Context, m DecisionMessage) context.Context {
	return context.WithValue(ctx, clickedCardCtx{}, m)
}

// ClickedCard returns the card set by WithClickedCard.
func ClickedCard(ctx context.Context) (DecisionMessage, bool) {
	m, ok := ctx.Value(clickedCardCtx{}).(DecisionMessage)
	return m, ok && m.Channel != "" && m.TS != ""
}
