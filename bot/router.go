package bot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/handlers"
)

// Router maps slash subcommands, block action IDs, view callback IDs and event
// types to handlers. Build it before Run; it is read-only afterwards.
type Router struct {
	slash    map[string]handlers.CommandFunc
	fallback handlers.CommandFunc
	actions  map[string]handlers.ActionFunc
	views    map[string]handlers.SubmissionFunc
	events   map[string]handlers.EventFunc
	// anonymous lists action IDs and view callback IDs whose person the
	// runtime never logs nor messages (anonymous feedback).
	anonymous map[string]bool
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{
		slash:   make(map[string]handlers.CommandFunc),
		actions: make(map[string]handlers.ActionFunc),
		views:   make(map[string]handlers.SubmissionFunc),
		events:  make(map[string]handlers.EventFunc),

		anonymous: make(map[string]bool),
	}
}

// Anonymous marks an action ID or view callback ID as anonymous: the
// runtime logs its envelopes without the user and never DMs the person about
// an error (the handler answers in the ack or through its own channel).
func (r *Router) Anonymous(route string) { r.anonymous[route] = true }

// Slash routes `/empower <sub> …` to h. The empty sub is `/empower` alone.
func (r *Router) Slash(sub string, h handlers.CommandFunc) { r.slash[sub] = h }

// Fallback routes every slash command whose first word is no subcommand
// (e.g. `/empower discount 250`); its Command.Args is the whole text.
func (r *Router) Fallback(h handlers.CommandFunc) { r.fallback = h }

// Action routes clicks on buttons with this action_id.
func (r *Router) Action(actionID string, h handlers.ActionFunc) { r.actions[actionID] = h }

// View routes submissions of modals with this callback_id.
func (r *Router) View(callbackID string, h handlers.SubmissionFunc) { r.views[callbackID] = h }

// Event routes Events API events of this inner type.
func (r *Router) Event(eventType string, h handlers.EventFunc) { r.events[eventType] = h }

// EventTypes lists the inner event types routed, sorted.
func (r *Router) EventTypes() []string {
	out := make([]string, 0, len(r.events))
	for t := range r.events {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// routeDecision is the route of the fallback, `/empower <activity> <amount>
// …`. The bot hands its envelope's claim to the handler's first state change
// (domain.EnvelopeClaim: the decision's script claims it in the same step)
// instead of claiming it before the handler runs.
const routeDecision = "decision"

// command finds the handler of c, adjusting c.Args for the fallback.
func (r *Router) command(c *handlers.Command) (handlers.CommandFunc, string) {
	if h, ok := r.slash[c.Sub]; ok {
		return h, c.Sub
	}
	c.Args = c.Text
	// The fallback is `/empower <activity> <amount> …`: a decision.
	return r.fallback, routeDecision
}

// Routes lists every route of the product. The slash routes come from the
// subcommand table (package command), each bound to the handler that
// h.Subcommands gives for its name; it fails when the two do not match. Each
// feature adds its actions, views and events here.
func Routes(h *handlers.Handlers) (*Router, error) {
	r := NewRouter()
	if err := r.subcommands(command.All(), h.Subcommands()); err != nil {
		return nil, err
	}
	r.Fallback(h.Decide) // `/empower <activity> <amount> …`; unknown words get "did you mean"
	r.Action(handlers.ActionFeedbackAnswer, h.FeedbackAnswer)
	r.View(handlers.ViewFeedback, h.FeedbackSubmit)
	r.Anonymous(handlers.ActionFeedbackAnswer)
	r.Anonymous(handlers.ViewFeedback)
	// Closing the loop: the clicks are the leaders' (logged as any other);
	// buttons and forms carry only the answer's opaque ID.
	r.Action(handlers.ActionFeedbackReply, h.FeedbackReplyClick)
	r.Action(handlers.ActionFeedbackCommit, h.FeedbackCommitClick)
	r.View(handlers.ViewFeedbackReply, h.FeedbackReplySubmit)
	r.View(handlers.ViewFeedbackCommit, h.FeedbackCommitSubmit)
	r.View(handlers.ViewLogDecision, h.LogSubmit)
	r.Action(handlers.ActionApprove, h.Approve)
	r.Action(handlers.ActionEscalate, h.Escalate)
	r.Action(handlers.ActionDecline, h.DeclineClick)
	r.View(handlers.ViewDecline, h.DeclineSubmit)
	r.Event("app_home_opened", h.HomeOpened)
	r.Event("message", h.MessageIM)
	r.Event("reaction_added", h.ReactionAdded)
	r.Action(handlers.ActionOutcomeWorked, h.OutcomeWorked)
	r.Action(handlers.ActionOutcomeFailed, h.OutcomeFailed)
	r.Action(handlers.ActionOutcomeNote, h.OutcomeNoteClick)
	r.View(handlers.ViewOutcomeNote, h.OutcomeNoteSubmit)
	r.Action(handlers.ActionAskAccept, h.AskAccept)
	r.Action(handlers.ActionAskDecline, h.AskDecline)
	r.View(handlers.ViewAskAccept, h.AskAcceptSubmit)
	r.View(handlers.ViewAskDecline, h.AskDeclineSubmit)
	r.Action(handlers.ActionCommitmentDone, h.CommitmentDone)
	r.Action(handlers.ActionCommitmentNewDate, h.CommitmentNewDate)
	r.View(handlers.ViewCommitmentNewDate, h.CommitmentNewDateSubmit)
	r.Action(handlers.ActionRaise, h.RaiseClick)
	r.Action(handlers.ActionNotNow, h.NotNowClick)
	return r, nil
}

// subcommands routes the name and aliases of every table entry to the
// handler bound to its name. It fails, naming them all, when an entry has no
// handler or a handler has no entry.
func (r *Router) subcommands(table []command.Sub, bound map[string]handlers.CommandFunc) error {
	var problems []string
	inTable := make(map[string]bool, len(table))
	for _, s := range table {
		inTable[s.Name] = true
		h, ok := bound[s.Name]
		if !ok || h == nil {
			problems = append(problems, fmt.Sprintf("subcommand %q has no handler", s.Name))
			continue
		}
		r.Slash(s.Name, h)
		for _, a := range s.Aliases {
			r.Slash(a, h)
		}
	}
	for name := range bound {
		if !inTable[name] {
			problems = append(problems, fmt.Sprintf("handler for %q has no entry in the subcommand table", name))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("slash routes: %s", strings.Join(problems, "; "))
	}
	return nil
}
