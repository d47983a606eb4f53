package handlers

import "github.com/empowerbot/empowerbot/domain"

// SorryText is what a person sees when something failed on our side
// (domain.Internal) or Redis could not answer (domain.Unavailable).
const SorryText = ":warning: Sorry, something went wrong on our side and nothing was recorded. Please try again in a moment."

// UserMessage is the one place where a handler error becomes words: the
// Message of a domain refusal (domain.Invalid, NotFound, Conflict,
// Forbidden) or of any domain error that carries one, and SorryText for
// domain.Internal and for errors without a message (a store error,
// Redis unavailable). refusal reports whether the person can act on it.
func UserMessage(err error) (text string, refusal bool) {
	if domain.ErrorCode(err) == domain.Internal {
		return SorryText, false
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
