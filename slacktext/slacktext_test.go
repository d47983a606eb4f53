package slacktext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeNeutralisesMarkupAndBroadcasts(t *testing.T) {
	for in, want := range map[string]string{
		"<!channel> hi":           "&lt;!channel&gt; hi",
		"<!subteam^S1|@ops>":      "&lt;!subteam^S1|@ops&gt;",
		"<@U123|bob> & co":        "&lt;@U123|bob&gt; &amp; co",
		"ping @here and @channel": "ping @\u200bhere and @\u200bchannel",
		"@everyone":               "@\u200beveryone",
		"plain *bold* text":       "plain *bold* text",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("héllo wörld", 5); got != "héll…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
}

func TestEscapeTruncateFitsAfterEscaping(t *testing.T) {
	in := strings.Repeat("<&>", 2000)
	got := EscapeTruncate(in, SectionTextMax)
	if n := utf8.RuneCountInString(got); n > SectionTextMax {
		t.Fatalf("escaped text is %d runes, want at most %d", n, SectionTextMax)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("cut text does not end with an ellipsis")
	}
	if strings.Contains(got, "<") || strings.HasSuffix(strings.TrimSuffix(got, "…"), "&") {
		t.Errorf("escaping broken at the cut: %q", got[len(got)-20:])
	}
}

func TestMentions(t *testing.T) {
	for _, tt := range []struct {
		ids  []string
		want string
	}{
		{[]string{"U0BOB", "W0ERIN", "S0LEADS"}, "<@U0BOB> <@W0ERIN> <!subteam^S0LEADS>"},
		{nil, "no one named yet"},
	} {
		if got := Mentions(tt.ids); got != tt.want {
			t.Errorf("Mentions(%q) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	for in, want := range map[string]string{
		"D-7K2QF9":              "D-7K2QF9",
		"`x` <!here>":           "'x' &lt;!here&gt;",
		strings.Repeat("a", 70): strings.Repeat("a", 59) + "…",
	} {
		if got := Code(in); got != want {
			t.Errorf("Code(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscapeAsReplacer: the shortcut for text with nothing to escape
// changes nothing of what Escape returns.
func FuzzEscapeAsReplacer(f *testing.F) {
	for _, s := range []string{"", "ACME", "a & b", "<@U1>", "@channel", "@here now", "@everyone", "mail@example.com", "é @"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Escape(s), escaper.Replace(s); got != want {
			t.Errorf("Escape(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkEscape measures escaping text with nothing to escape (a
// customer's name) and with something.
func BenchmarkEscape(b *testing.B) {
	for _, s := range []string{"ACME Corporation", "ACME & Sons <ltd>"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Escape(s)
			}
		})
	}
}
