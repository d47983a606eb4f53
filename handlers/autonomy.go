package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/service/autonomy"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Earned autonomy in Slack (PRODUCT.md "Beyond the box"): the proposal DM
// to a person's first-level leaders with Raise to $X and Not now, its
// update once one of them answered, the good news to the person, the kind
// word after a reset, and `/empower box @person reset <activity>`.

// The action IDs of a proposal DM's buttons; their value is the proposal ID.
const (
	ActionRaise  = "autonomy_raise"
	ActionNotNow = "autonomy_not_now"
)

var _ autonomy.Notifier = AutonomyNotifier{}

// AutonomyNotifier implements autonomy.Notifier over the Web API.
type AutonomyNotifier struct{ H *Handlers }

// plural is the activity's name for several decisions ("discounts").
func plural(activity string) string {
	if strings.HasSuffix(activity, "s") {
		return activity
	}
	return activity + "s"
}

// countOfActivity is n decisions of activity: "1 discount", "5 discounts".
func countOfActivity(n int, activity string) string {
	if n == 1 {
		return "1 " + slacktext.Escape(activity)
	}
	return fmt.Sprintf("%d %s", n, slacktext.Escape(plural(activity)))
}

// streakDates is when a streak's decisions were logged: "Nov 3" or
// "Nov 3 – Dec 1", in loc.
func streakDates(pr *domain.Proposal, loc *time.Location) string {
	first, last := pr.First.In(loc).Format("Jan 2"), pr.Last.In(loc).Format("Jan 2")
	if first == last {
		return first
	}
	return first + " – " + last
}

// proposalHead is the question of pr, offering amount: "Alice's last 5
// discounts above their $500 box were all approved and none failed; the
// largest was $900. Raise their discount box to $900?"
func proposalHead(pr *domain.Proposal, amount money.Amount) string {
	act := slacktext.Escape(pr.Activity)
	if pr.Count == 1 {
		return fmt.Sprintf("%s's last %s above their %s box was approved and didn't fail; it was %s. Raise their %s box to %s?",
			slacktext.User(pr.Person), act, pr.Limit.Format(pr.Currency), pr.Largest.Format(pr.Currency), act, amount.Format(pr.Currency))
	}
	return fmt.Sprintf("%s's last %d %s above their %s box were all approved and none failed; the largest was %s. Raise their %s box to %s?",
		slacktext.User(pr.Person), pr.Count, slacktext.Escape(plural(pr.Activity)), pr.Limit.Format(pr.Currency),
		pr.Largest.Format(pr.Currency), act, amount.Format(pr.Currency))
}

// proposalBlocks renders pr's DM to a leader who may raise it to amount:
// the question, the evidence, and the buttons while it is open, or what
// happened once answered.
func proposalBlocks(p *domain.Policy, pr *domain.Proposal, amount money.Amount, now time.Time) (string, []slack.Block) {
	head := proposalHead(pr, amount)
	ids := make([]string, 0, len(pr.Decisions))
	for i, id := range pr.Decisions {
		if i == 10 {
			ids = append(ids, fmt.Sprintf("and %d more", len(pr.Decisions)-i))
			break
		}
		ids = append(ids, "`"+slacktext.Code(id)+"`")
	}
	evidence := fmt.Sprintf(":mag: %s, %s (%s): each approved by a leader, none reported as not working.",
		countOfActivity(pr.Count, pr.Activity), streakDates(pr, p.Location), strings.Join(ids, ", "))
	if amount < pr.Largest {
		evidence += fmt.Sprintf(" Your own limit for %s stops at %s, so that's what you can raise it to.", slacktext.Escape(plural(pr.Activity)), amount.Format(pr.Currency))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(":seedling: *"+head+"*"), nil, nil, slack.SectionBlockOptionBlockID("head")),
		slack.NewContextBlock("evidence", mrkdwn(evidence)),
	}
	text := head
	switch pr.State {
	case domain.ProposalRaised:
		line := fmt.Sprintf("%s raised %s's %s box to %s (%s).", slacktext.User(pr.AnsweredBy), slacktext.User(pr.Person),
			slacktext.Escape(pr.Activity), pr.RaisedTo.Format(pr.Currency), dates.ClockText(pr.AnsweredAt, now, p.Location))
		text = line
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(":white_check_mark: *"+line+"*"), nil, nil, slack.SectionBlockOptionBlockID("answer")))
	case domain.ProposalDeferred:
		line := fmt.Sprintf("%s said not now (%s).", slacktext.User(pr.AnsweredBy), dates.ClockText(pr.AnsweredAt, now, p.Location))
		text = line
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(":hourglass: *"+line+"* Their box stays as it is; I'll ask again after their next streak."),
			nil, nil, slack.SectionBlockOptionBlockID("answer")))
	default:
		blocks = append(blocks,
			slack.NewContextBlock("what", mrkdwn(fmt.Sprintf("With a raise, %s up to %s are theirs to make, no one to ask; above it they still come to you. You can take it back any time: /empower box %s reset %s",
				slacktext.Escape(plural(pr.Activity)), amount.Format(pr.Currency), slacktext.User(pr.Person), slacktext.Escape(pr.Activity)))),
			slack.NewActionBlock("actions",
				slack.NewButtonBlockElement(ActionRaise, pr.ID, plain("Raise to "+amount.Format(pr.Currency))).WithStyle(slack.StylePrimary),
				slack.NewButtonBlockElement(ActionNotNow, pr.ID, plain("Not now"))))
	}
	return slacktext.Truncate(text, 3000), blocks
}

// SendProposal implements autonomy.Notifier.
func (n AutonomyNotifier) SendProposal(ctx context.Context, pr *domain.Proposal, approver string, amount money.Amount) (domain.MessageRef, error) {
	h := n.H
	text, blocks := proposalBlocks(h.policy(), pr, amount, h.Clock.Now())
	ch, ts, err := h.DM(ctx, pr.Team, approver, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return domain.MessageRef{}, fmt.Errorf("send proposal %s: %w", pr.ID, err)
	}
	return domain.MessageRef{Channel: ch, TS: ts}, nil
}

// ShowAnswer implements autonomy.Notifier.
func (n AutonomyNotifier) ShowAnswer(ctx context.Context, pr *domain.Proposal, approver string, at domain.MessageRef) error {
	h := n.H
	text, blocks := proposalBlocks(h.policy(), pr, pr.RaisedTo, h.Clock.Now())
	if _, _, _, err := h.Slack.UpdateMessageContext(ctx, at.Channel, at.TS,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("update proposal %s to %s: %w", pr.ID, approver, err)
	}
	return nil
}

// TellRaised implements autonomy.Notifier; when ctx finishes an earlier
// handling of the click, news sent before the crash is not sent again.
func (n AutonomyNotifier) TellRaised(ctx context.Context, pr *domain.Proposal) error {
	text := fmt.Sprintf(":tada: Good news: your %s box grew to %s, thanks to your track record. Your last %d %s above your %s box were all approved and none failed, so %s raised it. From now on, %s up to %s are yours to make, no one to ask.",
		slacktext.Escape(pr.Activity), pr.RaisedTo.Format(pr.Currency), pr.Count, slacktext.Escape(plural(pr.Activity)),
		pr.Limit.Format(pr.Currency), slacktext.User(pr.AnsweredBy), slacktext.Escape(plural(pr.Activity)), pr.RaisedTo.Format(pr.Currency))
	if _, _, err := n.H.dmOnce(ctx, pr.Team, pr.Person, slackapi.PostTag("raised", pr.ID), slack.MsgOptionText(text, false)); err != nil {
		return fmt.Errorf("tell %s of raise %s: %w", pr.Person, pr.ID, err)
	}
	return nil
}

// TellReset implements autonomy.Notifier.
func (n AutonomyNotifier) TellReset(ctx context.Context, team, user, leader string, act domain.Activity, currency string, own, policy money.Amount) error {
	text := fmt.Sprintf(":handshake: %s has set your %s box back to the usual %s for now (it was %s). It's no mark against you: above %s a leader simply joins the call again, and every decision that goes well counts toward the next raise. Ask %s if you'd like to know why.",
		slacktext.User(leader), slacktext.Escape(act.Name), policy.Format(currency), own.Format(currency), policy.Format(currency), slacktext.User(leader))
	if _, _, err := n.H.DM(ctx, team, user, slack.MsgOptionText(text, false)); err != nil {
		return fmt.Errorf("tell %s of a reset: %w", user, err)
	}
	return nil
}

// Touched implements autonomy.Notifier.
func (n AutonomyNotifier) Touched(ctx context.Context, team string, users ...string) {
	n.H.Touched(ctx, team, users...)
}

// RaiseClick handles a proposal's Raise button (autonomy.Service.Raise).
func (h *Handlers) RaiseClick(ctx context.Context, a *Action) error {
	_, err := h.Autonomy.Raise(ctx, a.TeamID, a.Value, a.UserID)
	return err
}

// NotNowClick handles a proposal's Not now button (autonomy.Service.NotNow).
func (h *Handlers) NotNowClick(ctx context.Context, a *Action) error {
	_, err := h.Autonomy.NotNow(ctx, a.TeamID, a.Value, a.UserID)
	return err
}

// boxReset answers `/empower box @person reset <activity>`.
func (h *Handlers) boxReset(ctx context.Context, c *Command, user, activity string) (*Reply, error) {
	if activity == "" {
		return nil, domain.Invalidf("Say which activity to reset, e.g. `/empower box %s reset discount`.\n%s", slacktext.User(user), boxUsage)
	}
	own, policy, err := h.Autonomy.Reset(ctx, c.TeamID, c.UserID, user, activity)
	if err != nil {
		return nil, err
	}
	act, _ := box.CheckActivity(h.policy(), activity)
	cur := h.policy().CurrencyOf(act)
	return Text(fmt.Sprintf(":ok_hand: Done: %s's %s box is back to the usual %s (it was %s). I've let them know it's no mark against them; their next streak counts from now.",
		slacktext.User(user), slacktext.Escape(act.Name), policy.Format(cur), own.Format(cur))), nil
}

// ownLimitText says where a person's own limit for al came from, for the
// box: "raised from $500 by @bob on Wed Dec 2", and, when a level limit
// now holds it lower, where it stops for now.
func ownLimitText(p *domain.Policy, al box.ActivityLimits) string {
	if al.Own == nil {
		return ""
	}
	o := al.Own
	when := o.At.In(p.Location).Format("Mon Jan 2")
	if al.Capped {
		level := o.Level
		if level == "" {
			level = p.LevelName(0)
		}
		return fmt.Sprintf(" (earned: raised to %s by %s on %s; for now it stops at %s, the most a %s approves)",
			o.Amount.Format(al.Currency), slacktext.User(o.By), when, al.Frontline.Format(al.Currency), slacktext.Escape(domain.RoleName(level)))
	}
	return fmt.Sprintf(" (earned: raised from %s by %s on %s)", al.Policy.Format(al.Currency), slacktext.User(o.By), when)
}
