package box

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Limits of the free text of a decision, in characters (runes).
const (
	MaxReason   = 2000
	MaxCustomer = 200
)

// Fields of an InputError: which part of the input was wrong.
const (
	FieldActivity = "activity"
	FieldAmount   = "amount"
	FieldCustomer = "customer"
	FieldReason   = "reason"
	FieldTags     = "tags"
)

// InputError is a problem with what a person typed. Message is a short,
// friendly sentence meant for them (it quotes their input raw: escape it
// before it reaches Slack); Field says which part was wrong.
type InputError struct {
	Field   string
	Message string
}

// Error returns the message for the person.
func (e *InputError) Error() string { return e.Message }

func inputErr(field, format string, args ...any) *InputError {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Request is a decision as a person typed it, checked against the policy.
type Request struct {
	Activity string
	Amount   money.Amount
	Customer string
	Reason   string
	// Tags are lower-case, without "#", without repeats, in typed order.
	Tags []string
}

// ParseDecision reads `<activity> <amount> [for <customer>] [reason…] [#tag…]`.
//
// The amount is `250`, `$250`, `1,250.50` or `250 USD` (the policy's
// currency code as its own word). The customer follows the word "for" right
// after the amount: one word, a phrase in quotes ("Acme Corp" or “Acme
// Corp”), or the words up to a comma (`for Umbrella Corp, billing error`)
// when the comma comes before any #tag. Words after the amount that look like #tag (a letter after the
// "#") are tags, wherever they stand; "#1234" and Slack channel links
// (<#C123|name>) are not. Everything else is the reason. Slack markup in the
// text (<!channel>, <@U…>) is kept as typed: it is escaped when rendered.
//
// Every problem is an *InputError with a message for the person.
func ParseDecision(p *domain.Policy, text string) (Request, error) {
	toks := tokenize(text, 0)
	if len(toks) == 0 {
		return Request{}, inputErr(FieldActivity, "Tell me what you decided: the activity and the amount, like `discount 250 for ACME`.")
	}
	act, err := CheckActivity(p, toks[0].text)
	if err != nil {
		return Request{}, err
	}
	req := Request{Activity: act.Name}
	cur := p.CurrencyOf(act)

	// The amount: one word, "$ 250", and an optional currency word after it.
	rest := toks[1:]
	if len(rest) == 0 || IsTag(rest[0].text) || strings.EqualFold(rest[0].text, "for") {
		return Request{}, inputErr(FieldAmount, "Add the amount after the activity, like `%s 250`.", act.Name)
	}
	amountText := rest[0].text
	rest = rest[1:]
	if amountText == "$" {
		if len(rest) == 0 || IsTag(rest[0].text) || strings.EqualFold(rest[0].text, "for") {
			return Request{}, inputErr(FieldAmount, "The amount after `$` is missing: write it like `%s $250`.", act.Name)
		}
		amountText, rest = "$"+rest[0].text, rest[1:]
	}
	if len(rest) > 0 && strings.EqualFold(rest[0].text, cur) {
		amountText += " " + strings.ToUpper(rest[0].text)
		rest = rest[1:]
	}
	if req.Amount, err = ParseAmount(amountText, cur); err != nil {
		return Request{}, err
	}
	if len(rest) > 0 && isForeignCurrency(rest[0].text, cur) {
		return Request{}, inputErr(FieldAmount, "Amounts for %s are in %s, not %s: convert it and write the amount alone, like `%s 250`.",
			act.Name, strings.ToUpper(cur), strings.ToUpper(rest[0].text), act.Name)
	}

	// The customer.
	if len(rest) > 0 && strings.EqualFold(rest[0].text, "for") {
		rest = rest[1:]
		if len(rest) == 0 {
			return Request{}, inputErr(FieldCustomer, "Who is the customer? Write it after `for`: one word, like `for ACME`, or several in quotes, like `for \"Umbrella Corp\"`.")
		}
		if open, size := utf8.DecodeRuneInString(rest[0].text); isOpenQuote(open) {
			start := rest[0].start + size
			end, endSize := closingQuote(text[start:])
			if end < 0 {
				return Request{}, inputErr(FieldCustomer, "The customer's closing quote is missing: write `for \"Acme Corp\"`.")
			}
			req.Customer = strings.TrimSpace(text[start : start+end])
			rest = tokenize(text[start+end+endSize:], start+end+endSize)
		} else if comma := customerComma(text, rest); comma >= 0 {
			req.Customer = strings.TrimSpace(text[rest[0].start:comma])
			rest = tokenize(text[comma+1:], comma+1)
		} else {
			req.Customer = rest[0].text
			rest = rest[1:]
		}
		if req.Customer == "" {
			return Request{}, inputErr(FieldCustomer, "The customer after `for` is empty.")
		}
	}
	if err := CheckCustomer(req.Customer); err != nil {
		return Request{}, err
	}

	// Tags and the reason.
	var tags []string
	var reason strings.Builder
	prev := -1 // index in rest of the last reason word
	for i, t := range rest {
		if IsTag(t.text) {
			tags = append(tags, TagName(t.text))
			continue
		}
		switch {
		case reason.Len() == 0:
		case prev == i-1:
			reason.WriteString(text[rest[prev].end:t.start]) // keep the spacing as typed
		default:
			reason.WriteByte(' ')
		}
		reason.WriteString(t.text)
		prev = i
	}
	if req.Tags, err = CheckTags(p, tags); err != nil {
		return Request{}, err
	}
	req.Reason = reason.String()
	if err := CheckReason(req.Reason); err != nil {
		return Request{}, err
	}
	return req, nil
}

// ParseAmount reads an amount in currency (see money.Parse) and turns each
// refusal into an *InputError with a message for the person.
func ParseAmount(s, currency string) (money.Amount, error) {
	a, err := money.Parse(s, currency)
	if err == nil {
		return a, nil
	}
	typed := strings.TrimSpace(s)
	var msg string
	switch {
	case errors.Is(err, money.ErrEmpty):
		msg = "The amount is missing: write a number like 250 or 1,250.50."
	case errors.Is(err, money.ErrZero):
		msg = "The amount must be more than zero."
	case errors.Is(err, money.ErrNegative):
		msg = fmt.Sprintf("The amount can't be negative (%q): write what it was worth, like 250.", typed)
	case errors.Is(err, money.ErrDecimals):
		msg = fmt.Sprintf("The amount can have at most 2 decimals (%q): write it like 12.50.", typed)
	case errors.Is(err, money.ErrTooLarge):
		msg = fmt.Sprintf("The amount must be below 1,000,000,000 (%q).", typed)
	case errors.Is(err, money.ErrBadGrouping):
		msg = fmt.Sprintf("The thousands separators in %q are misplaced: write 1,250.50 or 1250.50.", typed)
	case errors.Is(err, money.ErrExponent):
		msg = fmt.Sprintf("Write the amount in full (%q): like 1000, not 1e3.", typed)
	case errors.Is(err, money.ErrNotFinite):
		msg = fmt.Sprintf("%q isn't an amount: write a number like 250 or 1,250.50.", typed)
	default:
		msg = fmt.Sprintf("%q isn't an amount: write a number like 250, $250 or 1,250.50", typed)
		if currency != "" {
			msg += fmt.Sprintf(" (amounts are in %s)", strings.ToUpper(currency))
		}
		msg += "."
	}
	return 0, &InputError{Field: FieldAmount, Message: msg}
}

// CheckActivity returns the activity called name (any case). An unknown
// name is an *InputError that suggests the closest activity, or lists them.
func CheckActivity(p *domain.Policy, name string) (domain.Activity, error) {
	if a, ok := p.Activity(name); ok {
		return a, nil
	}
	if a, ok := p.Activity(strings.ToLower(name)); ok {
		return a, nil
	}
	return domain.Activity{}, unknownActivity(p, name)
}

func unknownActivity(p *domain.Policy, name string) *InputError {
	names := make([]string, len(p.Activities))
	for i, a := range p.Activities {
		names[i] = a.Name
	}
	if s := closest(strings.ToLower(name), names); s != "" {
		return inputErr(FieldActivity, "I don't know the activity %q: did you mean %s?", name, s)
	}
	if len(names) == 0 {
		return inputErr(FieldActivity, "I don't know the activity %q: no activities are set up yet.", name)
	}
	return inputErr(FieldActivity, "I don't know the activity %q: the activities are %s.", name, strings.Join(names, ", "))
}

// CheckTags lower-cases tags (a leading "#" is dropped), removes repeats and
// checks each against the policy's values and always_escalate tags; an
// unknown tag is an *InputError that lists the allowed ones.
func CheckTags(p *domain.Policy, tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	allowed := AllowedTags(p)
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t == "" {
			continue
		}
		known := false
		for _, a := range allowed {
			if a == t {
				known = true
				break
			}
		}
		if !known {
			if len(allowed) == 0 {
				return nil, inputErr(FieldTags, "I don't know the tag #%s: no values or tags are set up yet.", t)
			}
			msg := fmt.Sprintf("I don't know the tag #%s: ", t)
			if s := closest(t, allowed); s != "" {
				msg += fmt.Sprintf("did you mean #%s? The tags are #", s)
			} else {
				msg += "the tags are #"
			}
			msg += strings.Join(allowed, ", #") + "."
			return nil, inputErr(FieldTags, "%s", msg)
		}
		out = append(out, t)
	}
	out = dedupe(out)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// CheckReason refuses a reason longer than MaxReason characters.
func CheckReason(reason string) error {
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return inputErr(FieldReason, "The reason is too long: %s characters; keep it to %s.", thousands(n), thousands(MaxReason))
	}
	return nil
}

// CheckCustomer refuses a customer name longer than MaxCustomer characters.
func CheckCustomer(customer string) error {
	if n := utf8.RuneCountInString(customer); n > MaxCustomer {
		return inputErr(FieldCustomer, "The customer name is too long: %d characters; keep it to %d.", n, MaxCustomer)
	}
	return nil
}

// token is one word of the input and where it stands in it (byte offsets).
type token struct {
	text       string
	start, end int
}

// tokenize splits s into words (slacktext.Words); offsets are shifted by
// base.
func tokenize(s string, base int) []token {
	words := slacktext.Words(s)
	out := make([]token, 0, len(words))
	for _, w := range words {
		out = append(out, token{text: w.Text, start: base + w.Start, end: base + w.End})
	}
	return out
}

// IsTag reports whether w is a #tag: "#", a letter, then letters, digits,
// "-" or "_" (trailing punctuation such as "." or "," is allowed).
func IsTag(w string) bool {
	if len(w) < 2 || w[0] != '#' {
		return false
	}
	name := TagName(w)
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// TagName is the lower-case name of a #tag word, without trailing punctuation.
func TagName(w string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimPrefix(w, "#"), ".,;:!?)"))
}

// foreignCurrencies are the ISO codes of the most traded currencies: one
// right after the amount means the person counted in another currency than
// the activity's. Codes that are also English words (ALL, TOP) are left out.
var foreignCurrencies = []string{"USD", "EUR", "GBP", "JPY", "CNY", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK",
	"PLN", "CZK", "HUF", "INR", "MXN", "BRL", "ZAR", "SGD", "HKD", "KRW", "TRY", "ILS", "AED", "SAR"}

// isForeignCurrency reports whether w is a currency code other than cur.
func isForeignCurrency(w, cur string) bool {
	if strings.EqualFold(w, cur) {
		return false
	}
	for _, c := range foreignCurrencies {
		if strings.EqualFold(w, c) {
			return true
		}
	}
	return false
}

// customerComma is the byte offset in text of the comma that ends a
// customer of several words (`for Umbrella Corp, billing error`), or -1: the
// comma must come before any #tag and on the same line as the customer's
// first word, outside Slack markup.
func customerComma(text string, rest []token) int {
	for i, t := range rest {
		if IsTag(t.text) || (i > 0 && strings.ContainsRune(text[rest[i-1].end:t.start], '\n')) {
			return -1
		}
		if strings.HasPrefix(t.text, "<") {
			continue
		}
		if j := strings.IndexByte(t.text, ','); j >= 0 {
			return t.start + j
		}
	}
	return -1
}

func isOpenQuote(r rune) bool { return r == '"' || r == '“' || r == '”' || r == '„' }

// closingQuote finds the quote (" or ”) that closes a quoted phrase in s
// and returns its offset and size, or -1.
func closingQuote(s string) (int, int) {
	for i, r := range s {
		if r == '"' || r == '”' {
			return i, utf8.RuneLen(r)
		}
	}
	return -1, 0
}

// closest returns the candidate nearest to word: within a third of its
// length in edits (at least 2), or the only one that word starts; "" when
// none is close.
func closest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein.ComputeDistance(word, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, utf8.RuneCountInString(word)/3)
	if bestD >= 0 && bestD <= limit {
		return best
	}
	var prefixed []string
	for _, c := range candidates {
		if utf8.RuneCountInString(word) >= 3 && strings.HasPrefix(strings.ToLower(c), word) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// thousands prints n with "," separators.
func thousands(n int) string { return money.FromMajor(int64(n)).String() }
