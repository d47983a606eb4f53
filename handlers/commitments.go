package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/store"
)

// Commitments: a leader's promise to one of their people, made with
// `/empower commit` or by accepting an employee's `/empower ask`, listed by
// `/empower commitments`, and reminded by the commitment_reminders job until
// it is done.

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

	blockDue      = "due"
	actionDue     = "due"
	blockWhy      = "reason"
	actionWhy     = "reason"
	maxCommitText = 500
	maxWhyText    = 500
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

// checkCommitText refuses an empty or too long text.
func checkCommitText(text, usage, empty string) error {
	if strings.TrimSpace(text) == "" {
		return domain.Invalidf("%s\n%s", empty, usage)
	}
	if n := utf8.RuneCountInString(text); n > maxCommitText {
		return domain.Invalidf("Please keep it to %d characters (it has %d).\n%s", maxCommitText, n, usage)
	}
	return nil
}

// leaderIDs lists every approver of the policy's levels, once each.
func (h *Handlers) leaderIDs() []string {
	var out []string
	for _, l := range h.Policy.Levels {
		for _, id := range l.Approvers {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// IsLeader reports whether user is an approver of one of the policy's levels.
func (h *Handlers) IsLeader(ctx context.Context, team, user string) (bool, error) {
	return h.IsMember(ctx, team, user, h.leaderIDs())
}

// checkPerson refuses a mention of the bot, of a user Slack does not know,
// of a bot user or of a deactivated account; when Slack cannot answer, the
// commitment goes ahead.
func (h *Handlers) checkPerson(ctx context.Context, user, usage string) error {
	if user == h.BotUserID {
		return domain.Invalidf("That's me: name a person.\n%s", usage)
	}
	u, err := h.Slack.GetUserInfoContext(ctx, user)
	if err != nil {
		if slackapi.UserNotFound(err) {
			return domain.NotFoundf("I can't find %s in this workspace.\n%s", slacktext.User(user), usage)
		}
		// Slack could not say (rate limit, outage): the mention came from
		// Slack's own picker, so go ahead rather than refuse.
		h.Log.Warn("could not look up the person of a commitment", "error", err.Error())
		return nil
	}
	if u.IsBot || u.Deleted {
		return domain.Invalidf("%s is a bot or a deactivated account: name a person.\n%s", slacktext.User(user), usage)
	}
	return nil
}

// today is the policy timezone's date now.
func (h *Handlers) today() dates.Date { return dates.Of(h.Clock.Now().In(h.Policy.Location)) }

// parseDue reads a due date typed by a person.
func (h *Handlers) parseDue(s string) (dates.Date, error) {
	return dates.Parse(s, h.Clock.Now(), h.Policy.Location)
}

// Commit answers `/empower commit <@user> <text> by <date>`: a leader's
// commitment to one of their people, confirmed to both by DM.
func (h *Handlers) Commit(ctx context.Context, c *Command) (*Reply, error) {
	ok, err := h.IsLeader(ctx, c.TeamID, c.UserID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, domain.Forbiddenf("Only leaders named in the policy can make commitments; to ask a leader for support use `/empower ask @leader …`")
	}
	if strings.TrimSpace(c.Args) == "" {
		return nil, domain.Invalidf("Say who you commit to, what you will do and by when.\n%s", commitUsage)
	}
	employee, rest, err := splitMention(c.Args, "the person you commit to", commitUsage)
	if err != nil {
		return nil, err
	}
	if employee == c.UserID {
		return nil, domain.Invalidf("A commitment is a promise to one of your people, not to yourself: name who it's for.\n%s", commitUsage)
	}
	text, when, found := cutLastBy(rest)
	text = collapseGaps(text) // "fix   the van" reads "fix the van"
	if err := checkCommitText(text, commitUsage, "Say what you will do for them, before `by <date>`."); err != nil {
		return nil, err
	}
	if !found || when == "" {
		return nil, domain.Invalidf("Add when it will be done: end with `by <date>`, e.g. `by friday`, `by 12/15` or `by in 2 weeks`.\n%s", commitUsage)
	}
	due, err := h.parseDue(when)
	if err != nil {
		return nil, dateError(err, commitUsage)
	}
	if err := h.checkPerson(ctx, employee, commitUsage); err != nil {
		return nil, err
	}
	now := h.Clock.Now()
	cm := &store.CommitmentRecord{Commitment: domain.Commitment{
		Team: c.TeamID, Leader: c.UserID, Employee: employee, Text: text, State: domain.CommitmentOpen,
		Source: domain.SourceCommit, Due: due.String(), CreatedAt: now, MadeAt: now,
	}}
	if err := h.createCommitment(ctx, cm, domain.CommitmentMadeData{CommitmentFacts: cm.Facts()}, c.UserID); err != nil {
		return nil, err
	}
	today := h.today()
	h.dmQuiet(ctx, cm, cm.Employee, fmt.Sprintf(":handshake: %s committed to you: *%s*, by *%s*. I'll remind them before it's due, and tell you when it's done.",
		slacktext.User(cm.Leader), commitText(cm), dueText(cm, today)))
	h.dmQuiet(ctx, cm, cm.Leader, fmt.Sprintf(":handshake: You committed to %s: *%s*, by *%s* (`%s`). I'll remind you before it's due; `/empower commitments` lists yours.",
		slacktext.User(cm.Employee), commitText(cm), dueText(cm, today), cm.ID))
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	return Text(fmt.Sprintf(":white_check_mark: Recorded `%s`: your commitment to %s, *%s*, due *%s*. You both got a DM.",
		cm.ID, slacktext.User(cm.Employee), commitText(cm), dueText(cm, today))), nil
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
	if leader == c.UserID {
		return nil, domain.Invalidf("You can't ask yourself: name one of the leaders, %s.\n%s", slacktext.Mentions(h.leaderIDs()), askUsage)
	}
	ok, err := h.IsLeader(ctx, c.TeamID, leader)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, domain.Invalidf("%s isn't one of the leaders in the policy; you can ask %s.\n%s",
			slacktext.User(leader), slacktext.Mentions(h.leaderIDs()), askUsage)
	}
	text, when, found := cutLastBy(rest)
	text = collapseGaps(text) // "fix   the van" reads "fix the van"
	var due dates.Date
	if found && when != "" {
		d, err := h.parseDue(when)
		var de *dates.Error
		switch {
		case err == nil:
			due = d
		case errors.As(err, &de) && de.Unreadable && text != "":
			// "help me by covering Tuesdays": no date, the "by" is part of the text.
			text = rest
		default:
			return nil, dateError(err, askUsage)
		}
	} else if found {
		text = rest
	}
	if err := checkCommitText(text, askUsage, "Say what would help you."); err != nil {
		return nil, err
	}
	now := h.Clock.Now()
	cm := &store.CommitmentRecord{Commitment: domain.Commitment{
		Team: c.TeamID, Leader: leader, Employee: c.UserID, Text: text, State: domain.CommitmentAsked,
		Source: domain.SourceAsk, CreatedAt: now,
	}}
	if !due.IsZero() {
		cm.AskedDue = due.String()
	}
	if err := h.createCommitment(ctx, cm, domain.CommitmentAskedData{CommitmentFacts: cm.Facts()}, c.UserID); err != nil {
		return nil, err
	}
	ch, ts, err := h.DM(ctx, cm.Team, cm.Leader, askDM(cm, h.today())...)
	if err != nil {
		h.Log.Error("could not DM the leader an ask", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
		return Text(fmt.Sprintf("Your ask `%s` is saved, but I couldn't reach %s by DM just now; please tell them directly.", cm.ID, slacktext.User(cm.Leader))), nil
	}
	if err := h.Store.AttachCommitmentDM(ctx, cm.Team, cm.ID, ch, ts); err != nil {
		h.Log.Warn("could not record the ask's DM", "team", cm.Team, "commitment", cm.ID, "error", err.Error())
	}
	h.Touched(ctx, cm.Team, cm.Leader, cm.Employee)
	when = "no date given"
	if cm.AskedDue != "" {
		when = "by *" + humanDate(cm.AskedDue, h.today()) + "*"
	}
	return Text(fmt.Sprintf(":incoming_envelope: Asked %s (`%s`): *%s*, %s. They can accept or decline; I'll DM you their answer.",
		slacktext.User(cm.Leader), cm.ID, commitText(cm), when)), nil
}

// dateError shows a date problem with the usage line.
func dateError(err error, usage string) error {
	var de *dates.Error
	if errors.As(err, &de) {
		return domain.Invalidf(":calendar: %s\n%s", slacktext.Escape(de.Message), usage)
	}
	return err
}

// createCommitment stores cm under a fresh ID with its audit event, of
// payload p.
func (h *Handlers) createCommitment(ctx context.Context, cm *store.CommitmentRecord, p domain.Payload, actor string) error {
	var err error
	for attempt := 0; ; attempt++ {
		cm.ID = domain.NewCommitmentID()
		err = h.Store.CreateCommitment(ctx, cm, commitmentEvent(cm, p, actor, "", string(cm.State), cm.CreatedAt))
		if errors.Is(err, domain.ErrExists) && attempt < 5 {
			continue
		}
		return err
	}
}

// commitmentEvent builds the audit event of a change of cm, with payload p
// (see domain/audit.go).
func commitmentEvent(cm *store.CommitmentRecord, p domain.Payload, actor, from, to string, at time.Time) domain.Event {
	return domain.Event{Actor: actor, Subject: cm.ID, From: from, To: to, At: at, Payload: p}
}

// dmQuiet DMs text to user about cm; a failure is logged, the change is saved.
func (h *Handlers) dmQuiet(ctx context.Context, cm *store.CommitmentRecord, user, text string) {
	if _, _, err := h.DM(ctx, cm.Team, user, slack.MsgOptionText(slacktext.Truncate(text, 3000), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(slacktext.Truncate(text, slacktext.SectionTextMax)), nil, nil))); err != nil {
		h.Log.Warn("could not DM about a commitment", "team", cm.Team, "commitment", cm.ID, "user", user, "error", err.Error())
	}
}
