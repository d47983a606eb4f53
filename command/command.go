// Package command owns the one table of /empower's subcommands: each one's
// name, aliases, syntax, summary and example. Everything people read about
// the subcommands is derived from it: the `/empower help` text, the usage
// line of every input error, the "did you mean" of a mistyped subcommand, the
// policy check that no activity is named like a subcommand, and the router's
// slash routes (bot.Routes binds each entry to the handler that handlers
// gives for its name, and fails at start-up when the two do not match).
//
// Adding `/empower foo` takes one entry in table plus one handler and its
// binding in package handlers.
//
// It is pure: it imports only the standard library and the project's pure
// packages, never slack-go, go-redis, cron or x/image.
package command

import (
	"fmt"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Slash is the slash command itself.
const Slash = "/empower"

// Sub is one subcommand of /empower.
type Sub struct {
	// Name is the first word that runs it ("praise"); "" is `/empower` alone.
	Name string
	// Aliases are other first words that run the same handler ("log").
	Aliases []string
	// Args is the syntax after the name ("<@user> <text> [#value]").
	Args string
	// Summary says in a few words what it does, for the help.
	Summary string
	// Example is a whole invocation after the slash command
	// ("praise @dave saved the ACME renewal #customer-first").
	Example string
	// Note is said after the usage line, in parentheses ("the default is 7d").
	Note string
	// Fallback marks the `<activity> <amount> …` line: no fixed first word,
	// it runs for every first word that is no subcommand.
	Fallback bool
}

// table lists every subcommand built today, in the order of the help.
var table = []Sub{
	{Name: "", Aliases: []string{"log"}, Summary: "open a form to log a decision"},
	{
		Fallback: true,
		Args:     "<activity> <amount> [for <customer>] [reason…] [#tag…]",
		Summary:  "log a decision you made",
		Example:  "discount $250 for ACME travel charge waived #customer-first",
		Note:     "a customer of several words goes in quotes or ends at a comma: `for \"Umbrella Corp\" billing error` or `for Umbrella Corp, billing error`; amounts like 250, $250 or 1,250.50 (`.5` is 50 cents)",
	},
	{
		Name: "praise", Args: "<@user> <text> [#value]",
		Summary: "praise someone in public, in the praise channel",
		Example: "praise @dave saved the ACME renewal #customer-first",
	},
	{
		Name: "win", Args: "<text> [<@user>…] [#value]",
		Summary: "share a team win in the praise channel",
		Example: "win ACME renewed for 3 years @dave @erin #ownership",
	},
	{
		Name: "commit", Args: "<@user> <text> by <date>",
		Summary: "leaders: promise one of your people what you will do for them, by a date",
		Example: "commit @dave get you on the safety course by friday",
	},
	{
		Name: "ask", Args: "<@leader> <text> [by <date>]",
		Summary: "ask a leader for support; they can accept or decline",
		Example: "ask @bob a second van for Tuesdays by end of month",
	},
	{Name: "commitments", Summary: "the commitments made by you and to you, and where each stands"},
	{
		Name: "outcome", Args: "<decision-id> worked|failed [note]",
		Summary: "say how a decision turned out",
		Example: "outcome D-7K2QF9 worked the customer renewed",
	},
	{Name: "feedback", Summary: "tell your leader how they can help you, any time"},
	{
		Name: "box", Args: "[<@user> [reset <activity>]]",
		Summary: "what is yours to decide alone, and who comes in above it; leaders can look at one of their people's box, or take back a limit they earned",
		Example: "box @dave",
	},
	{
		Name: "away", Args: "until <date> [delegate <@user>]",
		Summary: "leaders: you're away until that day ends; a delegate (another leader) answers for you meanwhile",
		Example: "away until friday delegate @carol",
	},
	{Name: "back", Summary: "leaders: end `away` early"},
	{
		Name: "stats", Args: "[7d|30d]",
		Summary: "measurable outcomes: your team's if you lead one, your own otherwise",
		Note:    "the default is 7d",
	},
	{
		Name: "export", Args: "[7d|30d|90d]",
		Summary: "admins: a CSV of decisions, approvals, outcomes, praise and commitments, sent to you by DM",
		Note:    "the default is 30d",
	},
	{Name: "help", Summary: "this list"},
}

// All returns the subcommands with a first word of their own (every entry
// but the fallback), in table order. The caller may change the slice.
func All() []Sub {
	out := make([]Sub, 0, len(table))
	for _, s := range table {
		if !s.Fallback {
			out = append(out, s)
		}
	}
	return out
}

// Lookup finds the subcommand whose name or alias is word, ignoring case.
func Lookup(word string) (Sub, bool) {
	word = strings.ToLower(word)
	for _, s := range All() {
		for _, w := range s.words() {
			if w == word {
				return s, true
			}
		}
	}
	return Sub{}, false
}

// MustLookup is Lookup for names fixed in the code: it panics when name is
// not in the table, so a wrong name fails at start-up.
func MustLookup(name string) Sub {
	s, ok := Lookup(name)
	if !ok {
		panic(fmt.Sprintf("command: no subcommand %q in the table", name))
	}
	return s
}

// words are the first words that run s: its name, then its aliases.
func (s Sub) words() []string { return append([]string{s.Name}, s.Aliases...) }

// Syntax is s as typed after the slash command: "praise <@user> <text>
// [#value]"; "" for `/empower` alone.
func (s Sub) Syntax() string {
	return strings.TrimSpace(s.Name + " " + s.Args)
}

// Invocation is s with the slash command: "/empower praise <@user> <text>
// [#value]".
func (s Sub) Invocation() string { return invocation(s.Syntax()) }

func invocation(syntax string) string {
	return strings.TrimSpace(Slash + " " + syntax)
}

// Usage is the usage line shown with an input error of s: its syntax, its
// example and its note, e.g. "Usage: `/empower praise <@user> <text>
// [#value]`, e.g. `/empower praise @dave saved the ACME renewal
// #customer-first`".
func (s Sub) Usage() string {
	line := "Usage: `" + s.Invocation() + "`"
	if s.Example != "" {
		line += ", e.g. `" + invocation(s.Example) + "`"
	}
	if s.Note != "" {
		line += " (" + s.Note + ")"
	}
	return line
}

// fallback is the table's `<activity> <amount> …` entry.
func fallback() Sub {
	for _, s := range table {
		if s.Fallback {
			return s
		}
	}
	panic("command: the table has no fallback entry")
}

// Usage is the general usage line, shown with every input error that is not
// one subcommand's: how to log a decision, and where to find the rest.
func Usage() string {
	return fmt.Sprintf("Usage: `%s` · `%s` for everything else", fallback().Invocation(), MustLookup("help").Invocation())
}

// Help is the `/empower help` text as Slack mrkdwn: a title, then one line
// per table entry with its syntax and summary. The fallback's line carries
// its example, since its first word is an activity of the policy rather than
// a fixed word.
func Help() string {
	var b strings.Builder
	b.WriteString("*empowerbot*: you decide inside your box; above it, a leader answers fast.")
	for _, s := range table {
		summary := s.Summary
		if s.Fallback && s.Example != "" {
			summary += ", e.g. `" + invocation(s.Example) + "`"
			if s.Note != "" {
				summary += "; " + s.Note
			}
		}
		var also []string
		for _, a := range s.Aliases {
			also = append(also, "`"+invocation(a)+"`")
		}
		if len(also) > 0 {
			summary += " (also " + strings.Join(also, ", ") + ")"
		}
		fmt.Fprintf(&b, "\n• `%s`: %s", s.Invocation(), summary)
	}
	return b.String()
}

// maxSuggestEdits is how far a mistyped word may be from a subcommand to be
// suggested: at most two edits.
const maxSuggestEdits = 2

// Suggest returns the subcommand word (a name or an alias) nearest to word
// within two edits, ignoring case, or "" when none is that close. Ties go to
// the word earlier in the table.
func Suggest(word string) string {
	word = strings.ToLower(word)
	best, bestD := "", maxSuggestEdits+1
	for _, s := range All() {
		for _, w := range s.words() {
			if w == "" {
				continue
			}
			if d := levenshtein.ComputeDistance(word, w); d < bestD {
				best, bestD = w, d
			}
		}
	}
	return best
}

// CheckActivityName refuses an activity named like a subcommand (or an
// alias): `/empower stats 20` runs the subcommand, so such an activity could
// never be logged.
func CheckActivityName(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := Lookup(name); ok {
		return fmt.Errorf("activity %q is named like the subcommand %s; choose another name", name, invocation(strings.ToLower(name)))
	}
	return nil
}
