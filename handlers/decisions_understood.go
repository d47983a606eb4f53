package handlers

import (
	"strings"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// maxUnderstoodReason is how much of the reason the confirmation repeats.
const maxUnderstoodReason = 300

// understoodText says what was read as d's customer and reason, so a person
// who typed `for Umbrella Corp billing error` sees the customer was cut to
// one word: "Customer: *Umbrella Corp* · Reason: billing error". It is ""
// when neither was given.
func understoodText(d *domain.Decision) string {
	customer, reason := "none given", "none given"
	if c := customerText(d); c != "" {
		customer = "*" + c + "*"
	}
	if d.Reason != "" {
		reason = slacktext.EscapeTruncate(d.Reason, maxUnderstoodReason)
	}
	if d.Customer == "" && d.Reason == "" {
		return ""
	}
	return "Customer: " + customer + " · Reason: " + reason
}

// withUnderstood adds understoodText(d) to a confirmation, on its own line.
func withUnderstood(text string, d *domain.Decision) string {
	if u := understoodText(d); u != "" {
		return text + "\n" + u
	}
	return text
}

// whyParts splits why a decision left the box (domain.Decision.Why, which
// box.Decide words for the requester: "$900 is above your $500 box; tagged
// #safety") into what the amount says ("$900 is above your $500 box") and
// the always-escalate tags ("#safety"), escaped.
func whyParts(why string) (amount string, tags []string) {
	for part := range strings.SplitSeq(why, "; ") {
		if t, ok := strings.CutPrefix(part, "tagged "); ok {
			tags = append(tags, slacktext.Escape(t))
			continue
		}
		if i := strings.Index(part, ", so it goes to the top"); i >= 0 {
			part = part[:i] + ", the most any leader approves" // "$20,000 is above every limit"
		}
		if part != "" {
			amount = slacktext.Escape(part)
		}
	}
	return amount, tags
}

// flaggedText is "flagged #safety, which always comes to a leader".
func flaggedText(tags []string) string {
	return "flagged " + strings.Join(tags, " and ") + ", which always comes to a leader"
}

// whyForRequester says to the requester why their decision left the box,
// to be followed by ", so I've asked …": "$900 is above your $500 box", or,
// for a tag that always escalates, thanks for raising it ("Thank you for
// flagging #safety: that always comes to a leader").
func whyForRequester(why string) string {
	amount, tags := whyParts(why)
	switch {
	case len(tags) == 0 && amount == "":
		return "It's above your box"
	case len(tags) == 0:
		return upperFirst(ofYourBox(amount))
	case amount == "":
		return "Thank you for flagging " + strings.Join(tags, " and ") + ": that always comes to a leader"
	}
	return upperFirst(ofYourBox(amount)) + " and flagged " + strings.Join(tags, " and ") + " (thank you for raising it)"
}

// ofYourBox words "$900 is above your $500 box" as the requester reads it:
// "$900 is above your box of $500".
func ofYourBox(amount string) string {
	before, limit, ok := strings.Cut(amount, " is above your ")
	if !ok || !strings.HasSuffix(limit, " box") {
		return amount
	}
	return before + " is above your box of " + strings.TrimSuffix(limit, " box")
}

// whyForLeaders says, on the card the leaders read, why a decision is
// there: "$900 is above their $500 box", "flagged #safety, which always
// comes to a leader".
func whyForLeaders(why string) string {
	amount, tags := whyParts(why)
	amount = strings.ReplaceAll(amount, " is above your ", " is above their ")
	switch {
	case len(tags) == 0:
		return amount
	case amount == "":
		return flaggedText(tags)
	}
	return amount + "; " + flaggedText(tags)
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
