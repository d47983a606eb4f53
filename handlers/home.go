package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Limits of the App Home (Slack allows 100 blocks).
const (
	homeMaxBlocks     = 100
	homeActivities    = 15
	homePending       = 20 // pending approvals shown with buttons (2 blocks each)
	homeTeamsNamed    = 10 // teams named in the "you approve for" line
	homeCommitments   = 15 // commitments by the person shown with a Done button
	homeCommitmentsTo = 10
)

// HomeOpened handles app_home_opened: the person's Home tab is published and
// they are remembered, so that later changes that concern them refresh it.
func (h *Handlers) HomeOpened(ctx context.Context, e *Event) error {
	if ev, ok := e.Data.(*slackevents.AppHomeOpenedEvent); ok && ev.Tab != "" && ev.Tab != "home" {
		return nil // the Messages tab
	}
	if e.UserID == "" {
		return nil
	}
	return h.Insights.HomeOpened(ctx, e.TeamID, e.UserID)
}

// decisionPeople are the people whose Home shows d: its requester and every
// approver of the policy (an escalation moves it between their lists).
func (h *Handlers) decisionPeople(ctx context.Context, d *domain.DecisionRecord) []string {
	out := []string{d.Requester}
	for _, l := range h.policy().Levels {
		for _, id := range l.Approvers {
			if !strings.HasPrefix(id, "S") {
				out = append(out, id)
				continue
			}
			members, err := h.GroupMembers(ctx, d.Team, id)
			if err != nil {
				h.Log.Warn("could not resolve approvers for Home refresh", "group", id, "error", err.Error())
				continue
			}
			out = append(out, members...)
		}
	}
	return out
}

// touchDecision refreshes the Home of everyone d concerns.
func (h *Handlers) touchDecision(ctx context.Context, d *domain.DecisionRecord) {
	if h.Home == nil {
		return
	}
	if d.State == domain.StateAutonomous {
		h.Touched(ctx, d.Team, d.Requester) // no leader's list changes
		return
	}
	h.Touched(ctx, d.Team, h.decisionPeople(ctx, d)...)
}

// PublishHome renders home and publishes it as its person's App Home with
// views.publish (the insights Notifier).
func (h *Handlers) PublishHome(ctx context.Context, home *insights.Home) error {
	home, note := h.homeInZone(ctx, home)
	blocks := homeBlocks(h.policy(), home)
	if note != "" && len(blocks) < homeMaxBlocks {
		blocks = append(blocks[:1], append([]slack.Block{homeContext(note)}, blocks[1:]...)...)
	}
	v := slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home", Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := h.Slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: home.User, View: v}); err != nil {
		return fmt.Errorf("publish home of %s: %w", home.User, err)
	}
	return nil
}

// homeBlocks renders an App Home: the person's box, the approvals waiting
// for them (leaders), their last decisions, commitments by and to them and
// the latest praise they received; never more than 100 blocks.
func homeBlocks(p *domain.Policy, home *insights.Home) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain("Your empowerbot"))}
	if t := homeTeamText(home); t != "" {
		blocks = append(blocks, homeContext(t))
	}
	blocks = append(blocks, textSection(homeBoxText(home)))
	if home.Leader() {
		blocks = append(blocks, homeWaitingBlocks(p, home)...)
	}
	blocks = append(blocks, homeRecentBlocks(home)...)
	blocks = append(blocks, homeCommitmentBlocks(home)...)
	blocks = append(blocks, homePraiseBlocks(home)...)
	if len(blocks) > homeMaxBlocks {
		blocks = append(blocks[:homeMaxBlocks-1], homeContext("There is more than fits here; see `/empower commitments` and the escalations channel."))
	}
	if len(blocks) < homeMaxBlocks {
		blocks = append(blocks, homeContext(homeCanDoText(p, home)))
	}
	return blocks
}

// homeCanDoText says, in a line, what the bot can do for this person: a
// leader's tools, or a front-line person's.
func homeCanDoText(p *domain.Policy, home *insights.Home) string {
	act := "discount"
	if len(p.Activities) > 0 {
		act = p.Activities[0].Name
	}
	if home.Leader() {
		return ":bulb: What I can do for you: bring you what's above your people's box (answer it here or on the card), " +
			"keep track of what you promise your people (`/empower commit @name … by friday`), cover for you while you are away (`/empower away until …`), " +
			"and show how your teams are doing with `/empower stats`. `/empower help` lists everything."
	}
	return ":bulb: What I can do for you: record the calls you make on the spot (`/empower " + slacktext.Escape(act) + " 250 for ACME …`), " +
		"bring in a leader when one is above your box, pass on praise (`/empower praise @name …`) " +
		"and ask a leader for support (`/empower ask @leader …`). `/empower help` lists everything."
}

// homeTeamText names the person's policy team and the teams they approve
// for; "" under a policy without teams.
func homeTeamText(home *insights.Home) string {
	var parts []string
	if home.TeamName != "" {
		parts = append(parts, ":busts_in_silhouette: Your team: *"+slacktext.EscapeTruncate(home.TeamName, 100)+"*")
	}
	if len(home.Leads) > 0 {
		names := make([]string, 0, len(home.Leads))
		for i, t := range home.Leads {
			if i == homeTeamsNamed {
				names = append(names, fmt.Sprintf("%d more", len(home.Leads)-i))
				break
			}
			names = append(names, "*"+slacktext.EscapeTruncate(t, 100)+"*")
		}
		parts = append(parts, "You approve for "+joinAnd(names))
	}
	return strings.Join(parts, " · ")
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// homeContext is a context line of mrkdwn.
func homeContext(s string) slack.Block { return slack.NewContextBlock("", mrkdwn(s)) }

// homeBoxText is the box: the person's own, or for a leader their people's
// and what comes to them.
func homeBoxText(home *insights.Home) string {
	top := home.TopLevel()
	var b strings.Builder
	who := "yours"
	if top >= 0 {
		who = "theirs"
		b.WriteString("*Your people's box*: up to these amounts the call is theirs to make, no one to ask. Above it, it comes to you.")
	} else {
		b.WriteString("*Your box*: up to these amounts the call is yours to make, no one to ask.")
	}
	for i, al := range home.Box {
		if i == homeActivities {
			fmt.Fprintf(&b, "\n…and %d more activities: `/empower box` lists them all.", len(home.Box)-i)
			break
		}
		fmt.Fprintf(&b, "\n• *%s*: %s up to *%s*", slacktext.EscapeTruncate(al.Activity, 60), who, al.Frontline.Format(al.Currency))
		if al.Own != nil {
			fmt.Fprintf(&b, ", earned: raised from %s by %s on %s", al.Policy.Format(al.Currency), slacktext.User(al.Own.By), al.Own.At.In(home.Loc).Format("Mon Jan 2"))
			if al.Capped {
				level := al.Own.Level
				if level == "" && len(al.Levels) > 0 {
					level = al.Levels[0].Name
				}
				fmt.Fprintf(&b, " (for now no more than a %s approves)", slacktext.EscapeTruncate(domain.RoleName(level), 60))
			}
		}
		for _, ll := range al.Levels {
			switch {
			case top < 0 || ll.Level != top:
			case ll.NoLimit:
				b.WriteString("; you approve any amount that reaches you")
			default:
				fmt.Fprintf(&b, "; you approve up to *%s*", ll.Limit.Format(al.Currency))
			}
		}
	}
	if len(home.AlwaysEscalate) > 0 {
		parts := make([]string, len(home.AlwaysEscalate))
		for i, t := range home.AlwaysEscalate {
			parts[i] = "#" + slacktext.EscapeTruncate(t.Tag, 40)
		}
		b.WriteString("\n:shield: Always to a leader: " + strings.Join(parts, " "))
	}
	return b.String()
}

// homeWaitingBlocks are the approvals waiting for a leader, with the same
// buttons as the escalation card.
func homeWaitingBlocks(p *domain.Policy, home *insights.Home) []slack.Block {
	out := []slack.Block{slack.NewDividerBlock(), textSection(fmt.Sprintf(":raised_hand: *Waiting for your answer* (%d)", len(home.Waiting)))}
	if len(home.Waiting) == 0 {
		out = append(out, homeContext("Nothing waits for you. Your people are deciding on their own."))
	}
	for i, d := range home.Waiting {
		if i == homePending {
			out = append(out, homeContext(fmt.Sprintf("…and %d more in %s.", len(home.Waiting)-i, channelMention(p.Channels.Escalations))))
			break
		}
		line := fmt.Sprintf("`%s` %s asks: %s · for the *%s* · asked %s", d.ID, slacktext.User(d.Requester), summary(&d),
			slacktext.Escape(domain.RoleName(d.LevelName)), dates.ClockText(d.CreatedAt, home.Now, home.Loc))
		if d.TeamName != "" {
			line += " · team *" + slacktext.EscapeTruncate(d.TeamName, 100) + "*"
		}
		if d.Reason != "" {
			line += "\n_" + slacktext.EscapeTruncate(d.Reason, 300) + "_"
		}
		if progress := approvalProgress(p, &d); progress != "" {
			line += "\n" + progress
		}
		ab := decisionButtons(p, &d, d.Level)
		ab.BlockID = "home-" + d.ID
		out = append(out, textSection(line), ab)
	}
	return out
}

// homeRecentBlocks are the person's last decisions and their state.
func homeRecentBlocks(home *insights.Home) []slack.Block {
	out := []slack.Block{slack.NewDividerBlock(), textSection(":memo: *Your recent decisions*")}
	if len(home.Recent) == 0 {
		return append(out, homeContext("None yet. Type `/empower <activity> <amount>` to log one."))
	}
	lines := make([]string, len(home.Recent))
	for i, d := range home.Recent {
		lines[i] = fmt.Sprintf("• `%s` %s · %s", d.ID, summary(&d), decisionStateText(d, home.Now, home.Loc))
	}
	return append(out, textSection(strings.Join(lines, "\n")))
}

// homeCommitmentBlocks are the open commitments by the person (each with a
// Done button) and to them.
func homeCommitmentBlocks(home *insights.Home) []slack.Block {
	out := []slack.Block{slack.NewDividerBlock(), textSection(":handshake: *Commitments*")}
	if len(home.Made)+len(home.Received) == 0 {
		out = append(out, homeContext("No open commitments by you or to you."))
	}
	today := dates.Of(home.Now.In(home.Loc))
	for i, c := range home.Made {
		if i == homeCommitments {
			out = append(out, homeContext(fmt.Sprintf("…and %d more you made: `/empower commitments` lists them all.", len(home.Made)-i)))
			break
		}
		btn := slack.NewButtonBlockElement(ActionCommitmentDone, c.ID, plain("Done")).WithStyle(slack.StylePrimary)
		to := userOrBot(c.Employee)
		if c.ToTeam {
			to = teamWords(c.TeamName)
		}
		out = append(out, slack.NewSectionBlock(mrkdwn(slacktext.Truncate(fmt.Sprintf("You promised %s: “%s” · %s",
			to, slacktext.EscapeTruncate(c.Text, 500), homeDueText(c.Due, today)), 3000)), nil, slack.NewAccessory(btn)))
	}
	if len(home.Received) == 0 {
		return out
	}
	var b strings.Builder
	for i, c := range home.Received {
		if i == homeCommitmentsTo {
			fmt.Fprintf(&b, "\n…and %d more", len(home.Received)-i)
			break
		}
		if i > 0 {
			b.WriteString("\n")
		}
		whom := "you"
		if c.ToTeam {
			whom = "your team"
		}
		fmt.Fprintf(&b, "• %s promised %s: “%s” · %s", userOrBot(c.Leader), whom, slacktext.EscapeTruncate(c.Text, 300), homeDueText(c.Due, today))
	}
	return append(out, textSection(b.String()))
}

// homeDueText is "due Thu Mar 5", or "*overdue* since Sun Mar 1" when due
// is before today.
func homeDueText(due string, today dates.Date) string {
	d, err := dates.ParseISO(due)
	if err != nil {
		return "due " + slacktext.Escape(due)
	}
	if d.Before(today) {
		return "*overdue* since " + d.Human(today)
	}
	return "due " + d.Human(today)
}

// homePraiseBlocks show the latest praise the person received, if any.
func homePraiseBlocks(home *insights.Home) []slack.Block {
	if home.Praise == nil {
		return nil
	}
	pr := home.Praise
	what := "“" + slacktext.EscapeTruncate(pr.Text, 1000) + "”"
	if pr.Reaction != "" && pr.Text == "" {
		what = fmt.Sprintf(":%s: on your message in %s", pr.Reaction, channelMention(pr.Channel))
	}
	return []slack.Block{slack.NewDividerBlock(), textSection(fmt.Sprintf(":tada: *Latest praise for you*, from %s · %s\n%s",
		userOrBot(pr.From), dates.ClockText(pr.At, home.Now, home.Loc), what))}
}

// decisionStateText is a decision's state for the Home: "inside your box",
// "approved by @bob", "waiting for team-lead".
func decisionStateText(d domain.Decision, now time.Time, loc *time.Location) string {
	switch d.State {
	case domain.StateAutonomous:
		return ":white_check_mark: inside your box · " + dates.ClockText(d.CreatedAt, now, loc)
	case domain.StateApproved:
		return ":white_check_mark: approved by " + decisions.DecidedByText(&d) + " · " + dates.ClockText(d.DecidedAt, now, loc)
	case domain.StateDeclined:
		return ":no_entry: declined by " + decisions.DecidedByText(&d) + " · " + dates.ClockText(d.DecidedAt, now, loc)
	case domain.StatePending:
		return ":hourglass_flowing_sand: waiting for the *" + slacktext.Escape(domain.RoleName(d.LevelName)) + "*"
	}
	return string(d.State)
}
