// Package slacktext makes user text safe to show in Slack: it escapes Slack's
// control characters so that typed markup (<!channel>, <@U…>, <!subteam^S…>)
// is shown, never live, breaks the plain words @channel/@here/@everyone, and
// cuts text to Block Kit's limits with an ellipsis. It also writes the few
// live references the bot itself makes (mentions of policy IDs).
package slacktext

import (
	"strings"
	"unicode/utf8"
)

// Block Kit limits used when cutting text.
const (
	SectionTextMax = 3000
	FieldTextMax   = 2000
	HeaderTextMax  = 150
	ButtonTextMax  = 75
	OptionTextMax  = 75
	ContextTextMax = 2000
	ModalTitleMax  = 24
)

var escaper = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"@channel", "@\u200bchannel",
	"@here", "@\u200bhere",
	"@everyone", "@\u200beveryone",
)

// Escape escapes &, < and > as Slack requires and breaks bare broadcast words,
// so user text can never ping anyone or change the layout.
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>@") {
		return s // nothing to escape (most text): no copy
	}
	return escaper.Replace(s)
}

// Truncate cuts s to at most max runes, ending with "…" when it was cut.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}

// EscapeTruncate cuts s so that its escaped form fits in max characters,
// then escapes it. Use it for user text going into mrkdwn.
func EscapeTruncate(s string, max int) string {
	e := Escape(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	// Cut the raw text until the escaped form fits; entities are never split.
	runes := []rune(s)
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if utf8.RuneCountInString(Escape(string(runes[:mid])))+1 <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Escape(string(runes[:lo])) + "…"
}

// User returns a live mention of a Slack user ID. Only IDs the bot itself
// checked may be passed here, never raw user text.
func User(id string) string { return "<@" + id + ">" }

// Mentions mentions the user (U…, W…) and user group (S…) IDs of the
// policy, separated by spaces: users as <@U…>, user groups as
// <!subteam^S…>; "no one named yet" when there are none. Only IDs
// from the policy may be passed here.
func Mentions(ids []string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			out = append(out, "<!subteam^"+id+">")
		} else {
			out = append(out, User(id))
		}
	}
	if len(out) == 0 {
		return "no one named yet"
	}
	return strings.Join(out, " ")
}

// Code makes user text safe inside a `code` span: Slack control characters
// are escaped and backticks dropped, and it is cut to 60 runes.
func Code(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	return Escape(Truncate(s, 60))
}
