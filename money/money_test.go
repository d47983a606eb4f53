package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/empowerbot/empowerbot/money"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     money.Amount
		wantErr  error
	}{
		{"250", "USD", 25000, nil},
		{"$250", "USD", 25000, nil},
		{"+250", "USD", 25000, nil},
		{" 250 ", "USD", 25000, nil},
		{"1,250.50", "USD", 125050, nil},
		{"1250.5", "USD", 125050, nil},
		{"1,234,567.89", "USD", 123456789, nil},
		{"250 USD", "USD", 25000, nil},
		{"250 usd", "USD", 25000, nil},
		{"$1,250.50 USD", "USD", 125050, nil},
		{"250 EUR", "EUR", 25000, nil},
		{"0.01", "USD", 1, nil},
		{".01", "USD", 1, nil},
		{"007", "USD", 700, nil},
		{"999999999.99", "USD", money.Max - 1, nil},
		{"999,999,999.99", "", money.Max - 1, nil},

		{"", "USD", 0, money.ErrEmpty},
		{"   ", "USD", 0, money.ErrEmpty},
		{"0", "USD", 0, money.ErrZero},
		{"0.00", "USD", 0, money.ErrZero},
		{"$0", "USD", 0, money.ErrZero},
		{"-1", "USD", 0, money.ErrNegative},
		{"−1", "USD", 0, money.ErrNegative},
		{"$-1", "USD", 0, money.ErrNegative},
		{"-$1", "USD", 0, money.ErrNegative},
		{"1.001", "USD", 0, money.ErrDecimals},
		{"0.125", "USD", 0, money.ErrDecimals},
		{"1000000000", "USD", 0, money.ErrTooLarge},
		{"999999999.995", "USD", 0, money.ErrDecimals},
		{"1,000,000,000", "USD", 0, money.ErrTooLarge},
		{"99999999999999999999999", "USD", 0, money.ErrTooLarge},
		{"1,25", "USD", 0, money.ErrBadGrouping},
		{"1234,567", "USD", 0, money.ErrBadGrouping},
		{",250", "USD", 0, money.ErrBadGrouping},
		{"1,,250", "USD", 0, money.ErrBadGrouping},
		{"1e3", "USD", 0, money.ErrExponent},
		{"1E3", "USD", 0, money.ErrExponent},
		{"2.5e-2", "USD", 0, money.ErrExponent},
		{"-1e3", "USD", 0, money.ErrExponent},
		{"NaN", "USD", 0, money.ErrNotFinite},
		{"nan", "USD", 0, money.ErrNotFinite},
		{"Inf", "USD", 0, money.ErrNotFinite},
		{"+Inf", "USD", 0, money.ErrNotFinite},
		{"-Infinity", "USD", 0, money.ErrNotFinite},
		{"abc", "USD", 0, money.ErrNotNumber},
		{"e3", "USD", 0, money.ErrNotNumber},
		{"1e", "USD", 0, money.ErrNotNumber},
		{"0x10", "USD", 0, money.ErrNotNumber},
		{"1_000", "USD", 0, money.ErrNotNumber},
		{"250.", "USD", 0, money.ErrNotNumber},
		{"1.2.3", "USD", 0, money.ErrNotNumber},
		{"$", "USD", 0, money.ErrNotNumber},
		{"١٢٣", "USD", 0, money.ErrNotNumber},
		{"250 EUR", "USD", 0, money.ErrNotNumber},
		{"250 USD", "", 0, money.ErrNotNumber},
		{"1 250", "USD", 0, money.ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in, tt.currency)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Parse(%q, %q) error = %v; want %v", tt.in, tt.currency, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q) = %d; want %d", tt.in, tt.currency, got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   money.Amount
		want string
	}{
		{0, "0"},
		{1, "0.01"},
		{50, "0.50"},
		{100, "1"},
		{25000, "250"},
		{125050, "1,250.50"},
		{100000000, "1,000,000"},
		{money.Max - 1, "999,999,999.99"},
		{-125050, "-1,250.50"},
		{money.Amount(math.MaxInt64), "92,233,720,368,547,758.07"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Amount(%d).String() = %q; want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in       money.Amount
		currency string
		want     string
	}{
		{25000, "USD", "$250"},
		{25000, "usd", "$250"},
		{125050, "EUR", "1,250.50 EUR"},
		{125050, "", "1,250.50"},
	}
	for _, tt := range tests {
		if got := tt.in.Format(tt.currency); got != tt.want {
			t.Errorf("Amount(%d).Format(%q) = %q; want %q", int64(tt.in), tt.currency, got, tt.want)
		}
	}
}

func TestFromMajor(t *testing.T) {
	if got := money.FromMajor(250); got != 25000 {
		t.Errorf("FromMajor(250) = %d; want 25000", got)
	}
}

// TestRoundTrip: every accepted amount prints back to itself, with and
// without its currency.
func TestRoundTrip(t *testing.T) {
	for _, a := range []money.Amount{1, 9, 10, 99, 100, 101, 99999, 100000, 123456789, money.Max - 1} {
		for _, cur := range []string{"", "USD", "EUR"} {
			s := a.Format(cur)
			got, err := money.Parse(s, cur)
			if err != nil || got != a {
				t.Errorf("Parse(%q, %q) = %d, %v; want %d", s, cur, got, err, a)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"250", "$250", "1,250.50", "250 USD", "0.01", ".5", "999,999,999.99", "1000000000",
		"-1", "1e3", "NaN", "Inf", "1,25", "1.001", "$ 1", "0x1F", "+$1", "１２３", "1,000 usd",
	} {
		f.Add(s, "USD")
	}
	f.Add("250 EUR", "EUR")
	f.Add("250", "")
	f.Fuzz(func(t *testing.T, s, currency string) {
		a, err := money.Parse(s, currency)
		if err != nil {
			if a != 0 {
				t.Fatalf("Parse(%q, %q) = %d with error %v; want 0", s, currency, a, err)
			}
			return
		}
		if a <= 0 || a >= money.Max {
			t.Fatalf("Parse(%q, %q) accepted %d, outside (0, 1e9)", s, currency, a)
		}
		str := a.String()
		if back, err := money.Parse(str, ""); err != nil || back != a {
			t.Fatalf("Parse(%q) = %d; its String() %q parses back to %d, %v", s, a, str, back, err)
		}
		if isCode(currency) {
			f := a.Format(currency)
			if back, err := money.Parse(f, currency); err != nil || back != a {
				t.Fatalf("Parse(%q) = %d; its Format(%q) %q parses back to %d, %v", s, a, currency, f, back, err)
			}
		}
	})
}

// isCode reports whether s looks like an ISO currency code (three ASCII letters).
func isCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
