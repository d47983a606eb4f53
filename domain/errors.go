package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error by what the person, or the caller, can do about
// it. The adapters map codes to their own words: the Slack handlers show the
// Message of a refusal, a generic apology for Internal and Unavailable, and
// their own words for Unconfirmed and MaybeApplied.
type Code string

// The error codes. Every error that is not an *Error is Internal.
const (
	// Internal is a failure on our side that the person cannot fix.
	Internal Code = "internal"
	// Invalid is bad input: the person may correct it and try again.
	Invalid Code = "invalid"
	// NotFound is a reference to something that does not exist (any more).
	NotFound Code = "not_found"
	// Conflict is a change that lost a race or no longer applies: someone
	// else was first, or the thing is already in that state.
	Conflict Code = "conflict"
	// Forbidden is a request the person is not allowed to make.
	Forbidden Code = "forbidden"
	// Unavailable is a dependency that cannot answer right now (Redis is
	// down or failing over): nothing was recorded, trying again later may
	// work.
	Unavailable Code = "unavailable"
	// Unconfirmed is a change that was written but whose copies could not
	// be confirmed in time (REDIS_WAIT_REPLICAS): it is most likely kept,
	// but a failover right now could lose it. It must never be reported as
	// "nothing was recorded".
	Unconfirmed Code = "unconfirmed"
	// MaybeApplied is a change that was sent but whose answer never came
	// (the reply timed out, the connection dropped after the command was
	// written): it may have been made or not. It must never be reported as
	// "nothing was recorded": doing it again at once could do it twice.
	MaybeApplied Code = "maybe_applied"
)

// ErrExists is a store's answer when a new record's ID is taken already
// (the caller draws another ID).
var ErrExists = errors.New("record already exists")

// Error is an error with a Code and a Message meant for the person. Message
// is a human sentence (capitalised, punctuated), shown as is; Err is an
// optional cause, kept for errors.Is/As and the logs, never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// Error returns the message, followed by the cause when there is one; an
// Error without a message reads as its cause (Wrap), so that classifying
// an error does not change its text in the logs.
func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	default:
		return e.Message + ": " + e.Err.Error()
	}
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and the message fmt.Sprintf(format, args...).
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and no message for the person, whose
// cause is err; nil when err is nil.
func Wrap(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Invalidf returns an Invalid error with a formatted message.
func Invalidf(format string, args ...any) error {
	return &Error{Code: Invalid, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFound error with a formatted message.
func NotFoundf(format string, args ...any) error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns a Conflict error with a formatted message.
func Conflictf(format string, args ...any) error {
	return &Error{Code: Conflict, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf returns a Forbidden error with a formatted message.
func Forbiddenf(format string, args ...any) error {
	return &Error{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// Unavailablef returns an Unavailable error with a formatted message.
func Unavailablef(format string, args ...any) error {
	return &Error{Code: Unavailable, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain: "" for nil,
// Internal when there is none.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the message for the person of the first *Error in
// err's chain, or "" when there is none (the caller then uses its own
// generic words).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// IsRefusal reports whether err is a refusal the person can act on (Invalid,
// NotFound, Conflict or Forbidden), as opposed to a failure on our side
// (Internal, Unavailable, Unconfirmed, MaybeApplied).
func IsRefusal(err error) bool {
	switch ErrorCode(err) {
	case Invalid, NotFound, Conflict, Forbidden:
		return true
	}
	return false
}
