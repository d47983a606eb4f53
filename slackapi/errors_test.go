package slackapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/slackapi"
)

func refusal(code string) error { return slack.SlackErrorResponse{Err: code} }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want slackapi.Class
	}{
		{"nil", nil, slackapi.None},

		// The token.
		{"invalid_auth", refusal("invalid_auth"), slackapi.Auth},
		{"not_authed", refusal("not_authed"), slackapi.Auth},
		{"token_revoked", refusal("token_revoked"), slackapi.Auth},
		{"token_expired", refusal("token_expired"), slackapi.Auth},
		{"account_inactive is the token's account", refusal("account_inactive"), slackapi.Auth},
		{"auth wrapped", fmt.Errorf("socket mode: %w", refusal("invalid_auth")), slackapi.Auth},
		{"auth as a pointer", &slack.SlackErrorResponse{Err: "token_revoked"}, slackapi.Auth},

		// May pass.
		{"429 with Retry-After", &slack.RateLimitedError{RetryAfter: 2 * time.Second}, slackapi.Retryable},
		{"429 wrapped", fmt.Errorf("dm: %w", &slack.RateLimitedError{RetryAfter: time.Second}), slackapi.Retryable},
		{"429 without Retry-After", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, slackapi.Retryable},
		{"500", slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, slackapi.Retryable},
		{"503 as a pointer", &slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, slackapi.Retryable},
		{"ratelimited body", refusal("ratelimited"), slackapi.Retryable},
		{"rate_limited body", refusal("rate_limited"), slackapi.Retryable},
		{"internal_error", refusal("internal_error"), slackapi.Retryable},
		{"fatal_error", refusal("fatal_error"), slackapi.Retryable},
		{"service_unavailable", refusal("service_unavailable"), slackapi.Retryable},
		{"request_timeout", refusal("request_timeout"), slackapi.Retryable},
		{"team_added_to_org", refusal("team_added_to_org"), slackapi.Retryable},
		{"org_login_required", refusal("org_login_required"), slackapi.Retryable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, slackapi.Retryable},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), slackapi.Retryable},
		{"truncated body", io.ErrUnexpectedEOF, slackapi.Retryable},
		{"not a Slack error", errors.New("something else"), slackapi.Retryable},

		// Never for this target or this request.
		{"user_not_found", refusal("user_not_found"), slackapi.Permanent},
		{"users_not_found", refusal("users_not_found"), slackapi.Permanent},
		{"user_disabled", refusal("user_disabled"), slackapi.Permanent},
		{"user_is_bot", refusal("user_is_bot"), slackapi.Permanent},
		{"cannot_dm_bot", refusal("cannot_dm_bot"), slackapi.Permanent},
		{"cannot_dm_user", refusal("cannot_dm_user"), slackapi.Permanent},
		{"messages_tab_disabled", refusal("messages_tab_disabled"), slackapi.Permanent},
		{"channel_not_found", refusal("channel_not_found"), slackapi.Permanent},
		{"is_archived", refusal("is_archived"), slackapi.Permanent},
		{"not_in_channel", refusal("not_in_channel"), slackapi.Permanent},
		{"restricted_action", refusal("restricted_action"), slackapi.Permanent},
		{"no_such_subteam", refusal("no_such_subteam"), slackapi.Permanent},
		{"invalid_blocks", refusal("invalid_blocks"), slackapi.Permanent},
		{"msg_too_long", refusal("msg_too_long"), slackapi.Permanent},
		{"no_text", refusal("no_text"), slackapi.Permanent},
		{"invalid_arguments", refusal("invalid_arguments"), slackapi.Permanent},
		{"missing_scope", refusal("missing_scope"), slackapi.Permanent},
		{"not_allowed_token_type", refusal("not_allowed_token_type"), slackapi.Permanent},
		{"an answer we do not list", refusal("view_too_large"), slackapi.Permanent},
		{"permanent wrapped", fmt.Errorf("dm: %w", refusal("user_not_found")), slackapi.Permanent},
		{"404", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, slackapi.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackapi.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestCodeUserNotFoundRetryAfter(t *testing.T) {
	if got := slackapi.Code(fmt.Errorf("dm: %w", refusal("is_archived"))); got != "is_archived" {
		t.Errorf("Code(wrapped is_archived) = %q, want %q", got, "is_archived")
	}
	if got := slackapi.Code(&slack.SlackErrorResponse{Err: "no_text"}); got != "no_text" {
		t.Errorf("Code(*SlackErrorResponse) = %q, want %q", got, "no_text")
	}
	if got := slackapi.Code(slack.StatusCodeError{Code: 500}); got != "" {
		t.Errorf("Code(500) = %q, want \"\"", got)
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{refusal("user_not_found"), true},
		{fmt.Errorf("users.info: %w", refusal("users_not_found")), true},
		{refusal("fatal_error"), false},
		{refusal("missing_scope"), false},
		{nil, false},
	} {
		if got := slackapi.UserNotFound(c.err); got != c.want {
			t.Errorf("UserNotFound(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if d, ok := slackapi.RetryAfter(fmt.Errorf("x: %w", &slack.RateLimitedError{RetryAfter: 3 * time.Second})); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter(rate limit 3s) = %v, %v; want 3s, true", d, ok)
	}
	if _, ok := slackapi.RetryAfter(refusal("ratelimited")); ok {
		t.Error("RetryAfter(ratelimited body) = true, want false (no Retry-After)")
	}
}
