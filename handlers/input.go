package handlers

import (
	"strings"

	"github.com/empowerbot/empowerbot/command"
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
