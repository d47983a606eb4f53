package handlers

import "github.com/empowerbot/empowerbot/domain"

// SorryText is what a person sees when something failed on our side
// (domain.Internal) or Redis could not answer (domain.Unavailable).
const SorryText = ":warning: Sorry, something went wrong on our side and nothing was recorded. Please try again in a moment."

// UnconfirmedText is what a person sees when their change was written but
// Redis could not confirm its copies in time (domain.Unconfirmed, with
// REDIS_WAIT_REPLICAS): it most likely stands, so they are not told that
// nothing was recorded, nor to do it again at once (a second /empower log
// would log a second decision).
const UnconfirmedText = ":hourglass_flowing_sand: This is saved, but its backup copy isn't confirmed yet, " +
	"so a failover in the next moments could still lose it. Check your Home tab in a minute; do it again only if it isn't there."

// MaybeAppliedText is what a person sees when their change was sent to
// Redis but no answer came back (domain.MaybeApplied: the reply timed out,
// the connection broke): it may have been saved or not, so they are not
// told that nothing was recorded, nor to try again (a second /empower log
// would log a second decision), but where to look first: the Home tab
// lists their decisions, commitments and the approvals waiting for them.
const MaybeAppliedText = "I can't tell whether this was saved: our database stopped answering halfway. " +
	"Please check your Home tab, where your decisions and commitments are listed, before you do it again."

// UserMessage is the one place where a handler error becomes words: the
// Message of a domain refusal (domain.Invalid, NotFound, Conflict,
// Forbidden) or of any domain error that carries one, and SorryText for
// domain.Internal and for errors without a message (a store error,
// Redis unavailable), UnconfirmedText for domain.Unconfirmed and
// MaybeAppliedText for domain.MaybeApplied. refusal reports whether the
// person can act on it.
func UserMessage(err error) (text string, refusal bool) {
	switch domain.ErrorCode(err) {
	case domain.Internal:
		return SorryText, false
	case domain.Unconfirmed:
		return UnconfirmedText, false
	case domain.MaybeApplied:
		return MaybeAppliedText, false
	}
	if msg := domain.ErrorMessage(err); msg != "" {
		return msg, domain.IsRefusal(err)
	}
	return SorryText, false
}

// ErrorReply turns a handler error into what the person sees (UserMessage).
func ErrorReply(err error) *Reply {
	text, _ := UserMessage(err)
	return Text(text)
}
