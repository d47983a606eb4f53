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

// whyForLeaders is why a decision left the box (domain.Decision.Why, which
// box.Decide words for the requester: "$900 is above your $500 box") as the
// leaders reading its card see it: "$900 is above their $500 box".
func whyForLeaders(why string) string {
	return strings.ReplaceAll(why, " is above your ", " is above their ")
}
