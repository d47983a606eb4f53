package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackapi"
)

// FeedbackNotifier is feedback.Notifier in Slack: the question and reminder
// DMs and the leaders channel's post of an answer, rendered in feedback.go.
type FeedbackNotifier struct{ H *Handlers }

// PeopleAPI is the part of the Slack Web API that finds people
// (*slack.Client).
type PeopleAPI interface {
	GetUsersContext(ctx context.Context, options ...slack.GetUsersOption) ([]slack.User, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUserGroupMembersContext(ctx context.Context, group string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// FeedbackDirectory is feedback.Directory over the Slack Web API.
type FeedbackDirectory struct{ Slack PeopleAPI }

var (
	_ feedback.Notifier  = FeedbackNotifier{}
	_ feedback.Directory = FeedbackDirectory{}
)

// Question returns the sender of round r's question DM to people
// (feedback.Notifier).
func (n FeedbackNotifier) Question(ctx context.Context, team string, r domain.FeedbackRound, people []string, news feedback.News) feedback.Send {
	tag := FanoutMetadata(feedback.JobRound, r.ID)
	plain := append(FeedbackDM(r, n.H.policy().Feedback.AnonymousAllowed), tag)
	if news.Empty() {
		return n.H.dmSender(ctx, team, people, plain)
	}
	return n.H.dmSenderEach(ctx, team, people, func(person string) []slack.MsgOption {
		done := news.For(person)
		if len(done) == 0 {
			return plain
		}
		return append(FeedbackDMWithNews(r, n.H.policy().Feedback.AnonymousAllowed, done), tag)
	})
}

// Reminder returns the sender of round r's reminder DM to people
// (feedback.Notifier).
func (n FeedbackNotifier) Reminder(ctx context.Context, team string, r domain.FeedbackRound, people []string) feedback.Send {
	return n.H.dmSender(ctx, team, people, append(FeedbackReminderDM(r), FanoutMetadata(feedback.JobReminder, r.ID)))
}

// ShowAnswered updates dm, round r's DM of job to a person who answered
// it, to the thank-you without the Answer button (feedback.Notifier). The
// DM keeps its fan-out metadata, so that a run taking over finds it.
func (n FeedbackNotifier) ShowAnswered(ctx context.Context, r domain.FeedbackRound, job string, dm domain.MessageRef, done []feedback.Done) error {
	opts := append(FeedbackAnsweredDM(r, done), FanoutMetadata(job, r.ID))
	if _, _, _, err := n.H.Slack.UpdateMessageContext(ctx, dm.Channel, dm.TS, opts...); err != nil {
		return fmt.Errorf("show feedback dm answered: %w", err)
	}
	return nil
}

// usersListPage is the users.list page size (Slack accepts up to 1000;
// bigger pages mean fewer calls to a Tier 2 method).
const usersListPage = 1000

// GroupMembers lists the members of user group id with
// usergroups.users.list (feedback.Directory); Slack's refusal (an unknown
// or disabled group) is feedback.ErrUnknownGroup.
func (d FeedbackDirectory) GroupMembers(ctx context.Context, id string) ([]string, error) {
	members, err := d.Slack.GetUserGroupMembersContext(ctx, id)
	if slackapi.Classify(err) == slackapi.Permanent {
		return nil, fmt.Errorf("%w: %w", feedback.ErrUnknownGroup, err)
	}
	return members, err
}

// People looks ids up (feedback.Directory): with users.list, one paginated
// pass over the workspace, and, for the IDs it does not list (or when it is
// refused), users.info; an ID Slack does not know is left out. Slackbot is
// a bot.
func (d FeedbackDirectory) People(ctx context.Context, ids []string) (map[string]feedback.Person, error) {
	users, err := d.Slack.GetUsersContext(ctx, slack.GetUsersOptionLimit(usersListPage), slack.GetUsersOptionIncludeLocale(false))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		// users.list refused or not offered: everyone is looked up with
		// users.info below instead (a real failure fails there too).
		users = nil
	}
	byID := make(map[string]*slack.User, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	out := make(map[string]feedback.Person, len(ids))
	for _, id := range ids {
		u, ok := byID[id]
		if !ok {
			u, err = d.Slack.GetUserInfoContext(ctx, id)
			switch {
			case slackapi.UserNotFound(err):
				continue
			case err != nil:
				return nil, fmt.Errorf("look up user %s: %w", id, err)
			}
		}
		if u == nil {
			continue
		}
		out[id] = feedback.Person{Bot: u.IsBot || u.ID == "USLACKBOT", Deactivated: u.Deleted}
	}
	return out, nil
}
