package command

import (
	"strings"
	"testing"
)

// TestHelp pins the help lines of the subcommands built so far (the help
// people knew before the table); a new entry adds its own line, which
// TestHelpListsEveryEntry checks.
func TestHelp(t *testing.T) {
	want := []string{
		"*empowerbot*: you decide inside your box; above it, a leader answers fast.",
		"• `/empower`: open a form to log a decision (also `/empower log`)",
		"• `/empower <activity> <amount> [for <customer>] [reason…] [#tag…]`: log a decision you made, e.g. `/empower discount $250 for ACME travel charge waived #customer-first`; a customer of several words goes in quotes or ends at a comma: `for \"Umbrella Corp\" billing error` or `for Umbrella Corp, billing error`; amounts like 250, $250 or 1,250.50 (`.5` is 50 cents)",
		"• `/empower praise <@user> <text> [#value]`: praise someone in public, in the praise channel",
		"• `/empower win <text> [<@user>…] [#value]`: share a team win in the praise channel",
		"• `/empower commit <@user> <text> by <date>`: leaders: promise one of your people what you will do for them, by a date",
		"• `/empower ask <@leader> <text> [by <date>]`: ask a leader for support; they can accept or decline",
		"• `/empower commitments`: the commitments made by you and to you, and where each stands",
		"• `/empower outcome <decision-id> worked|failed [note]`: say how a decision turned out",
		"• `/empower feedback`: tell your leader how they can help you, any time",
		"• `/empower box [<@user> [reset <activity>]]`: what is yours to decide alone, and who comes in above it; leaders can look at one of their people's box, or take back a limit they earned",
		"• `/empower stats [7d|30d]`: measurable outcomes: your team's if you lead one, your own otherwise",
		"• `/empower help`: this list",
	}
	got := strings.Split(Help(), "\n")
	if got[0] != want[0] {
		t.Errorf("help starts with %q, want %q", got[0], want[0])
	}
	i := 0
	for _, line := range got {
		if i < len(want) && line == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("help lacks %q (or has it out of order):\n%s", want[i], Help())
	}
	if len(got) != len(table)+1 {
		t.Errorf("help has %d lines, want the title and one per table entry (%d)", len(got), len(table))
	}
}

func TestHelpListsEveryEntry(t *testing.T) {
	help := Help()
	for _, s := range table {
		if !strings.Contains(help, "`"+s.Invocation()+"`: "+s.Summary) {
			t.Errorf("help does not list %q", s.Invocation())
		}
	}
}

func TestUsage(t *testing.T) {
	if got, want := Usage(), "Usage: `/empower <activity> <amount> [for <customer>] [reason…] [#tag…]` · `/empower help` for everything else"; got != want {
		t.Errorf("Usage() = %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"praise":      "Usage: `/empower praise <@user> <text> [#value]`, e.g. `/empower praise @dave saved the ACME renewal #customer-first`",
		"win":         "Usage: `/empower win <text> [<@user>…] [#value]`, e.g. `/empower win ACME renewed for 3 years @dave @erin #ownership`",
		"commit":      "Usage: `/empower commit <@user> <text> by <date>`, e.g. `/empower commit @dave get you on the safety course by friday`",
		"ask":         "Usage: `/empower ask <@leader> <text> [by <date>]`, e.g. `/empower ask @bob a second van for Tuesdays by end of month`",
		"commitments": "Usage: `/empower commitments`",
		"outcome":     "Usage: `/empower outcome <decision-id> worked|failed [note]`, e.g. `/empower outcome D-7K2QF9 worked the customer renewed`",
		"stats":       "Usage: `/empower stats [7d|30d]` (the default is 7d)",
	} {
		if got := MustLookup(name).Usage(); got != want {
			t.Errorf("usage of %s = %q, want %q", name, got, want)
		}
	}
}

func TestExamplesUseTheirSubcommand(t *testing.T) {
	for _, s := range table {
		if s.Example == "" || s.Fallback {
			continue
		}
		if first, _, _ := strings.Cut(s.Example, " "); first != s.Name {
			t.Errorf("example %q of %q starts with %q", s.Example, s.Name, first)
		}
	}
}

func TestTableWordsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	fallbacks := 0
	for _, s := range table {
		if s.Fallback {
			fallbacks++
			if s.Name != "" || len(s.Aliases) > 0 {
				t.Errorf("the fallback has a name or aliases: %+v", s)
			}
			continue
		}
		for _, w := range s.words() {
			if w != strings.ToLower(w) || strings.ContainsAny(w, " \t") {
				t.Errorf("word %q is not one lower-case word", w)
			}
			if seen[w] {
				t.Errorf("word %q is in the table twice", w)
			}
			seen[w] = true
		}
	}
	if fallbacks != 1 {
		t.Errorf("%d fallback entries, want 1", fallbacks)
	}
}

func TestLookup(t *testing.T) {
	for word, want := range map[string]string{"praise": "praise", "STATS": "stats", "log": "", "": "", "away": "away", "Back": "back"} {
		s, ok := Lookup(word)
		if !ok || s.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", word, s.Name, ok, want)
		}
	}
	for _, word := range []string{"prase", "discount", "<activity>", "vacation"} {
		if s, ok := Lookup(word); ok {
			t.Errorf("Lookup(%q) = %q, want none", word, s.Name)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"prase", "praise"}, {"hepl", "help"}, {"bx", "box"}, {"zzzzzz", ""},
		{"comitments", "commitments"}, {"lgo", "log"}, {"STAT", "stats"}, {"", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckActivityName(t *testing.T) {
	for _, name := range []string{"discount", "travel-waiver", "boxes", ""} {
		if err := CheckActivityName(name); err != nil {
			t.Errorf("CheckActivityName(%q) = %v, want nil", name, err)
		}
	}
	for name, want := range map[string]string{
		"stats": `activity "stats" is named like the subcommand /empower stats; choose another name`,
		"log":   `activity "log" is named like the subcommand /empower log; choose another name`,
		"box":   `activity "box" is named like the subcommand /empower box; choose another name`,
	} {
		if err := CheckActivityName(name); err == nil || err.Error() != want {
			t.Errorf("CheckActivityName(%q) = %v, want %q", name, err, want)
		}
	}
}
