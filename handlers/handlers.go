// Package handlers turns what people do in Slack (a slash command, a button
// click, a modal submission, opening the App Home) into the product's
// behaviour: it parses the payload, calls the capability's service where
// one owns its rules and transitions (package service/…; the rest still
// live here), and answers in Block Kit. It implements the services'
// Notifiers and Directories over the Web API.
//
// The bot runtime (package bot) owns the socket, acknowledgements, dedupe,
// panics and logging; a handler only does its own work and returns. Every
// route is listed in bot/router.go; the slash subcommands are the table of
// package command, each bound to its handler in Subcommands (help.go).
package handlers

import (
	"context"
	"log/slog"
	"strings"
	"unicode"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/service/autonomy"
	"github.com/empowerbot/empowerbot/service/away"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
)

// Handlers holds what every handler needs. Build it once at start-up.
type Handlers struct {
	Slack *slack.Client
	Store *store.Store
	// Policies holds the policy in force; read it with policy().
	Policies *domain.Policies
	Clock    clock.Clock
	Log      *slog.Logger
	Metrics  *metrics.Metrics
	// Commitments is the commitments service (commit, ask, the list, the
	// buttons); its Slack side is CommitmentsSlack.
	Commitments *commitments.Service
	// TeamID is the workspace the bot token belongs to (from auth.test);
	// scheduled jobs use it where no payload names a team.
	TeamID string
	// BotUserID is the bot's own user ID (from auth.test).
	BotUserID string
	// CommandName is the slash command, "/empower".
	CommandName string
	// Home refreshes App Home tabs after changes (see Touched); nil until
	// the App Home feature sets it.
	Home HomeRefresher
	// Decisions is the service of decisions: logging, answers, who may
	// answer, timeouts.
	Decisions *decisions.Service
	// Recognition is the service of praise, wins and outcomes.
	Recognition *recognition.Service
	// Feedback is the service of feedback rounds and answers.
	Feedback *feedback.Service
	// Insights gathers stats, the digest and the App Home.
	Insights *insights.Service
	// Away is the service of leaders' time away (away, back, delegates).
	Away *away.Service
	// Autonomy is earned autonomy: raise proposals, their answers, resets.
	Autonomy *autonomy.Service
	// Zones tells each person's time zone (nil: everyone is in the
	// policy's); see dm_zones.go.
	Zones ZoneDirectory

	// Posts posts the bot's messages once across Slack's failures; nil: a
	// slackapi.Poster with its defaults over Slack.
	Posts *slackapi.Poster

	// dmOpens makes concurrent DMs to one new person open the channel once.
	dmOpens singleflight.Group
}

// Command is one slash command invocation.
type Command struct {
	TeamID      string
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	// Sub is the lower-cased first word of the text ("help"), "" when the
	// text is empty.
	Sub string
	// Args is the text after the first word, trimmed. For the fallback route
	// (no subcommand matched) Args is the whole text.
	Args string
	// Text is the whole text as Slack sent it (mentions escaped as <@U…|name>).
	Text        string
	TriggerID   string
	ResponseURL string
}

// NewCommand builds a Command from slack-go's payload.
func NewCommand(sc slack.SlashCommand) *Command {
	text := strings.TrimSpace(sc.Text)
	// The first word ends at any white space (a tab, a line break, the
	// no-break space some keyboards type), not only at " ".
	first, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		first, rest = text[:i], text[i:]
	}
	return &Command{
		TeamID:      sc.TeamID,
		UserID:      sc.UserID,
		UserName:    sc.UserName,
		ChannelID:   sc.ChannelID,
		ChannelName: sc.ChannelName,
		Sub:         strings.ToLower(first),
		Args:        strings.TrimSpace(rest),
		Text:        text,
		TriggerID:   sc.TriggerID,
		ResponseURL: sc.ResponseURL,
	}
}

// Reply is a private (ephemeral) answer to the person who typed a command,
// unless InChannel is set.
type Reply struct {
	Text      string
	Blocks    []slack.Block
	InChannel bool
}

// Message returns the reply as a Slack message payload (for the ack or a
// response_url).
func (r *Reply) Message() slack.Msg {
	m := slack.Msg{Text: r.Text, ResponseType: slack.ResponseTypeEphemeral}
	if r.InChannel {
		m.ResponseType = slack.ResponseTypeInChannel
	}
	if len(r.Blocks) > 0 {
		m.Blocks = slack.Blocks{BlockSet: r.Blocks}
	}
	return m
}

// Encode returns Message as JSON, the payload of the ack and the answer a
// redelivery gets: the bytes json.Marshal writes, in one allocation.
func (r *Reply) Encode() ([]byte, error) {
	n := 160 + len(r.Text)
	for _, b := range r.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s != nil && s.Text != nil {
			n += 64 + len(s.Text.Text)
		}
	}
	return r.appendMessage(make([]byte, 0, n))
}

// Text returns a plain private reply.
func Text(s string) *Reply { return &Reply{Text: s} }

// Action is one button click (block_actions) in a message, a modal or the
// App Home.
type Action struct {
	TeamID    string
	UserID    string
	ChannelID string // empty for clicks in views
	MessageTS string // the message holding the button
	ActionID  string
	BlockID   string
	Value     string
	TriggerID string
	// ResponseURL is set for clicks in messages.
	ResponseURL string
	// ViewID is set for clicks in modals and the App Home.
	ViewID string
	// Container is "message", "view" or "ephemeral".
	Container string
	// Callback is the whole payload as slack-go decoded it.
	Callback *slack.InteractionCallback
}

// Submission is a modal submitted by a person.
type Submission struct {
	TeamID          string
	UserID          string
	CallbackID      string
	ViewID          string
	PrivateMetadata string
	TriggerID       string
	// Values is view.state.values: block_id -> action_id -> value.
	Values   map[string]map[string]slack.BlockAction
	Callback *slack.InteractionCallback
}

// Input returns the typed text of a plain_text_input, the selected value of a
// select, the date of a date picker or the user of a users select.
func (s *Submission) Input(blockID, actionID string) string {
	v, ok := s.Values[blockID][actionID]
	if !ok {
		return ""
	}
	switch {
	case v.SelectedOption.Value != "":
		return v.SelectedOption.Value
	case v.SelectedDate != "":
		return v.SelectedDate
	case v.SelectedUser != "":
		return v.SelectedUser
	}
	return v.Value
}

// Selected returns the values of the selected options of checkboxes or a
// multi select.
func (s *Submission) Selected(blockID, actionID string) []string {
	v := s.Values[blockID][actionID]
	out := make([]string, 0, len(v.SelectedOptions))
	for _, o := range v.SelectedOptions {
		out = append(out, o.Value)
	}
	return out
}

// Event is one Events API event (for example app_home_opened).
type Event struct {
	TeamID  string
	EventID string
	// Type is the inner event's type.
	Type   string
	UserID string
	// Data is slack-go's decoded inner event (e.g. *slackevents.AppHomeOpenedEvent).
	Data any
}

// CommandFunc answers a slash (sub)command. The reply goes into the ack when
// it is ready in time, otherwise to the command's response_url.
type CommandFunc func(ctx context.Context, c *Command) (*Reply, error)

// ActionFunc handles a button click. The click is already acknowledged; the
// handler answers through the Web API (chat.update, chat.postEphemeral, DMs).
type ActionFunc func(ctx context.Context, a *Action) error

// SubmissionFunc handles a modal submission. A non-nil response (errors,
// update, push, clear) goes into the ack; nil closes the modal.
type SubmissionFunc func(ctx context.Context, s *Submission) (*slack.ViewSubmissionResponse, error)

// EventFunc handles an Events API event after it was acknowledged.
type EventFunc func(ctx context.Context, e *Event) error

// policy returns the policy in force: one command or click reads it once.
func (h *Handlers) policy() *domain.Policy { return h.Policies.Current() }
