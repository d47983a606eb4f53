// Package money holds amounts of money as integer minor units (cents), so that
// no amount is ever a float. It parses what people type ("250", "$250",
// "1,250.50", "250 USD") and prints amounts back exactly.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a non-negative sum of money in minor units: 1 = 0.01.
type Amount int64

// Max is the first amount that is refused: one billion (1e9) major units.
const Max Amount = 1_000_000_000 * 100

// Errors returned by Parse. Each is a sentence a person can read.
var (
	ErrEmpty       = errors.New("the amount is missing")
	ErrNotNumber   = errors.New("the amount must be a number, like 250 or 1,250.50")
	ErrZero        = errors.New("the amount must be more than zero")
	ErrNegative    = errors.New("the amount can't be negative")
	ErrDecimals    = errors.New("the amount can have at most 2 decimals")
	ErrTooLarge    = errors.New("the amount must be below 1,000,000,000")
	ErrBadGrouping = errors.New("the thousands separators are misplaced; write 1,250.50 or 1250.50")
	ErrExponent    = errors.New("write the amount in full, like 1000, not 1e3")
	ErrNotFinite   = errors.New("the amount must be a plain number, not NaN or Infinity")
)

// Parse reads an amount as a person types it: an optional "$" sign, digits
// with optional "," thousands separators, up to two decimals, and an optional
// trailing currency code when it equals currency (case-insensitive; ignored
// when currency is empty). It refuses zero, negatives, more than two decimals,
// exponents, NaN/Inf and anything at or above 1e9.
func Parse(s, currency string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		code := strings.TrimSpace(s[i+1:])
		if currency == "" || !strings.EqualFold(code, currency) {
			return 0, fmt.Errorf("%w (unknown currency %q)", ErrNotNumber, code)
		}
		s = strings.TrimSpace(s[:i])
	}
	if err := special(s); err != nil {
		return 0, err
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") {
		return 0, ErrNegative
	}
	s = strings.TrimPrefix(s, "+")
	s = strings.TrimPrefix(s, "$")
	if strings.HasPrefix(s, "-") {
		return 0, ErrNegative
	}
	if s == "" {
		return 0, ErrNotNumber
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" {
		return 0, ErrNotNumber
	}
	if whole == "" {
		whole = "0"
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, ErrBadGrouping
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, ErrBadGrouping
			}
		}
		whole = strings.Join(groups, "")
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, ErrNotNumber
	}
	if len(frac) > 2 {
		return 0, ErrDecimals
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 9 {
		return 0, ErrTooLarge
	}
	var units int64
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return 0, ErrNotNumber
		}
		units = n * 100
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(units + cents)
	switch {
	case a == 0:
		return 0, ErrZero
	case a >= Max:
		return 0, ErrTooLarge
	}
	return a, nil
}

// special recognises the spellings a float parser would accept but an
// amount must not: NaN, Inf/Infinity and exponents (1e3, 2.5E-2).
func special(s string) error {
	body := strings.TrimLeft(s, "+-−$")
	switch strings.ToLower(body) {
	case "nan", "inf", "infinity":
		return ErrNotFinite
	}
	mant, exp, ok := strings.Cut(strings.ToLower(body), "e")
	if !ok || mant == "" || exp == "" {
		return nil
	}
	exp = strings.TrimLeft(exp, "+-")
	if exp == "" || !allDigits(exp) {
		return nil
	}
	for i := 0; i < len(mant); i++ {
		if c := mant[i]; (c < '0' || c > '9') && c != '.' && c != ',' {
			return nil
		}
	}
	return ErrExponent
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String prints the amount with thousands separators and, only when there are
// cents, two decimals: "250", "1,250.50". Parse(a.String(), "") == a.
func (a Amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	whole := strconv.FormatInt(int64(a/100), 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if cents := a % 100; cents != 0 {
		fmt.Fprintf(&b, ".%02d", int64(cents))
	}
	return b.String()
}

// Format prints the amount with its currency: "$250" for USD, "250 EUR" for
// other codes, the bare number when currency is empty.
func (a Amount) Format(currency string) string {
	switch strings.ToUpper(currency) {
	case "":
		return a.String()
	case "USD":
		return "$" + a.String()
	default:
		return a.String() + " " + strings.ToUpper(currency)
	}
}

// FromMajor returns n whole units (dollars) as an Amount.
func FromMajor(n int64) Amount { return Amount(n * 100) }
