package slackapi

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/slack-go/slack"
)

// Class says what to do about a failed Slack Web API call. Classify is the
// one place that decides it; callers never compare Slack's error codes
// themselves (Code and UserNotFound are for the few places that need one
// particular answer).
type Class int

// The classes of a Slack error.
const (
	// None is the class of a nil error.
	None Class = iota
	// Retryable may pass: a rate limit, a 5xx, a timeout, a network error,
	// a transient refusal such as internal_error, or an error that is not
	// Slack's answer at all. Retry later (with back-off; after Retry-After
	// for a rate limit); never record it as final.
	Retryable
	// Permanent will never succeed for this target or this message: the
	// person or channel is gone, unreachable or refuses the bot, or the
	// request itself is wrong. Do not retry; record it (with Code).
	Permanent
	// Auth means the bot's token no longer works (revoked, invalid, its
	// workspace or user deleted): nothing will succeed until someone fixes
	// the installation. Stop and alert; do not record it against a target.
	Auth
)

// String names the class for logs.
func (c Class) String() string {
	switch c {
	case None:
		return "none"
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	case Auth:
		return "auth"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// codeClasses are the {"ok":false,"error":code} answers we know. An answer
// not listed is Permanent: Slack answered, and the same request gets the
// same answer (its transient answers are listed as Retryable).
var codeClasses = map[string]Class{
	// The token: revoked, uninstalled, wrong or for a deleted user or
	// workspace. account_inactive is about the token's own account (Slack:
	// "Authentication token is for a deleted user or workspace"), not the
	// person a message is for.
	"invalid_auth":     Auth,
	"not_authed":       Auth,
	"token_revoked":    Auth,
	"token_expired":    Auth,
	"account_inactive": Auth,

	// Slack's transient answers: rate limits sent as an ok:false body, its
	// own failures, timeouts and an enterprise migration in progress.
	"ratelimited":         Retryable,
	"rate_limited":        Retryable,
	"internal_error":      Retryable,
	"fatal_error":         Retryable,
	"service_unavailable": Retryable,
	"request_timeout":     Retryable,
	"team_added_to_org":   Retryable,
	"org_login_required":  Retryable,

	// The target: the person or channel does not exist, is deactivated,
	// archived, a bot, does not take DMs, or the bot is not in it.
	"user_not_found":        Permanent,
	"users_not_found":       Permanent,
	"user_disabled":         Permanent,
	"user_is_bot":           Permanent,
	"cannot_dm_bot":         Permanent,
	"cannot_dm_user":        Permanent,
	"messages_tab_disabled": Permanent,
	"channel_not_found":     Permanent,
	"is_archived":           Permanent,
	"not_in_channel":        Permanent,
	"restricted_action":     Permanent,
	"no_such_subteam":       Permanent,
	// The request: a message or call Slack will always refuse.
	"invalid_blocks":    Permanent,
	"msg_too_long":      Permanent,
	"no_text":           Permanent,
	"invalid_arguments": Permanent,
	// What the token may do: a missing scope or the wrong kind of token
	// fails this call every time (the token itself still works).
	"missing_scope":          Permanent,
	"not_allowed_token_type": Permanent,
}

// Classify says what to do about err, an error of a slack-go Web API or
// Socket Mode call (wrapped or not).
func Classify(err error) Class {
	if err == nil {
		return None
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return Retryable
	}
	if code := Code(err); code != "" {
		if c, ok := codeClasses[code]; ok {
			return c
		}
		return Permanent
	}
	if sc, ok := statusCodeError(err); ok {
		if sc.Retryable() { // 429 without Retry-After, 5xx
			return Retryable
		}
		return Permanent
	}
	// Not Slack's answer: the network, a timeout, a body that did not
	// decode. It may pass.
	return Retryable
}

// Code returns Slack's error code of an {"ok":false} answer in err's chain,
// such as "user_not_found", or "" when there is none.
func Code(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var pse *slack.SlackErrorResponse
	if errors.As(err, &pse) && pse != nil {
		return pse.Err
	}
	return ""
}

// UserNotFound reports whether Slack answered that the user of the call
// does not exist in the workspace (user_not_found, users_not_found), as
// opposed to any other failure of a users.* lookup.
func UserNotFound(err error) bool {
	switch Code(err) {
	case "user_not_found", "users_not_found":
		return true
	}
	return false
}

// RetryAfter returns how long Slack asked to wait before the next call
// (HTTP 429 with Retry-After), if it did.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// statusCodeError finds slack-go's HTTP status error (a value type; a
// pointer is accepted too).
func statusCodeError(err error) (slack.StatusCodeError, bool) {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc, true
	}
	var psc *slack.StatusCodeError
	if errors.As(err, &psc) && psc != nil {
		return *psc, true
	}
	return slack.StatusCodeError{}, false
}

// Down reports whether err, or any error it wraps or joins, says Slack could
// not answer for now: a 5xx, a rate limit, one of Slack's transient answers
// (internal_error, service_unavailable…) or a network error or timeout of a
// call. Unlike Classify, an error that is not about a call is not Down, so
// a scheduled run that failed for another reason is not retried.
func Down(err error) bool {
	if err == nil {
		return false
	}
	var rl *slack.RateLimitedError
	var ne net.Error
	switch {
	case errors.As(err, &rl), errors.As(err, &ne):
		return true
	}
	if sc, ok := statusCodeError(err); ok && sc.Code >= 500 {
		return true
	}
	if code := Code(err); code != "" && codeClasses[code] == Retryable {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if Down(e) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		return Down(u.Unwrap())
	}
	return false
}
