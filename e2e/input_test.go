package e2e

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
)

// TestDecisionCustomerOfSeveralWords: a customer of several words is read
// up to a comma or inside quotes, and the confirmation (inside and above the
// box) says what was understood as customer and reason; the card leaders
// read says the amount is above *their* box.
func TestDecisionCustomerOfSeveralWords(t *testing.T) {
	e := startDecisions(t, apptest.Options{})
	tests := []struct {
		text, customer, reason string
		wantReply              []string
	}{
		{"discount 900 for Umbrella Corp, billing error #courage", "Umbrella Corp", "billing error",
			[]string{"above your box", "Customer: *Umbrella Corp* · Reason: billing error"}},
		{`discount 250 for "Umbrella Corp" billing error`, "Umbrella Corp", "billing error",
			[]string{"yours to make", "Customer: *Umbrella Corp* · Reason: billing error"}},
		// Without quotes or a comma the customer is one word, and the
		// confirmation shows how it was read.
		{"discount 250 for Umbrella Corp billing error", "Umbrella", "Corp billing error",
			[]string{"yours to make", "Customer: *Umbrella* · Reason: Corp billing error"}},
		{"discount 250 double billed", "", "double billed",
			[]string{"Customer: none given · Reason: double billed"}},
	}
	for _, tt := range tests {
		res, id := e.decide(apptest.Dave, tt.text)
		if id == "" {
			t.Fatalf("%q: reply names no decision: %q", tt.text, res.AllText())
		}
		for _, want := range tt.wantReply {
			if !strings.Contains(res.AllText(), want) {
				t.Errorf("%q: reply lacks %q: %q", tt.text, want, res.AllText())
			}
		}
		if d := e.decision(id); d.Customer != tt.customer || d.Reason != tt.reason {
			t.Errorf("%q: stored customer %q reason %q; want %q, %q", tt.text, d.Customer, d.Reason, tt.customer, tt.reason)
		}
		if strings.HasPrefix(tt.text, "discount 900") {
			card := e.escalation(id, "Umbrella Corp")
			if txt := card.AllText(); !strings.Contains(txt, "$900 is above their $500 box") || strings.Contains(txt, "your") {
				t.Errorf("card: want \"$900 is above their $500 box\" and no \"your\": %q", txt)
			}
		}
	}
	// The help and the error for a missing customer show the quotes.
	if txt := e.Command(apptest.Dave, "help").AllText(); !strings.Contains(txt, `for "Umbrella Corp"`) || !strings.Contains(txt, "for Umbrella Corp, billing error") {
		t.Errorf("help lacks the quoted and comma forms: %q", txt)
	}
	if txt := e.Command(apptest.Dave, "discount 250 for").AllText(); !strings.Contains(txt, `for "Umbrella Corp"`) || !strings.Contains(txt, "Usage:") {
		t.Errorf("missing customer: want the quoted form and the usage line: %q", txt)
	}
}
