package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Commitments: a leader's promise to one of their people, made with
// `/empower commit` or by accepting an employee's `/empower ask`, listed by
// `/empower commitments`, and reminded by the commitment_reminders job until
// it is done. The rules are service/commitments'; here are the parsing of
// the commands (this file), the buttons and modals (commitments_actions.go),
// the Block Kit (commitments_render.go) and the service's Slack side
// (commitments_slack.go).

// Identifiers of the commitments UI. The App Home reuses the Done and New
// date buttons: keep their action IDs and values (the commitment ID).
const (
	// ActionCommitmentDone marks a commitment done; value = commitment ID.
	ActionCommitmentDone = "commitment_done"
	// ActionCommitmentNewDate opens the new-date modal; value = commitment ID.
	ActionCommitmentNewDate = "commitment_new_date"
	// ViewCommitmentNewDate is the callback_id of the new-date modal.
	ViewCommitmentNewDate = "commitment_new_date"
	// ActionAskAccept and ActionAskDecline are the buttons of an ask's DM to
	// the leader; value = commitment ID.
	ActionAskAccept  = "commitment_ask_accept"
	ActionAskDecline = "commitment_ask_decline"
	// ViewAskAccept and ViewAskDecline are the callback_ids of their modals.
	ViewAskAccept  = "commitment_ask_accept"
	ViewAskDecline = "commitment_ask_decline"

	blockDue  = "due"
	actionDue = "due"
	blockWhy  = "reason"
	actionWhy = "reason"
)

// Usage lines of the commitment commands, from the subcommand table.
var (
	commitUsage = command.MustLookup("commit").Usage()
	askUsage    = command.MustLookup("ask").Usage()
)

// mentionRe matches a user mention as Slack escapes it: <@U123|name>.
var mentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// splitMention reads the leading user mention of args and returns the user
// ID and the rest. what names the person in errors ("the person", "the
// leader").
func splitMention(args, what, usage string) (string, string, error) {
	first, rest := strings.TrimSpace(args), ""
	if i := strings.IndexFunc(first, unicode.IsSpace); i >= 0 {
		first, rest = first[:i], first[i:]
	}
	if first == "" {
		return "", "", domain.Invalidf("Say who %s is, as a mention.\n%s", what, usage)
	}
	m := mentionRe.FindStringSubmatch(strings.TrimRight(first, ",:;"))
	if m == nil {
		switch {
		case strings.HasPrefix(first, "<!subteam^"), strings.HasPrefix(first, "<!"):
			return "", "", domain.Invalidf("Name one person as %s, not a group: pick them from the @ list.\n%s", what, usage)
		case strings.HasPrefix(first, "<#"):
			return "", "", domain.Invalidf("That's a channel; name %s as a person: pick them from the @ list.\n%s", what, usage)
		}
		return "", "", domain.Invalidf("`%s` isn't a person I know: start with %s as a mention, picked from the @ list.\n%s", slacktext.Code(first), what, usage)
	}
	return m[1], strings.TrimSpace(rest), nil
}

// cutLastBy splits "text by date" at the last " by " (any case).
func cutLastBy(s string) (text, date string, ok bool) {
	i := strings.LastIndex(strings.ToLower(s), " by ")
	if i < 0 {
		if strings.HasPrefix(strings.ToLower(s), "by ") {
			return "", strings.TrimSpace(s[3:]), true
		}
		return s, "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+4:]), true
}

// withUsage adds the usage line to a refusal of the input (domain.Invalid
// or domain.NotFound, with its words), so the person sees how to type it.
func withUsage(err error, usage string) error {
	msg, code := domain.ErrorMessage(err), domain.ErrorCode(err)
	if msg == "" || (code != domain.Invalid && code != domain.NotFound) {
		return err
	}
	return domain.Errorf(code, "%s\n%s", msg, usage)
}

// IsLeader reports whether user is an approver of one of the policy's levels.
func (h *Handlers) IsLeader(ctx context.Context, team, user string) (bool, error) {
	return h.Commitments.IsLeader(ctx, team, user)
}

// today is the policy timezone's date now.
func (h *Handlers) today() dates.Date { return dates.Of(h.Clock.Now().In(h.policy().Location)) }

// Commit answers `/empower commit <@user> <text> by <date>`: a leader's
// commitment to one of their people, confirmed to both by DM.
func (h *Handlers) Commit(ctx context.Context, c *Command) (*Reply, error) {
	if err := h.Commitments.MayCommit(ctx, c.TeamID, c.UserID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Args) == "" {
		return nil, domain.Invalidf("Say who you commit to, what you will do and by when.\n%s", commitUsage)
	}
	employee, rest, err := splitMention(c.Args, "the person you commit to", commitUsage)
	if err != nil {
		return nil, err
	}
	text, when, _ := cutLastBy(rest)
	cm, err := h.Commitments.Commit(ctx, commitments.CommitRequest{
		Team: c.TeamID, Leader: c.UserID, Employee: employee,
		Text: collapseGaps(text), // "fix   the van" reads "fix the van"
		When: when,
	})
	if err != nil {
		return nil, withUsage(err, commitUsage)
	}
	return Text(fmt.Sprintf(":white_check_mark: Recorded `%s`: your commitment to %s, *%s*, due *%s*. You both got a DM.",
		cm.ID, slacktext.User(cm.Employee), commitText(cm), commitments.DueText(cm, h.today()))), nil
}

// Ask answers `/empower ask <@leader> <text> [by <date>]`: the leader gets a
// DM with Accept and Decline.
func (h *Handlers) Ask(ctx context.Context, c *Command) (*Reply, error) {
	if strings.TrimSpace(c.Args) == "" {
		return nil, domain.Invalidf("Say which leader you ask and what would help you.\n%s", askUsage)
	}
	leader, rest, err := splitMention(c.Args, "the leader you ask", askUsage)
	if err != nil {
		return nil, err
	}
	text, when, found := cutLastBy(rest)
	cm, reached, err := h.Commitments.Ask(ctx, commitments.AskRequest{
		Team: c.TeamID, Employee: c.UserID, Leader: leader,
		Text: collapseGaps(text), // "fix   the van" reads "fix the van"
		When: when, HasBy: found, Typed: rest,
	})
	if err != nil {
		return nil, withUsage(err, askUsage)
	}
	if !reached {
		return Text(fmt.Sprintf("Your ask `%s` is saved, but I couldn't reach %s by DM just now; please tell them directly.", cm.ID, slacktext.User(cm.Leader))), nil
	}
	when = "no date given"
	if cm.AskedDue != "" {
		when = "by *" + commitments.HumanDate(cm.AskedDue, h.today()) + "*"
	}
	return Text(fmt.Sprintf(":incoming_envelope: Asked %s (`%s`): *%s*, %s. They can accept or decline; I'll DM you their answer.",
		slacktext.User(cm.Leader), cm.ID, commitText(cm), when)), nil
}
