package handlers

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/chart"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/stats"
)

// Limits of the digest message.
const (
	digestHighlights = 5  // praise highlights shown
	digestOverdue    = 10 // leaders named with their overdue commitments
)

// Digest runs the weekly digest of the week ending at tick (the digest
// job's work, insights.Service.Digest).
func (h *Handlers) Digest(ctx context.Context, tick time.Time) error {
	return h.Insights.Digest(ctx, tick)
}

// PostDigest posts d to its channel (the insights Notifier): the figures,
// the praise highlights, the overdue commitments named by leader, and the
// chart of decisions and outcomes per day, in one message (the chart is
// uploaded with files.getUploadURLExternal + files.completeUploadExternal,
// carrying the blocks). When the chart cannot be drawn or uploaded, the
// figures go out without it.
func (h *Handlers) PostDigest(ctx context.Context, d *insights.Digest) error {
	text, blocks := DigestMessage(&d.Cur, &d.Prev)
	switch {
	case d.TeamName != "":
		text, blocks = teamDigest(d.TeamName, text, blocks)
	case len(d.Teams) > 0:
		blocks = orgDigest(blocks, d.Teams)
	}
	title := fmt.Sprintf("Decisions and outcomes per day, %s – %s", d.From.In(d.Loc).Format("Mon Jan 2"), d.Tick.Add(-time.Millisecond).In(d.Loc).Format("Mon Jan 2"))
	png, err := chart.PNG(title, d.Cur.Days)
	if err == nil {
		_, err = h.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(png), FileSize: len(png),
			Filename: "digest-" + d.Tick.In(d.Loc).Format(time.DateOnly) + ".png", Title: title,
			AltTxt:  "Bar chart of decisions inside and above the box and outcomes, per day",
			Channel: d.Channel, Blocks: slack.Blocks{BlockSet: blocks},
		})
		if err == nil {
			return nil
		}
	}
	h.Log.Warn("could not upload the digest chart; posting the digest without it", "error", err.Error())
	if _, _, err := h.post(ctx, d.Channel, slackapi.Tag{},
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("post digest: %w", err)
	}
	return nil
}

// DigestMessage renders the weekly digest of cur, compared with prev.
func DigestMessage(cur, prev *stats.Figures) (string, []slack.Block) {
	loc := cur.Loc
	period := fmt.Sprintf("%s – %s", cur.From.In(loc).Format("Mon Jan 2"), cur.To.Add(-time.Millisecond).In(loc).Format("Mon Jan 2"))
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Weekly digest · " + period)),
		slack.NewContextBlock("", mrkdwn("What your people decided on their own, what came to you, and what you promised them. The chart shows each day.")),
	}
	blocks = append(blocks, FigureBlocks(cur, prev)...)
	if len(cur.Highlights) > 0 {
		blocks = append(blocks, textSection(digestPraiseText(cur.Highlights)))
	}
	if len(cur.Overdue) > 0 {
		blocks = append(blocks, textSection(digestOverdueText(cur.Overdue, dates.Of(cur.To.Add(-time.Millisecond).In(loc)))))
	}
	text := slacktext.Truncate(fmt.Sprintf("Weekly digest %s: %s (%d inside the box, %d above), %d worked, %d didn't, %s, %s overdue.",
		period, countOf(cur.Decisions(), "decision"), cur.Inside, cur.Above, cur.Worked, cur.Failed, countOf(cur.PraiseGiven, "praise post"), countOf(len(cur.Overdue), "commitment")), 3000)
	return text, blocks
}

// teamDigest makes a digest message one team's: its name in the header and
// the fallback text.
func teamDigest(team, text string, blocks []slack.Block) (string, []slack.Block) {
	name := slacktext.Truncate(team, 60)
	if hb, ok := blocks[0].(*slack.HeaderBlock); ok {
		blocks[0] = slack.NewHeaderBlock(plain(slacktext.Truncate(name+" · "+hb.Text.Text, 150)))
	}
	return slacktext.Truncate("Team "+slacktext.Escape(name)+": "+text, 3000), blocks
}

// orgDigest adds the line per team to the organisation's digest, after its
// introduction.
func orgDigest(blocks []slack.Block, teams []insights.TeamFigures) []slack.Block {
	lines := teamLineBlocks(":busts_in_silhouette: *By team*", teams)
	out := make([]slack.Block, 0, len(blocks)+len(lines))
	out = append(out, blocks[:2]...)
	out = append(out, lines...)
	return append(out, blocks[2:]...)
}

// digestPraiseText lists the week's latest praise and wins.
func digestPraiseText(all []stats.Highlight) string {
	var b strings.Builder
	b.WriteString(":tada: *Praise this week*")
	hs := all
	if len(hs) > digestHighlights {
		hs = hs[len(hs)-digestHighlights:]
	}
	for _, hl := range hs {
		who := make([]string, 0, len(hl.To))
		for _, u := range hl.To {
			if u != "" {
				who = append(who, slacktext.User(u))
			}
		}
		text := "“" + slacktext.EscapeTruncate(hl.Text, 280) + "”"
		if hl.Reaction != "" && hl.Text == "" {
			text = fmt.Sprintf(":%s: on a message in %s", hl.Reaction, channelMention(hl.Channel))
		}
		if hl.Kind == string(domain.EventWinPosted) {
			fmt.Fprintf(&b, "\n• :trophy: Team win shared by %s", userOrBot(hl.From))
			if len(who) > 0 {
				fmt.Fprintf(&b, ", crediting %s", strings.Join(who, " "))
			}
			b.WriteString(": " + text)
		} else {
			fmt.Fprintf(&b, "\n• %s → %s: %s", userOrBot(hl.From), strings.Join(who, " "), text)
		}
	}
	if n := len(all) - len(hs); n > 0 {
		fmt.Fprintf(&b, "\n…and %d more in the praise channel", n)
	}
	return b.String()
}

// digestOverdueText names the leaders with overdue commitments, and what
// they promised.
func digestOverdueText(overdue []stats.Commitment, today dates.Date) string {
	byLeader := map[string][]stats.Commitment{}
	for _, c := range overdue {
		byLeader[c.Leader] = append(byLeader[c.Leader], c)
	}
	leaders := make([]string, 0, len(byLeader))
	for l := range byLeader {
		leaders = append(leaders, l)
	}
	sort.Strings(leaders)
	var b strings.Builder
	b.WriteString(":hourglass: *Overdue commitments*")
	for i, l := range leaders {
		if i == digestOverdue {
			fmt.Fprintf(&b, "\n…and %s", moreOf(len(leaders)-i, "leader", "leaders"))
			break
		}
		var items []string
		for j, c := range byLeader[l] {
			if j == 3 {
				items = append(items, fmt.Sprintf("%d more", len(byLeader[l])-j))
				break
			}
			items = append(items, fmt.Sprintf("“%s” for %s, due %s", slacktext.EscapeTruncate(c.Text, 120), userOrBot(c.Employee), commitments.HumanDate(c.Due, today)))
		}
		fmt.Fprintf(&b, "\n• %s: %s", userOrBot(l), strings.Join(items, "; "))
	}
	return b.String()
}

// userOrBot mentions id, or says "someone" for none (the bot itself).
func userOrBot(id string) string {
	if id == "" {
		return "someone"
	}
	return slacktext.User(id)
}
