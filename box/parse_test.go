package box_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

func TestParseDecision(t *testing.T) {
	tests := []struct {
		text string
		want box.Request
	}{
		{"discount 250", box.Request{Activity: "discount", Amount: usd(250)}},
		{"discount $250", box.Request{Activity: "discount", Amount: usd(250)}},
		{"discount $ 250", box.Request{Activity: "discount", Amount: usd(250)}},
		{"discount 1,250.50", box.Request{Activity: "discount", Amount: usd(1250) + 50}},
		{"discount 250 USD", box.Request{Activity: "discount", Amount: usd(250)}},
		{"discount 250 usd for ACME", box.Request{Activity: "discount", Amount: usd(250), Customer: "ACME"}},
		{"discount 0.01", box.Request{Activity: "discount", Amount: 1}},
		{"discount .5", box.Request{Activity: "discount", Amount: 50}},
		{"discount 999,999,999.99", box.Request{Activity: "discount", Amount: money.Max - 1}},
		{"Discount 250", box.Request{Activity: "discount", Amount: usd(250)}},
		{"  discount   250  ", box.Request{Activity: "discount", Amount: usd(250)}},
		{
			"discount $250 for ACME travel charge waived #customer-first",
			box.Request{Activity: "discount", Amount: usd(250), Customer: "ACME", Reason: "travel charge waived", Tags: []string{"customer-first"}},
		},
		{
			`discount 900 for "Acme Corp" they were double billed #Safety #courage`,
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Acme Corp", Reason: "they were double billed", Tags: []string{"safety", "courage"}},
		},
		{
			"discount 900 for “Acme Corp” double billed",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Acme Corp", Reason: "double billed"},
		},
		{
			`discount 900 for "Acme Corp"double billed`,
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Acme Corp", Reason: "double billed"},
		},
		{
			"discount 10 #safety wet floor at the #courage site #safety.",
			box.Request{Activity: "discount", Amount: usd(10), Reason: "wet floor at the site", Tags: []string{"safety", "courage"}},
		},
		{
			"discount 10 order #1234 refunded, see <#C123|billing>",
			box.Request{Activity: "discount", Amount: usd(10), Reason: "order #1234 refunded, see <#C123|billing>"},
		},
		{
			"discount 10 for <@U123|bob> <!channel> look  <!subteam^S1|@team leads> here",
			box.Request{Activity: "discount", Amount: usd(10), Customer: "<@U123|bob>", Reason: "<!channel> look  <!subteam^S1|@team leads> here"},
		},
		{
			"discount 900 for Umbrella Corp, billing error #courage",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Umbrella Corp", Reason: "billing error", Tags: []string{"courage"}},
		},
		{
			"discount 900 for ACME, billed twice",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "ACME", Reason: "billed twice"},
		},
		{
			"discount 900 for Umbrella Corp,billing error",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Umbrella Corp", Reason: "billing error"},
		},
		{
			"discount 900 for Umbrella Corp,",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "Umbrella Corp"},
		},
		{
			// A comma after a tag is the reason's: the customer is one word.
			"discount 900 for ACME billed #courage twice, sorry",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "ACME", Reason: "billed twice, sorry", Tags: []string{"courage"}},
		},
		{
			// A comma on a later line is the reason's too.
			"discount 900 for ACME billed\ntwice, sorry",
			box.Request{Activity: "discount", Amount: usd(900), Customer: "ACME", Reason: "billed\ntwice, sorry"},
		},
		{
			"discount 10 line one\nline two",
			box.Request{Activity: "discount", Amount: usd(10), Reason: "line one\nline two"},
		},
		{
			"discount 10 they asked for a waiver",
			box.Request{Activity: "discount", Amount: usd(10), Reason: "they asked for a waiver"},
		},
		{
			"travel-waiver 250 for ACME " + strings.Repeat("é", 2000-len("ok ")) + " ok",
			box.Request{Activity: "travel-waiver", Amount: usd(250), Customer: "ACME", Reason: strings.Repeat("é", 1997) + " ok"},
		},
		{
			"discount 10 for " + strings.Repeat("x", 200),
			box.Request{Activity: "discount", Amount: usd(10), Customer: strings.Repeat("x", 200)},
		},
	}
	p := productPolicy()
	for _, tt := range tests {
		t.Run(tt.text[:min(len(tt.text), 40)], func(t *testing.T) {
			got, err := box.ParseDecision(p, tt.text)
			if err != nil {
				t.Fatalf("ParseDecision(%q) error = %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDecision(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParseDecisionErrors(t *testing.T) {
	tests := []struct {
		text      string
		wantField string
		wantMsg   string // the whole message, or a part of it after "~"
	}{
		{"", box.FieldActivity, "~Tell me what you decided"},
		{"discont 250", box.FieldActivity, `I don't know the activity "discont": did you mean discount?`},
		{"travel 250", box.FieldActivity, `I don't know the activity "travel": did you mean travel-waiver?`},
		{"pizza 250", box.FieldActivity, `I don't know the activity "pizza": the activities are discount, travel-waiver.`},
		{"discount", box.FieldAmount, "Add the amount after the activity, like `discount 250`."},
		{"discount for ACME", box.FieldAmount, "~Add the amount"},
		{"discount #safety", box.FieldAmount, "~Add the amount"},
		{"discount 0", box.FieldAmount, "The amount must be more than zero."},
		{"discount 0.00", box.FieldAmount, "The amount must be more than zero."},
		{"discount -250", box.FieldAmount, `The amount can't be negative ("-250"): write what it was worth, like 250.`},
		{"discount $-5", box.FieldAmount, "~can't be negative"},
		{"discount 10.505", box.FieldAmount, `The amount can have at most 2 decimals ("10.505"): write it like 12.50.`},
		{"discount abc", box.FieldAmount, `"abc" isn't an amount: write a number like 250, $250 or 1,250.50 (amounts are in USD).`},
		{"discount 12abc", box.FieldAmount, `~"12abc" isn't an amount`},
		{"discount 0x10", box.FieldAmount, `~"0x10" isn't an amount`},
		{"discount NaN", box.FieldAmount, `"NaN" isn't an amount: write a number like 250 or 1,250.50.`},
		{"discount Inf", box.FieldAmount, `~"Inf" isn't an amount`},
		{"discount -Infinity", box.FieldAmount, `~"-Infinity" isn't an amount`},
		{"discount 1e3", box.FieldAmount, `Write the amount in full ("1e3"): like 1000, not 1e3.`},
		{"discount 2.5E-2", box.FieldAmount, "~Write the amount in full"},
		{"discount 1000000000", box.FieldAmount, `The amount must be below 1,000,000,000 ("1000000000").`},
		{"discount 1,000,000,000.00", box.FieldAmount, "~must be below 1,000,000,000"},
		{"discount 250 EUR for ACME", box.FieldAmount, "Amounts for discount are in USD, not EUR: convert it and write the amount alone, like `discount 250`."},
		{"discount $250 gbp", box.FieldAmount, "~are in USD, not GBP"},
		{"discount 1,25", box.FieldAmount, `The thousands separators in "1,25" are misplaced: write 1,250.50 or 1250.50.`},
		{"discount 250 for", box.FieldCustomer, "~Who is the customer?"},
		{`discount 250 for "Acme Corp`, box.FieldCustomer, "~closing quote is missing"},
		{`discount 250 for "" reason`, box.FieldCustomer, "The customer after `for` is empty."},
		{"discount 250 for , reason", box.FieldCustomer, "The customer after `for` is empty."},
		{"discount 250 for", box.FieldCustomer, "~`for \"Umbrella Corp\"`"},
		{"discount $ for ACME", box.FieldAmount, "The amount after `$` is missing: write it like `discount $250`."},
		{"discount $", box.FieldAmount, "~The amount after `$` is missing"},
		{"discount $ #safety", box.FieldAmount, "~The amount after `$` is missing"},
		{"discount 250 for " + strings.Repeat("x", 201), box.FieldCustomer, "The customer name is too long: 201 characters; keep it to 200."},
		{"discount 250 #saftey", box.FieldTags, "I don't know the tag #saftey: did you mean #safety? The tags are #customer-first, #ownership, #courage, #legal, #safety."},
		{"discount 250 #pizza", box.FieldTags, "I don't know the tag #pizza: the tags are #customer-first, #ownership, #courage, #legal, #safety."},
		{"discount 250 " + strings.Repeat("ü", 2001), box.FieldReason, "The reason is too long: 2,001 characters; keep it to 2,000."},
	}
	p := productPolicy()
	for _, tt := range tests {
		t.Run(tt.text[:min(len(tt.text), 40)], func(t *testing.T) {
			got, err := box.ParseDecision(p, tt.text)
			var ie *box.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseDecision(%q) = %+v, %v; want an *InputError", tt.text, got, err)
			}
			if ie.Field != tt.wantField {
				t.Errorf("Field = %q; want %q (message %q)", ie.Field, tt.wantField, ie.Message)
			}
			if part, ok := strings.CutPrefix(tt.wantMsg, "~"); ok {
				if !strings.Contains(ie.Message, part) {
					t.Errorf("Message = %q; want it to contain %q", ie.Message, part)
				}
			} else if ie.Message != tt.wantMsg {
				t.Errorf("Message = %q; want %q", ie.Message, tt.wantMsg)
			}
		})
	}
}

// TestParseDecisionOtherCurrency: a currency code other than the
// activity's right after the amount is an error (logging "250 EUR" as $250
// would store what the person did not mean); later in the text it is
// reason.
func TestParseDecisionOtherCurrency(t *testing.T) {
	_, err := box.ParseDecision(productPolicy(), "discount 250 EUR")
	var ie *box.InputError
	if !errors.As(err, &ie) || ie.Field != box.FieldAmount || !strings.Contains(ie.Message, "are in USD, not EUR") {
		t.Fatalf("ParseDecision error = %v; want the amounts-are-in-USD error", err)
	}
	got, err := box.ParseDecision(productPolicy(), "discount 250 for ACME paid in EUR")
	if err != nil {
		t.Fatalf("ParseDecision error = %v", err)
	}
	want := box.Request{Activity: "discount", Amount: usd(250), Customer: "ACME", Reason: "paid in EUR"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestParseDecisionActivityCurrency: an activity's amounts are in its own
// unit (Policy.CurrencyOf); the policy's currency after the amount is then a
// currency other than the activity's.
func TestParseDecisionActivityCurrency(t *testing.T) {
	p := productPolicy()
	p.Activities = append(p.Activities, domain.Activity{Name: "refund", Unit: "EUR", FrontlineLimit: usd(100)})
	got, err := box.ParseDecision(p, "refund 50 eur")
	if err != nil {
		t.Fatalf("ParseDecision error = %v", err)
	}
	if want := (box.Request{Activity: "refund", Amount: usd(50)}); !cmp.Equal(want, got) {
		t.Errorf("ParseDecision = %+v, want %+v", got, want)
	}
	_, err = box.ParseDecision(p, "refund 50 USD")
	var ie *box.InputError
	if !errors.As(err, &ie) || ie.Field != box.FieldAmount || !strings.Contains(ie.Message, "are in EUR, not USD") {
		t.Fatalf("ParseDecision error = %v; want the amounts-are-in-EUR error", err)
	}
}

func TestParseDecisionNoTagsAllowed(t *testing.T) {
	p := productPolicy()
	p.Values, p.AlwaysEscalate = nil, nil
	_, err := box.ParseDecision(p, "discount 10 #courage")
	var ie *box.InputError
	if !errors.As(err, &ie) || ie.Message != "I don't know the tag #courage: no values or tags are set up yet." {
		t.Errorf("ParseDecision error = %v; want the no-tags message", err)
	}
}

func TestCheckTags(t *testing.T) {
	p := productPolicy()
	got, err := box.CheckTags(p, []string{"#Courage", "courage", " safety ", ""})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"courage", "safety"}; !cmp.Equal(got, want) {
		t.Errorf("CheckTags = %q; want %q", got, want)
	}
}

func FuzzParseDecision(f *testing.F) {
	for _, s := range []string{
		"discount $250 for ACME travel charge waived #customer-first",
		`discount 900 for "Acme Corp" double billed #safety`,
		"discount 900 for “Acme Corp” x",
		"discount 1,250.50 USD <!channel> <@U1|a b> <#C1|c>",
		"discount 1e3", "discount NaN", "travel-waiver -1", `discount 1 for "`, "discount 1 for “",
		"discount 1 #", "discount 1 #1 #a-b_c.", "disc\xff 1", "discount \xff",
	} {
		f.Add(s)
	}
	p := productPolicy()
	f.Fuzz(func(t *testing.T, text string) {
		req, err := box.ParseDecision(p, text)
		if err != nil {
			var ie *box.InputError
			if !errors.As(err, &ie) || ie.Message == "" || ie.Field == "" {
				t.Fatalf("ParseDecision(%q) error = %#v; want an *InputError with a field and a message", text, err)
			}
			return
		}
		if req.Amount <= 0 || req.Amount >= money.Max {
			t.Fatalf("ParseDecision(%q) accepted amount %d", text, req.Amount)
		}
		if back, err := money.Parse(req.Amount.String(), ""); err != nil || back != req.Amount {
			t.Fatalf("amount %d prints as %q, which parses back to %d, %v", req.Amount, req.Amount.String(), back, err)
		}
		if _, ok := p.Activity(req.Activity); !ok {
			t.Fatalf("ParseDecision(%q) accepted unknown activity %q", text, req.Activity)
		}
		if len([]rune(req.Reason)) > box.MaxReason || len([]rune(req.Customer)) > box.MaxCustomer {
			t.Fatalf("ParseDecision(%q) accepted over-long text", text)
		}
		if _, err := box.Decide(p, req.Activity, req.Amount, req.Tags); err != nil {
			t.Fatalf("Decide of a parsed request %+v: %v", req, err)
		}
	})
}
