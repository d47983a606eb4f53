package handlers

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/store"
)

// Praise and wins: `/empower praise <@user> <text> [#value]` and
// `/empower win <text> [<@user>…] [#value]` post to the praise channel.
// The giver's praise of the day (in the policy's timezone) is limited by
// praise.daily_limit, and so are their wins, counted apart; the count and
// the audit event are one atomic step, taken back when the post fails.

// Usage lines of praise and win, from the subcommand table.
var (
	praiseUsage = command.MustLookup("praise").Usage()
	winUsage    = command.MustLookup("win").Usage()
)

// praiseTextMax bounds the praise text shown in a post (runes, escaped).
const praiseTextMax = 2500

var userMentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$`)

// ptoken is one word of a command with its byte span.
type ptoken struct {
	text       string
	start, end int
}

// ptokens splits s into words; Slack markup (<…>) stays one token.
func ptokens(s string) []ptoken {
	words := slacktext.Words(s)
	out := make([]ptoken, 0, len(words))
	for _, w := range words {
		out = append(out, ptoken{text: w.Text, start: w.Start, end: w.End})
	}
	return out
}

// isMarkup reports whether tok is Slack markup (<…>).
func isMarkup(tok string) bool {
	return strings.HasPrefix(tok, "<") && strings.HasSuffix(tok, ">")
}

// notAPerson explains why tok, which names no user, cannot be praised or
// credited.
func notAPerson(tok string) string {
	switch {
	case strings.HasPrefix(tok, "<#"):
		return fmt.Sprintf("`%s` is a channel, not a person.", EscapeCode(tok))
	case strings.HasPrefix(tok, "<!subteam^"):
		return fmt.Sprintf("`%s` is a user group, not a person: praise one person at a time, or share a team win with `/empower win`.", EscapeCode(tok))
	case strings.HasPrefix(tok, "<!"):
		return fmt.Sprintf("`%s` is a broadcast, not a person.", EscapeCode(tok))
	}
	return fmt.Sprintf("`%s` is not a person.", EscapeCode(tok))
}

// praiseInput is a parsed praise or win: its text (raw, tags taken out),
// the people named and the values.
type praiseInput struct {
	Text   string
	Users  []string
	Values []string
}

// parsePraiseBody reads the text after the person (praise) or the whole
// text (win): #values are taken out wherever they stand, and must be policy
// values; user mentions are collected (trailing ones are taken out of the
// text, inner ones stay as @name); other markup stays in the text, to be
// shown escaped.
func (h *Handlers) parsePraiseBody(s, usage string, trailingCredits bool) (praiseInput, error) {
	var in praiseInput
	toks := ptokens(s)
	keep := make([]bool, len(toks))
	for i, t := range toks {
		if box.IsTag(t.text) {
			v := box.TagName(t.text)
			if !slices.Contains(h.Policy.Values, v) {
				if len(h.Policy.Values) == 0 {
					return in, domain.Invalidf("Unknown value `#%s`: the policy has no values to tag. Leave the tag out.\n%s", EscapeCode(v), usage)
				}
				return in, domain.Invalidf("Unknown value `#%s`: the values are %s.\n%s", EscapeCode(v), tagsText(h.Policy.Values), usage)
			}
			if !slices.Contains(in.Values, v) {
				in.Values = append(in.Values, v)
			}
			continue
		}
		keep[i] = true
	}
	// Trailing mentions (after the values are out) are the people credited.
	last := len(toks) - 1
	for last >= 0 && (!keep[last] || (trailingCredits && isMarkup(toks[last].text))) {
		if keep[last] {
			m := userMentionRe.FindStringSubmatch(toks[last].text)
			if m == nil {
				// Other markup (<!channel>, <#C…>, a user group) is
				// text, shown escaped: it ends the credits.
				break
			}
			in.Users = append(in.Users, m[1])
			keep[last] = false
		}
		last--
	}
	slices.Reverse(in.Users)
	var b strings.Builder
	prev := -1
	for i, t := range toks {
		if !keep[i] {
			continue
		}
		if prev >= 0 {
			// The gap may hold tags taken out: keep only its line breaks.
			if strings.Contains(s[prev:t.start], "\n") {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		w := t.text
		if m := userMentionRe.FindStringSubmatch(w); m != nil {
			if !slices.Contains(in.Users, m[1]) {
				in.Users = append(in.Users, m[1])
			}
			w = "@" + mentionName(m[1], m[2])
		}
		b.WriteString(w)
		prev = t.end
	}
	in.Text = strings.TrimSpace(collapseGaps(b.String()))
	return in, nil
}

// collapseGaps keeps line breaks but turns runs of spaces into one.
func collapseGaps(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func mentionName(id, name string) string {
	if name != "" {
		return name
	}
	return id
}

// PraiseCommand answers `/empower praise <@user> <text> [#value]`.
func (h *Handlers) PraiseCommand(ctx context.Context, c *Command) (*Reply, error) {
	toks := ptokens(c.Args)
	if len(toks) == 0 {
		return nil, domain.Invalidf("Who are you praising, and for what?\n%s", praiseUsage)
	}
	first := toks[0].text
	m := userMentionRe.FindStringSubmatch(first)
	if m == nil {
		if isMarkup(first) {
			return nil, domain.Invalidf("%s Praise goes to one person, mentioned as @name.\n%s", notAPerson(first), praiseUsage)
		}
		return nil, domain.Invalidf("Start with the person you're praising, mentioned as @name (`%s` isn't a mention).\n%s", EscapeCode(first), praiseUsage)
	}
	to := m[1]
	if to == c.UserID {
		return nil, domain.Invalidf("Praising yourself doesn't count, however well deserved :slightly_smiling_face: Praise someone who helped you, or share it as a team win with `/empower win`.\n%s", praiseUsage)
	}
	if to == h.BotUserID {
		return nil, domain.Invalidf("Thank you, but I'm a bot: praise a person who made a difference.\n%s", praiseUsage)
	}
	in, err := h.parsePraiseBody(c.Args[toks[0].end:], praiseUsage, false)
	if err != nil {
		return nil, err
	}
	if in.Text == "" {
		return nil, domain.Invalidf("Say what %s did: praise is about the risk they took or the difference they made.\n%s", slacktext.User(to), praiseUsage)
	}
	if err := h.checkPraised(ctx, to); err != nil {
		return nil, err
	}
	ev := domain.Event{Actor: c.UserID, Subject: to, At: h.Clock.Now(), Payload: domain.PraiseGivenData{Text: in.Text, Values: in.Values}}
	text, blocks := h.praisePost(c.UserID, to, in)
	if _, err := h.postToFeed(ctx, c.TeamID, c.UserID, ev, text, blocks); err != nil {
		return nil, err
	}
	dm := fmt.Sprintf(":clap: %s praised you in %s:\n%s", slacktext.User(c.UserID), channelMention(h.Policy.Channels.Praise),
		quote(slacktext.EscapeTruncate(in.Text, praiseTextMax)))
	if _, _, err := h.DM(ctx, c.TeamID, to, slack.MsgOptionText(slacktext.User(c.UserID)+" praised you in "+channelMention(h.Policy.Channels.Praise), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(dm), nil, nil))); err != nil {
		h.Log.Warn("could not DM the praised person", "team", c.TeamID, "error", err.Error())
	}
	h.Touched(ctx, c.TeamID, c.UserID, to)
	return Text(fmt.Sprintf(":clap: Your praise for %s is up in %s, and I've let them know.", slacktext.User(to), channelMention(h.Policy.Channels.Praise))), nil
}

// WinCommand answers `/empower win <text> [<@user>…] [#value]`.
func (h *Handlers) WinCommand(ctx context.Context, c *Command) (*Reply, error) {
	if strings.TrimSpace(c.Args) == "" {
		return nil, domain.Invalidf("What did the team win?\n%s", winUsage)
	}
	in, err := h.parsePraiseBody(c.Args, winUsage, true)
	if err != nil {
		return nil, err
	}
	if in.Text == "" {
		return nil, domain.Invalidf("Say what the team won, not just who.\n%s", winUsage)
	}
	for _, u := range in.Users {
		if u == h.BotUserID {
			return nil, domain.Invalidf("Thank you, but I'm a bot: credit the people who made it happen.\n%s", winUsage)
		}
	}
	ev := domain.Event{Actor: c.UserID, At: h.Clock.Now(), Payload: domain.WinPostedData{Text: in.Text, Users: in.Users, Values: in.Values}}
	text, blocks := h.winPost(c.UserID, in)
	if _, err := h.postToFeed(ctx, c.TeamID, c.UserID, ev, text, blocks); err != nil {
		return nil, err
	}
	dm := fmt.Sprintf(":trophy: %s credited you in a team win in %s:\n%s", slacktext.User(c.UserID), channelMention(h.Policy.Channels.Praise),
		quote(slacktext.EscapeTruncate(in.Text, praiseTextMax)))
	for _, u := range in.Users {
		if u == c.UserID {
			continue
		}
		if _, _, err := h.DM(ctx, c.TeamID, u, slack.MsgOptionText(slacktext.User(c.UserID)+" credited you in a team win in "+channelMention(h.Policy.Channels.Praise), false),
			slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(dm), nil, nil))); err != nil {
			h.Log.Warn("could not DM a person credited in a win", "team", c.TeamID, "error", err.Error())
		}
	}
	h.Touched(ctx, c.TeamID, append([]string{c.UserID}, in.Users...)...)
	return Text(fmt.Sprintf(":trophy: Your team win is up in %s.", channelMention(h.Policy.Channels.Praise))), nil
}

// checkPraised refuses a user Slack does not know, a bot or a deactivated
// account; when Slack cannot answer, the praise goes ahead.
func (h *Handlers) checkPraised(ctx context.Context, user string) error {
	u, err := h.Slack.GetUserInfoContext(ctx, user)
	if err != nil {
		if slackapi.UserNotFound(err) {
			return domain.NotFoundf("I can't find %s in this workspace; nothing was posted.\n%s", slacktext.User(user), praiseUsage)
		}
		h.Log.Warn("could not look up the praised person", "error", err.Error())
		return nil
	}
	if u.IsBot || u.Deleted {
		return domain.Invalidf("%s isn't someone I can praise (a bot or a deactivated account); nothing was posted.\n%s", slacktext.User(user), praiseUsage)
	}
	return nil
}

// postToFeed counts the post against giver's daily limit and audits it,
// then posts it to the praise channel; a failed post is taken back.
func (h *Handlers) postToFeed(ctx context.Context, team, giver string, ev domain.Event, text string, blocks []slack.Block) (store.PraiseTicket, error) {
	limit := h.Policy.Praise.DailyLimit
	day := h.Clock.Now().In(h.location()).Format("2006-01-02")
	t, ok, err := h.Store.GivePraise(ctx, team, giver, day, limit, ev)
	if err != nil {
		return t, err
	}
	if !ok {
		what := "praise"
		if ev.Type() == domain.EventWinPosted {
			what = "wins"
		}
		return t, domain.Forbiddenf("You've posted %d %s today, the most the policy allows in a day. Nothing was posted: save this one for tomorrow!", limit, what)
	}
	if _, _, err := h.Slack.PostMessageContext(ctx, h.Policy.Channels.Praise, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		if uerr := h.Store.UndoPraise(context.WithoutCancel(ctx), t); uerr != nil {
			h.Log.Error("could not take back praise whose post failed", "team", team, "error", uerr.Error())
		}
		return t, fmt.Errorf("post to the praise channel: %w", err)
	}
	return t, nil
}

func (h *Handlers) location() *time.Location {
	if h.Policy.Location != nil {
		return h.Policy.Location
	}
	return time.UTC
}

// praisePost is the public post of praise from giver to to.
func (h *Handlers) praisePost(giver, to string, in praiseInput) (string, []slack.Block) {
	body := slacktext.EscapeTruncate(in.Text, praiseTextMax)
	text := fmt.Sprintf("%s praised %s: %s", slacktext.User(giver), slacktext.User(to), slacktext.EscapeTruncate(in.Text, 200))
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf(":clap: *%s praises %s*\n%s", slacktext.User(giver), slacktext.User(to), quote(body))), nil, nil),
	}
	if len(in.Values) > 0 {
		blocks = append(blocks, slack.NewContextBlock("praise_values", mrkdwn(":sparkles: Living our values: "+tagsText(in.Values))))
	}
	return text, blocks
}

// winPost is the public post of a team win shared by giver.
func (h *Handlers) winPost(giver string, in praiseInput) (string, []slack.Block) {
	body := slacktext.EscapeTruncate(in.Text, praiseTextMax)
	text := fmt.Sprintf("Team win, shared by %s: %s", slacktext.User(giver), slacktext.EscapeTruncate(in.Text, 200))
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf(":trophy: *Team win!* Shared by %s\n%s", slacktext.User(giver), quote(body))), nil, nil),
	}
	credit := "Credit to the whole team"
	if len(in.Users) > 0 {
		names := make([]string, 0, len(in.Users))
		for i, u := range in.Users {
			if i == 50 {
				names = append(names, fmt.Sprintf("and %d more", len(in.Users)-i))
				break
			}
			names = append(names, slacktext.User(u))
		}
		credit += " and " + strings.Join(names, ", ")
	}
	blocks = append(blocks, slack.NewContextBlock("win_credit", mrkdwn(":raised_hands: "+credit+".")))
	if len(in.Values) > 0 {
		blocks = append(blocks, slack.NewContextBlock("praise_values", mrkdwn(":sparkles: Living our values: "+tagsText(in.Values))))
	}
	return text, blocks
}
