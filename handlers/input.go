package handlers

import (
	"strings"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// noArgs refuses words after a subcommand that takes none (`/empower help
// me please`), in the words `/empower commitments all` is refused with:
// what was unexpected, and the usage line. nil when c has no arguments.
func noArgs(c *Command, name string) error {
	args := strings.TrimSpace(c.Args)
	if args == "" {
		return nil
	}
	sub := command.MustLookup(name)
	return domain.Invalidf("`%s` takes nothing after it (got `%s`).\n%s", sub.Invocation(), slacktext.Code(args), sub.Usage())
}

// dueSentence makes a dueLine a sentence: "It's due tomorrow (Fri Nov 20)",
// "It was due yesterday (Mon Nov 16)", "It has no date".
func dueSentence(line string) string {
	switch {
	case strings.HasPrefix(line, "was "):
		return "It " + line
	case line == "no date":
		return "It has no date yet"
	}
	return "It's " + line
}

// newDateStart is the day the new-date picker starts on: the current due
// date while it is still ahead, else tomorrow (a missed date is no
// sensible new one).
func newDateStart(cm *domain.CommitmentRecord, today dates.Date) string {
	if due, err := dates.ParseISO(cm.Due); err == nil && due.After(today) {
		return cm.Due
	}
	return today.AddDays(1).String()
}
