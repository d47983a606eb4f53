package handlers

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Praise and wins: `/empower praise <@user> <text> [#value]` and
// `/empower win <text> [<@user>…] [#value]` post to the praise channel.
// Here the command is read (the person, the text, the #values, the people
// credited) and the posts and DMs are rendered; the rules (no self-praise,
// no bots, the daily limit, one post counted and audited once) are
// recognition.Service's.

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
		return fmt.Sprintf("`%s` is a channel, not a person.", slacktext.Code(tok))
	case strings.HasPrefix(tok, "<!subteam^"):
		return fmt.Sprintf("`%s` is a user group, not a person: praise one person at a time, or share a team win with `/empower win`.", slacktext.Code(tok))
	case strings.HasPrefix(tok, "<!"):
		return fmt.Sprintf("`%s` is a broadcast, not a person.", slacktext.Code(tok))
	}
	return fmt.Sprintf("`%s` is not a person.", slacktext.Code(tok))
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
			if !slices.Contains(h.policy().Values, v) {
				if len(h.policy().Values) == 0 {
					return in, domain.Invalidf("`#%s` isn't one of our values (none are set up yet), so leave the tag out.\n%s", slacktext.Code(v), usage)
				}
				return in, domain.Invalidf("`#%s` isn't one of our values: %s.\n%s", slacktext.Code(v), tagsText(h.policy().Values), usage)
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
		return nil, domain.Invalidf("I don't know `%s`: start with the person you're praising, picked from the @ list.\n%s", slacktext.Code(first), praiseUsage)
	}
	to := m[1]
	if err := h.Recognition.CheckRecipient(c.UserID, to); err != nil {
		return nil, err
	}
	in, err := h.parsePraiseBody(c.Args[toks[0].end:], praiseUsage, false)
	if err != nil {
		return nil, err
	}
	p := domain.PraiseGiven{Team: c.TeamID, Giver: c.UserID, To: to, Text: in.Text, Values: in.Values}
	if err := h.Recognition.Praise(ctx, p); err != nil {
		return nil, err
	}
	return Text(fmt.Sprintf(":clap: Your praise for %s is up in %s, and I've let them know.", slacktext.User(to), channelMention(h.policy().Channels.Praise))), nil
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
	w := domain.Win{Team: c.TeamID, Giver: c.UserID, Text: in.Text, Users: in.Users, Values: in.Values}
	if err := h.Recognition.Win(ctx, w); err != nil {
		return nil, err
	}
	return Text(fmt.Sprintf(":trophy: Your team win is up in %s.", channelMention(h.policy().Channels.Praise))), nil
}

// PostPraise posts p to the praise channel (recognition.Notifier).
func (n RecognitionNotifier) PostPraise(ctx context.Context, p domain.PraiseGiven) error {
	if p.Reacted != nil {
		err := n.H.reactedLink(ctx, p.Reacted)
		if err == nil {
			text, blocks := reactionPraisePost(p)
			_, err = n.postToPraiseOnce(ctx, reactionPraiseTag(p), text, blocks)
		}
		switch {
		case slackapi.Down(err):
			// Slack cannot answer for now: the praise waits for the
			// repair (recognition.Service.RepairReactionPraise).
			return domain.Wrap(domain.Unavailable, err)
		case err != nil && slackapi.Classify(err) == slackapi.Permanent:
			// Never to be posted (the message or the channel is gone).
			return &recognition.UnreachableError{Reason: cmp.Or(slackapi.Code(err), "permanent"), Err: err}
		}
		return err
	}
	text, blocks := praisePost(p)
	_, err := n.postToPraise(ctx, text, blocks)
	return err
}

// reactionPraiseTag names the praise post of praise by reaction p in its
// message metadata: one per giver and message, as the praise is given, so
// that a repair finds the post a stopped handler made.
func reactionPraiseTag(p domain.PraiseGiven) slackapi.Tag {
	r := p.Reacted
	return slackapi.PostTag("praise-reaction", p.Giver+"/"+r.Channel+"/"+r.TS)
}

// TellPraised DMs p's person that they were praised (recognition.Notifier).
func (n RecognitionNotifier) TellPraised(ctx context.Context, p domain.PraiseGiven) error {
	h := n.H
	text := slacktext.User(p.Giver) + " praised you in " + channelMention(h.policy().Channels.Praise)
	dm := fmt.Sprintf(":clap: %s praised you in %s:\n%s", slacktext.User(p.Giver), channelMention(h.policy().Channels.Praise),
		quote(slacktext.EscapeTruncate(p.Text, praiseTextMax)))
	if p.Reacted != nil {
		if err := h.reactedLink(ctx, p.Reacted); err != nil {
			return err
		}
		text, dm = reactionPraiseDM(p, h.policy().Channels.Praise)
	}
	_, _, err := h.DM(ctx, p.Team, p.To, slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(dm), nil, nil)))
	return err
}

// PostWin posts w to the praise channel (recognition.Notifier).
func (n RecognitionNotifier) PostWin(ctx context.Context, w domain.Win) error {
	text, blocks := winPost(w)
	_, err := n.postToPraise(ctx, text, blocks)
	return err
}

// TellCredited DMs user that w credits them (recognition.Notifier).
func (n RecognitionNotifier) TellCredited(ctx context.Context, w domain.Win, user string) error {
	h := n.H
	dm := fmt.Sprintf(":trophy: %s credited you in a team win in %s:\n%s", slacktext.User(w.Giver), channelMention(h.policy().Channels.Praise),
		quote(slacktext.EscapeTruncate(w.Text, praiseTextMax)))
	_, _, err := h.DM(ctx, w.Team, user, slack.MsgOptionText(slacktext.User(w.Giver)+" credited you in a team win in "+channelMention(h.policy().Channels.Praise), false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(dm), nil, nil)))
	return err
}

// praisePost is the public post of p.
func praisePost(p domain.PraiseGiven) (string, []slack.Block) {
	giver, to := p.Giver, p.To
	body := slacktext.EscapeTruncate(p.Text, praiseTextMax)
	text := fmt.Sprintf("%s praised %s: %s", slacktext.User(giver), slacktext.User(to), slacktext.EscapeTruncate(p.Text, 200))
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf(":clap: *%s praises %s*\n%s", slacktext.User(giver), slacktext.User(to), quote(body))), nil, nil),
	}
	if len(p.Values) > 0 {
		blocks = append(blocks, slack.NewContextBlock("praise_values", mrkdwn(":sparkles: Living our values: "+tagsText(p.Values))))
	}
	return text, blocks
}

// winPost is the public post of w.
func winPost(w domain.Win) (string, []slack.Block) {
	giver := w.Giver
	body := slacktext.EscapeTruncate(w.Text, praiseTextMax)
	text := fmt.Sprintf("Team win, shared by %s: %s", slacktext.User(giver), slacktext.EscapeTruncate(w.Text, 200))
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf(":trophy: *Team win!* Shared by %s\n%s", slacktext.User(giver), quote(body))), nil, nil),
	}
	credit := "Credit to the whole team"
	if len(w.Users) > 0 {
		credit = "Credit to "
		names := make([]string, 0, len(w.Users))
		for i, u := range w.Users {
			if i == 50 {
				names = append(names, fmt.Sprintf("%d more", len(w.Users)-i))
				break
			}
			names = append(names, slacktext.User(u))
		}
		credit += joinAnd(names) + ", and the whole team"
	}
	blocks = append(blocks, slack.NewContextBlock("win_credit", mrkdwn(":raised_hands: "+credit+".")))
	if len(w.Values) > 0 {
		blocks = append(blocks, slack.NewContextBlock("praise_values", mrkdwn(":sparkles: Living our values: "+tagsText(w.Values))))
	}
	return text, blocks
}
