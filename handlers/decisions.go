package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
)

// Decide answers `/empower <activity> <amount> [for <customer>] [reason…]
// [#tag…]`, the fallback of every first word that is no subcommand: the
// decision is logged, inside the box as the requester's own call, above it
// as a pending escalation to the level the box routes it to.
func (h *Handlers) Decide(ctx context.Context, c *Command) (*Reply, error) {
	req, err := box.ParseDecision(h.policy(), c.Args)
	if err != nil {
		return nil, h.parseError(c, err)
	}
	p := h.policy()
	// answered is the answer Done gave, for the decision it was given for.
	var answered *domain.DecisionRecord
	var answer *Reply
	if ec := domain.EnvelopeClaimOf(ctx); ec != nil {
		// A decision inside the box is answered once stored: its envelope
		// is recorded handled with that answer in the same step. Above it,
		// the card is posted after the answer, under the claim.
		ec.Done = func(d *domain.DecisionRecord) []byte {
			if d.State == domain.StatePending {
				return nil
			}
			r := logReply(p, &d.Decision)
			b, err := r.Encode()
			if err != nil {
				return nil
			}
			answered, answer = d, r
			return b
		}
	}
	d, err := h.logDecision(ctx, c.TeamID, c.UserID, req)
	if err != nil {
		return nil, err
	}
	if d == answered {
		return answer, nil // the answer recorded with it: written once
	}
	return logReply(p, &d.Decision), nil
}

// parseError turns a parser error into what the person sees: the specific
// problem and the usage line. A first word that is neither a subcommand nor
// an activity is called that.
func (h *Handlers) parseError(c *Command, err error) error {
	var ie *box.InputError
	if !errors.As(err, &ie) {
		return err
	}
	msg := ie.Message
	if ie.Field == box.FieldActivity {
		first, _, _ := strings.Cut(strings.TrimSpace(c.Args), " ")
		// The parser says `Unknown activity "x": did you mean discount?`;
		// keep what follows the colon.
		hint := ie.Message
		if _, after, ok := strings.Cut(hint, ": "); ok {
			hint = after
		}
		msg = fmt.Sprintf("I don't know `%s`: it's neither a subcommand nor an activity", slacktext.Code(first))
		switch sub := command.Suggest(first); {
		case strings.HasPrefix(hint, "did you mean"):
			msg += "; " + slacktext.Escape(hint)
		case sub != "":
			msg += fmt.Sprintf("; did you mean `%s`?", sub)
		case hint != "":
			msg += ". " + slacktext.Escape(strings.ToUpper(hint[:1])+hint[1:])
		}
	} else {
		msg = slacktext.Escape(msg)
	}
	return domain.Invalidf("%s\n%s", msg, usage)
}

// logDecision logs req through the decisions service; a refusal of the
// input ends with the usage line.
func (h *Handlers) logDecision(ctx context.Context, team, user string, req box.Request) (*domain.DecisionRecord, error) {
	d, err := h.Decisions.Log(ctx, team, user, req)
	if domain.ErrorCode(err) == domain.Invalid {
		return nil, domain.Invalidf("%s\n%s", domain.ErrorMessage(err), usage)
	}
	return d, err
}

// LogModal answers `/empower` and `/empower log`: it opens the modal to log
// a decision.
func (h *Handlers) LogModal(ctx context.Context, c *Command) (*Reply, error) {
	if c.TriggerID == "" {
		return nil, domain.Invalidf("I can't open the form from here; type `/empower <activity> <amount>` instead.\n%s", usage)
	}
	if _, err := h.Slack.OpenViewContext(ctx, c.TriggerID, logDecisionView(h, c.ChannelID)); err != nil {
		return nil, fmt.Errorf("open log modal: %w", err)
	}
	return nil, nil
}

// Blocks of the log modal.
const (
	blockActivity = "activity"
	blockAmount   = "amount"
	blockCustomer = "customer"
	blockReason   = "reason"
	blockTags     = "tags"
)

// allowedTags lists the tags a decision may carry.
func (h *Handlers) allowedTags() []string { return box.AllowedTags(h.policy()) }

func logDecisionView(h *Handlers, channel string) slack.ModalViewRequest {
	var acts []*slack.OptionBlockObject
	for i, a := range h.policy().Activities {
		if i == 100 {
			break
		}
		o := slack.NewOptionBlockObject(slacktext.Truncate(a.Name, 75), plain(slacktext.Truncate(a.Name, 75)), nil)
		if a.Summary != "" {
			o.Description = plain(slacktext.Truncate(a.Summary, 75))
		}
		acts = append(acts, o)
	}
	actSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an activity"), "activity", acts...)
	amount := slack.NewPlainTextInputBlockElement(plain("250 or 1,250.50"), "amount")
	customer := slack.NewPlainTextInputBlockElement(plain("ACME"), "customer")
	customer.MaxLength = box.MaxCustomer
	reason := slack.NewPlainTextInputBlockElement(plain("What happened, and why you decided as you did"), "reason")
	reason.Multiline = true
	reason.MaxLength = box.MaxReason

	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn("Log a decision you made. Inside your box it's yours to make; above it, I'll bring in the leader who can clear it."), nil, nil),
		slack.NewInputBlock(blockActivity, plain("Activity"), nil, actSel),
		slack.NewInputBlock(blockAmount, plain("Amount ("+h.policy().Currency+")"), nil, amount),
		optionalInput(slack.NewInputBlock(blockCustomer, plain("Customer"), nil, customer)),
		optionalInput(slack.NewInputBlock(blockReason, plain("Reason"), nil, reason)),
	}
	var tagOpts []*slack.OptionBlockObject
	for i, t := range h.allowedTags() {
		if i == 100 {
			break
		}
		tagOpts = append(tagOpts, slack.NewOptionBlockObject(slacktext.Truncate(t, 75), plain(slacktext.Truncate("#"+t, 75)), nil))
	}
	if len(tagOpts) > 0 {
		tags := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Values and tags"), "tags", tagOpts...)
		blocks = append(blocks, optionalInput(slack.NewInputBlock(blockTags, plain("Tags"), nil, tags)))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewLogDecision,
		PrivateMetadata: channel,
		Title:           plain("Log a decision"),
		Submit:          plain("Log it"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func optionalInput(b *slack.InputBlock) *slack.InputBlock {
	b.Optional = true
	return b
}

// LogSubmit handles the log modal: every field is checked as the command
// checks it, problems are shown next to their field, and a valid decision
// is logged exactly as the command logs it; the modal then shows the answer.
func (h *Handlers) LogSubmit(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error) {
	req, errs := h.readLogForm(s)
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs), nil
	}
	d, err := h.logDecision(ctx, s.TeamID, s.UserID, req)
	if err != nil {
		return nil, err
	}
	reply := logReply(h.policy(), &d.Decision)
	if channel := s.PrivateMetadata; channel != "" {
		// The confirmation in the channel goes out after the modal's answer.
		domain.Later(ctx, func(ctx context.Context) {
			if _, err := h.Slack.PostEphemeralContext(ctx, channel, s.UserID, slack.MsgOptionText(reply.Text, false),
				slack.MsgOptionBlocks(reply.Blocks...)); err != nil {
				h.Log.Warn("could not post the confirmation", "team", s.TeamID, "decision", d.ID, "error", err.Error())
			}
		})
	}
	return slack.NewUpdateViewSubmissionResponse(&slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain("Logged " + d.ID),
		Close:  plain("Done"),
		Blocks: slack.Blocks{BlockSet: reply.Blocks},
	}), nil
}

// readLogForm validates the log modal's fields with the command's own
// checks; errors are keyed by block.
func (h *Handlers) readLogForm(s *Submission) (box.Request, map[string]string) {
	errs := map[string]string{}
	put := func(block string, err error) {
		var ie *box.InputError
		if errors.As(err, &ie) {
			errs[block] = ie.Message
		} else if err != nil {
			errs[block] = err.Error()
		}
	}
	var req box.Request
	act, err := box.CheckActivity(h.policy(), s.Input(blockActivity, "activity"))
	put(blockActivity, err)
	req.Activity = act.Name
	req.Amount, err = box.ParseAmount(s.Input(blockAmount, "amount"), h.policy().CurrencyOf(act))
	put(blockAmount, err)
	req.Customer = strings.TrimSpace(s.Input(blockCustomer, "customer"))
	put(blockCustomer, box.CheckCustomer(req.Customer))
	req.Reason = strings.TrimSpace(s.Input(blockReason, "reason"))
	put(blockReason, box.CheckReason(req.Reason))
	req.Tags, err = box.CheckTags(h.policy(), s.Selected(blockTags, "tags"))
	put(blockTags, err)
	return req, errs
}
