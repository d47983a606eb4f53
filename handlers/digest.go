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
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/stats"
	"github.com/empowerbot/empowerbot/store"
)

// Limits of the digest message.
const (
	digestHighlights = 5  // praise highlights shown
	digestOverdue    = 10 // leaders named with their overdue commitments
	digestPostedKeep = 60 * 24 * time.Hour
	// digestPostTimeout bounds the post of a claimed digest, which goes on
	// through a shutdown.
	digestPostTimeout = time.Minute
	// digestPostLease is how long the post's lease lives: longer than the
	// chart and the post take, so it is never refreshed; a replica that
	// died while posting is taken over once it expires.
	digestPostLease = 5 * time.Minute
	// digestPostPoll is how often a run waits on another one's post.
	digestPostPoll = 5 * time.Second
	// JobDigestPost names the lease that posts a tick's digest once.
	jobDigestPost = "digest_post"
)

// Digest posts the weekly digest of the week ending at tick to the leaders
// channel: the week's figures with the change against the week before, the
// praise highlights, the overdue commitments named by leader, and the chart
// of decisions and outcomes per day, in one message (the chart is uploaded
// with files.getUploadURLExternal + files.completeUploadExternal, carrying
// the blocks). A tick's digest is posted once, whatever replicas or reruns:
// the post holds a lease in Redis, a run that finds it held waits for it,
// and the lease is marked done once the post was tried (a failed post is
// not tried again).
func (h *Handlers) Digest(ctx context.Context, tick time.Time) error {
	team, loc := h.TeamID, h.Policy.Location
	if h.Policy.Channels.Leaders == "" {
		h.Log.Info("no leaders channel in the policy: no digest")
		return nil
	}
	from, prevFrom := tick.AddDate(0, 0, -7), tick.AddDate(0, 0, -14)
	evs, err := h.Store.ReadAudit(ctx, team, prevFrom.Add(-stats.Lookback), tick.Add(time.Millisecond))
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	cur := stats.Compute(evs, stats.Input{From: from, To: tick, Now: tick, Loc: loc})
	prev := stats.Compute(evs, stats.Input{From: prevFrom, To: from, Now: from, Loc: loc})
	text, blocks := DigestMessage(&cur, &prev)

	lease, owner := h.Store.TickStepLease(team, jobDigestPost, tick), store.NewOwner()
	st, err := h.Store.AwaitLease(ctx, lease, owner, digestPostLease, digestPostPoll)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if st == store.LeaseDone {
		h.Log.Info("digest already posted for this tick", "tick", tick.UTC().Format(time.RFC3339))
		return nil
	}
	// The post is claimed: a shutdown must not cut it short, or this tick's
	// digest would wait for the lease to expire.
	bg := context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(bg, digestPostTimeout)
	defer cancel()
	defer func() {
		fctx, fcancel := context.WithTimeout(bg, 5*time.Second)
		defer fcancel()
		if _, err := h.Store.FinishLease(fctx, lease, owner, digestPostedKeep); err != nil {
			h.Log.Warn("could not mark the digest posted", "tick", tick.UTC().Format(time.RFC3339), "error", err.Error())
		}
	}()
	title := fmt.Sprintf("Decisions and outcomes per day, %s – %s", from.In(loc).Format("Jan 2"), tick.Add(-time.Millisecond).In(loc).Format("Jan 2"))
	png, err := chart.PNG(title, cur.Days)
	if err == nil {
		_, err = h.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(png), FileSize: len(png),
			Filename: "digest-" + tick.In(loc).Format(time.DateOnly) + ".png", Title: title,
			AltTxt:  "Bar chart of decisions inside and above the box and outcomes, per day",
			Channel: h.Policy.Channels.Leaders, Blocks: slack.Blocks{BlockSet: blocks},
		})
		if err == nil {
			return nil
		}
	}
	// The chart could not be drawn or uploaded: the figures still go out.
	h.Log.Warn("could not upload the digest chart; posting the digest without it", "error", err.Error())
	if _, _, err := h.Slack.PostMessageContext(ctx, h.Policy.Channels.Leaders,
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

	// Praise highlights.
	if len(cur.Highlights) > 0 {
		var b strings.Builder
		b.WriteString(":tada: *Praise this week*")
		hs := cur.Highlights
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
			if hl.Kind == "win.posted" {
				fmt.Fprintf(&b, "\n• :trophy: Win from %s", userOrBot(hl.From))
				if len(who) > 0 {
					fmt.Fprintf(&b, " with %s", strings.Join(who, " "))
				}
				b.WriteString(": " + text)
			} else {
				fmt.Fprintf(&b, "\n• %s → %s: %s", userOrBot(hl.From), strings.Join(who, " "), text)
			}
		}
		if n := len(cur.Highlights) - len(hs); n > 0 {
			fmt.Fprintf(&b, "\n…and %d more in the praise channel", n)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(slacktext.Truncate(b.String(), 3000)), nil, nil))
	}

	// Overdue commitments, by leader.
	if len(cur.Overdue) > 0 {
		byLeader := map[string][]stats.Commitment{}
		for _, c := range cur.Overdue {
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
				fmt.Fprintf(&b, "\n…and %d more leaders", len(leaders)-i)
				break
			}
			var items []string
			for j, c := range byLeader[l] {
				if j == 3 {
					items = append(items, fmt.Sprintf("%d more", len(byLeader[l])-j))
					break
				}
				items = append(items, fmt.Sprintf("“%s” for %s, due %s", slacktext.EscapeTruncate(c.Text, 120), userOrBot(c.Employee), c.Due))
			}
			fmt.Fprintf(&b, "\n• %s: %s", userOrBot(l), strings.Join(items, "; "))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(slacktext.Truncate(b.String(), 3000)), nil, nil))
	}
	text := slacktext.Truncate(fmt.Sprintf("Weekly digest %s: %s (%d inside the box, %d above), %d worked, %d didn't, %d praise, %s overdue.",
		period, countOf(cur.Decisions(), "decision"), cur.Inside, cur.Above, cur.Worked, cur.Failed, cur.PraiseGiven, countOf(len(cur.Overdue), "commitment")), 3000)
	return text, blocks
}

func userOrBot(id string) string {
	if id == "" {
		return "someone"
	}
	return slacktext.User(id)
}
