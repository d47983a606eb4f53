package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/stats"
)

// statsUsage is the usage line of `/empower stats`, from the subcommand
// table.
var statsUsage = command.MustLookup("stats").Usage()

// maxStatsActivities bounds the activities listed in one figures section.
const maxStatsActivities = 15

// parseStatsWindow reads the window of `/empower stats`: "", "7d" or "30d".
func parseStatsWindow(args string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "", "7d":
		return 7, true
	case "30d":
		return 30, true
	}
	return 0, false
}

// Stats answers `/empower stats [7d|30d]`: leaders (approvers in the policy)
// see their team's figures, everyone else their own. The answer is private.
func (h *Handlers) Stats(ctx context.Context, c *Command) (*Reply, error) {
	days, ok := parseStatsWindow(c.Args)
	if !ok {
		return nil, domain.Invalidf("I can show stats for the last `7d` or `30d`, not `%s`.\n%s", slacktext.Code(c.Args), statsUsage)
	}
	st, err := h.Insights.Stats(ctx, c.TeamID, c.UserID, days)
	if err != nil {
		return nil, err
	}
	return statsReply(st), nil
}

// statsReply renders the answer to `/empower stats`.
func statsReply(st *insights.Stats) *Reply {
	title := fmt.Sprintf(":bar_chart: *Your outcomes, last %d days*", st.Days)
	note := "Only you see these. `/empower stats 30d` for the last 30 days."
	if st.Team {
		title = fmt.Sprintf(":bar_chart: *Your team's outcomes, last %d days*", st.Days)
		note = "You see your team's figures because you approve escalations. `/empower stats 30d` for the last 30 days."
	}
	var byTeam []slack.Block
	switch {
	case len(st.Teams) == 1 && st.Teams[0].Name == "":
		title = fmt.Sprintf(":bar_chart: *Outcomes of the people in no team, last %d days*", st.Days)
		note = "You see their figures because you approve for them. `/empower stats 30d` for the last 30 days."
	case len(st.Teams) == 1:
		title = fmt.Sprintf(":bar_chart: *Team %s: outcomes, last %d days*", teamLabel(&st.Teams[0]), st.Days)
		note = "You see this team's figures because you approve for it. `/empower stats 30d` for the last 30 days."
	case len(st.Teams) > 1:
		title = fmt.Sprintf(":bar_chart: *Your teams' outcomes, last %d days*", st.Days)
		note = "You see the teams you approve for: each on its own line, then all of them together. `/empower stats 30d` for the last 30 days."
		byTeam = teamLineBlocks("*By team*", st.Teams)
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(title), nil, nil)}
	blocks = append(blocks, byTeam...)
	blocks = append(blocks, FigureBlocks(&st.Figures, nil)...)
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(note)))
	return &Reply{Text: FiguresText(&st.Figures, title), Blocks: blocks}
}

// Limits of the per-team lines.
const (
	maxTeamLines     = 100 // teams listed one per line
	teamLineSections = 5   // sections the lines may fill
)

// teamLabel is a team's name as shown, escaped ("no team" for the people
// in none).
func teamLabel(t *insights.TeamFigures) string {
	return slacktext.EscapeTruncate(t.Label(), 100)
}

// teamLine is one team's week in a line.
func teamLine(t *insights.TeamFigures) string {
	f := &t.Figures
	return fmt.Sprintf("• *%s*: %s (%d inside the box, %d above) · %d approved, %d declined · %d worked, %d didn't · %d overdue · %s",
		teamLabel(t), countOf(f.Decisions(), "decision"), f.Inside, f.Above, f.Approved, f.Declined, f.Worked, f.Failed, len(f.Overdue), teamRateText(f))
}

// teamRateText is a team's feedback response rate in a few words, none
// for fewer people than the anonymity floor.
func teamRateText(f *stats.Figures) string {
	rate, ok := f.FeedbackRate()
	switch {
	case !ok || f.People() == 0:
		return "no feedback round"
	case f.RateHidden():
		return fmt.Sprintf("feedback rate kept private (fewer than %d people)", f.Floor)
	}
	return fmt.Sprintf("feedback %d%% answered", rate)
}

// teamLineBlocks are a titled line per team, in as many sections as they
// need (each within Slack's 3,000 characters), at most teamLineSections
// sections and maxTeamLines lines; the teams left out are counted.
func teamLineBlocks(title string, teams []insights.TeamFigures) []slack.Block {
	const room = 3000 - 40 // a section, less room for the count of the rest
	var blocks []slack.Block
	var b strings.Builder
	b.WriteString(title)
	for i := range teams {
		line := teamLine(&teams[i])
		full := b.Len()+1+len(line) > room
		if i == maxTeamLines || full && len(blocks)+1 == teamLineSections {
			fmt.Fprintf(&b, "\n…and %s", moreOf(len(teams)-i, "team", "teams"))
			break
		}
		if full {
			blocks = append(blocks, textSection(b.String()))
			b.Reset()
		} else {
			b.WriteString("\n")
		}
		b.WriteString(line)
	}
	return append(blocks, textSection(b.String()))
}

// FiguresText is a plain summary of f for notifications and fallbacks.
func FiguresText(f *stats.Figures, title string) string {
	return slacktext.Truncate(fmt.Sprintf("%s: %s (%d inside the box, %d above), %d approved, %d declined, %d worked, %d didn't.",
		strings.Trim(title, ":*bar_chart "), countOf(f.Decisions(), "decision"), f.Inside, f.Above, f.Approved, f.Declined, f.Worked, f.Failed), 3000)
}

// countOf writes n and the noun, plural unless n is 1 ("1 decision", "3 decisions").
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// moreOf is n of a noun, in its singular one or its plural many ("1 more
// activity", "3 more activities").
func moreOf(n int, one, many string) string {
	if n == 1 {
		return "1 more " + one
	}
	return fmt.Sprintf("%d more %s", n, many)
}

// delta is " (+2 vs last week)" when prev is known.
func delta(cur, prev int, prevOK bool) string {
	if !prevOK {
		return ""
	}
	switch d := cur - prev; {
	case d > 0:
		return fmt.Sprintf(" _(+%d vs last week)_", d)
	case d < 0:
		return fmt.Sprintf(" _(−%d vs last week)_", -d)
	}
	return " _(same as last week)_"
}

// FigureBlocks renders f as sections, one per topic; with prev (the window
// before) each count shows its change.
func FigureBlocks(f *stats.Figures, prev *stats.Figures) []slack.Block {
	p, has := stats.Figures{}, prev != nil
	if has {
		p = *prev
	}
	blocks := []slack.Block{
		textSection(decisionFigures(f, &p, has)),
		textSection(escalationFigures(f, &p, has)),
		textSection(outcomeFigures(f, &p, has)),
		textSection(commitmentFigures(f, &p, has)),
	}
	if s := autonomyFigures(f, &p, has); s != "" {
		blocks = append(blocks, textSection(s))
	}
	return blocks
}

// maxLimitChanges bounds the raises and resets listed by name.
const maxLimitChanges = 5

// autonomyFigures counts the limits raised and reset (earned autonomy),
// naming the latest; "" when there were none in either window.
func autonomyFigures(f, p *stats.Figures, has bool) string {
	if f.LimitsRaised+f.LimitsReset == 0 && (!has || p.LimitsRaised+p.LimitsReset == 0) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Earned autonomy*: %s raised%s, %d reset%s",
		countOf(f.LimitsRaised, "limit"), delta(f.LimitsRaised, p.LimitsRaised, has), f.LimitsReset, delta(f.LimitsReset, p.LimitsReset, has))
	cs := f.LimitChanges
	if len(cs) > maxLimitChanges {
		fmt.Fprintf(&b, "\n…and %d earlier", len(cs)-maxLimitChanges)
		cs = cs[len(cs)-maxLimitChanges:]
	}
	for _, c := range cs {
		verb := "raised"
		if c.Kind == string(domain.EventAutonomyReset) {
			verb = "reset"
		}
		fmt.Fprintf(&b, "\n• %s's %s box %s from %s to %s by %s", slacktext.User(c.Person), slacktext.EscapeTruncate(c.Activity, 60),
			verb, c.From.Format(c.Currency), c.To.Format(c.Currency), userOrBot(c.By))
	}
	return b.String()
}

// decisionFigures counts the decisions, per activity.
func decisionFigures(f, p *stats.Figures, has bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Decisions*: %d%s · *%d inside the box*%s, %d above it%s",
		f.Decisions(), delta(f.Decisions(), p.Decisions(), has), f.Inside, delta(f.Inside, p.Inside, has), f.Above, delta(f.Above, p.Above, has))
	for i, a := range f.Activities {
		if i == maxStatsActivities {
			fmt.Fprintf(&b, "\n…and %s", moreOf(len(f.Activities)-i, "activity", "activities"))
			break
		}
		fmt.Fprintf(&b, "\n• %s: %d inside (%s), %d above (%s)", slacktext.EscapeTruncate(a.Name, 60),
			a.Inside, money.Amount(a.InsideAmount).Format(a.Currency), a.Above, money.Amount(a.AboveAmount).Format(a.Currency))
	}
	return b.String()
}

// roleTitle is a level's name as a role at the start of a line: "Team
// lead" for team-lead.
func roleTitle(level string) string {
	r := domain.RoleName(level)
	if r == "" {
		return r
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

// escalationFigures counts the escalations per level and the leaders'
// answers, with how fast they came.
func escalationFigures(f, p *stats.Figures, has bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Escalations*: %d%s", f.Escalations(), delta(f.Escalations(), p.Escalations(), has))
	if len(f.EscalationsByLevel) > 0 {
		names := make([]string, 0, len(f.EscalationsByLevel))
		for n := range f.EscalationsByLevel {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s: %d", slacktext.EscapeTruncate(roleTitle(n), 60), f.EscalationsByLevel[n])
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	fmt.Fprintf(&b, " · %d timed out%s", f.Timeouts, delta(f.Timeouts, p.Timeouts, has))
	fmt.Fprintf(&b, "\n*Leaders' answers*: %d approved, %d declined", f.Approved, f.Declined)
	if f.Answered > 0 {
		fmt.Fprintf(&b, " · time to answer: median *%s*, p90 %s", elapsedText(f.MedianAnswer), elapsedText(f.P90Answer))
		if has && p.Answered > 0 {
			fmt.Fprintf(&b, " _(median last week %s)_", elapsedText(p.MedianAnswer))
		}
	}
	return b.String()
}

// outcomeFigures counts the outcomes and the praise.
func outcomeFigures(f, p *stats.Figures, has bool) string {
	s := fmt.Sprintf("*Outcomes*: %d worked%s, %d didn't%s, %d not answered yet",
		f.Worked, delta(f.Worked, p.Worked, has), f.Failed, delta(f.Failed, p.Failed, has), f.Unanswered)
	if f.User != "" {
		return s + fmt.Sprintf("\n*Praise*: %d given, %d received · %s", f.PraiseGiven, f.PraiseReceived, countOf(f.WinsPosted, "win")) + reactionFigures(f, p, false)
	}
	return s + fmt.Sprintf("\n*Praise*: %d given%s · %s%s", f.PraiseGiven, delta(f.PraiseGiven, p.PraiseGiven, has), countOf(f.WinsPosted, "win"), delta(f.WinsPosted, p.WinsPosted, has)) +
		reactionFigures(f, p, has)
}

// reactionFigures is the line of praise given by reaction, when there was
// any (now or in the period before).
func reactionFigures(f, p *stats.Figures, has bool) string {
	if f.PraiseByReaction == 0 && (!has || p.PraiseByReaction == 0) {
		return ""
	}
	return fmt.Sprintf("\n*Praise by reaction*: %d of the praise given%s", f.PraiseByReaction, delta(f.PraiseByReaction, p.PraiseByReaction, has))
}

// commitmentFigures gives the feedback rounds' response rates (team
// figures only; hidden for fewer people than the anonymity floor), what
// leaders did with the answers, and the commitments kept.
func commitmentFigures(f, p *stats.Figures, has bool) string {
	var b strings.Builder
	if f.User == "" {
		b.WriteString(feedbackRateLine(f, true))
		b.WriteString("\n")
	}
	replies := fmt.Sprintf("%d replies", f.Replies)
	if f.Replies == 1 {
		replies = "1 reply"
	}
	fmt.Fprintf(&b, "*Closing the loop*: %s to feedback%s · %s from feedback, %d kept%s\n",
		replies, delta(f.Replies, p.Replies, has), countOf(f.LoopMade, "commitment"), f.LoopKept, delta(f.LoopKept, p.LoopKept, has))
	fmt.Fprintf(&b, "*Commitments*: %d done on time%s, %d late, *%d overdue now*", f.OnTime, delta(f.OnTime, p.OnTime, has), f.Late, len(f.Overdue))
	return b.String()
}

// feedbackRateLine is the response rate of f's rounds, with a line per
// round when rounds is set; hidden when fewer people than the anonymity
// floor were asked.
func feedbackRateLine(f *stats.Figures, rounds bool) string {
	rate, ok := f.FeedbackRate()
	switch {
	case !ok || f.People() == 0:
		return "*Feedback*: no round in this period"
	case f.RateHidden():
		return fmt.Sprintf("*Feedback*: the response rate stays private, so no one can be singled out: fewer than %d people were asked", f.Floor)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Feedback*: %d%% answered", rate)
	if !rounds {
		return b.String()
	}
	for i, r := range f.Rounds {
		if i == 5 {
			fmt.Fprintf(&b, "\n…and %s", moreOf(len(f.Rounds)-i, "round", "rounds"))
			break
		}
		fmt.Fprintf(&b, "\n• _%s_: %d of %d answered (%d%%)", slacktext.EscapeTruncate(r.Question, 120), r.Answered, r.Sent, r.RatePct)
	}
	return b.String()
}

// textSection is a mrkdwn section within Slack's 3,000 characters.
func textSection(s string) slack.Block {
	return slack.NewSectionBlock(mrkdwn(slacktext.Truncate(s, 3000)), nil, nil)
}
