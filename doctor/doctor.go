// Package doctor checks a Slack workspace against the policy and the app
// manifest, the way an admin would before the first escalation fails: the
// bot token and its scopes (auth.test's X-OAuth-Scopes against the
// manifest's), every channel of the policy (it exists and the bot is in it),
// every user (exists, is a person, is not deactivated) and every user group
// (it resolves; a free plan has none). `empowerbot doctor` prints the
// results; `run` logs the failures as warnings at start-up.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slackapi"
)

// The kinds of check, the check label of the metric.
const (
	CheckToken     = "token"
	CheckScopes    = "scopes"
	CheckChannel   = "channel"
	CheckUser      = "user"
	CheckUserGroup = "usergroup"
	CheckPlan      = "plan"
)

// Checks lists every kind of check.
var Checks = []string{CheckToken, CheckScopes, CheckChannel, CheckUser, CheckUserGroup, CheckPlan}

// Result is one check's outcome.
type Result struct {
	Check string
	// Subject is what was checked ("channels.escalations C0ESC").
	Subject string
	OK      bool
	// Message says what is fine, or what is wrong and what to do.
	Message string
}

// Slack is the part of the Web API client the checks use.
type Slack interface {
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUserGroupMembersContext(ctx context.Context, group string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// Config is what Run checks, and with what.
type Config struct {
	Slack Slack
	// HTTP makes the auth.test call whose X-OAuth-Scopes header lists the
	// token's scopes (slack-go does not expose it); default: a client with
	// a 10s timeout.
	HTTP     *http.Client
	APIURL   string
	BotToken string
	Policy   *domain.Policy
	// Scopes are the manifest's bot scopes.
	Scopes []string
}

// Run runs every check and returns one result per check, in the order
// token, scopes, channels, users, user groups, plan. When the token is
// refused nothing else is checked.
func Run(ctx context.Context, c Config) []Result {
	auth := c.authTest(ctx)
	out := []Result{auth.result}
	if !auth.result.OK {
		return out
	}
	out = append(out, c.scopes(auth.scopes))
	out = append(out, c.channels(ctx)...)
	out = append(out, c.users(ctx)...)
	out = append(out, c.groups(ctx)...)
	return out
}

// Failures counts the failed results by check.
func Failures(results []Result) map[string]int {
	n := map[string]int{}
	for _, r := range results {
		if !r.OK {
			n[r.Check]++
		}
	}
	return n
}

// Print writes one line per result and a last line with the count; it
// returns the number of failures.
func Print(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		mark := "ok  "
		if !r.OK {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(w, "%s %s %s: %s\n", mark, r.Check, r.Subject, r.Message)
	}
	if failed == 0 {
		fmt.Fprintf(w, "all %d checks passed\n", len(results))
	} else {
		fmt.Fprintf(w, "%d of %d checks failed\n", failed, len(results))
	}
	return failed
}

type auth struct {
	result Result
	scopes []string
}

// authTest calls auth.test itself, for the X-OAuth-Scopes header.
func (c Config) authTest(ctx context.Context) auth {
	fail := func(msg string) auth {
		return auth{result: Result{Check: CheckToken, Subject: "SLACK_BOT_TOKEN", Message: msg}}
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.APIURL+"auth.test", nil)
	if err != nil {
		return fail(fmt.Sprintf("SLACK_API_URL %q is not usable: %v", c.APIURL, err))
	}
	req.Header.Set("Authorization", "Bearer "+c.BotToken)
	resp, err := hc.Do(req)
	if err != nil {
		return fail(fmt.Sprintf("cannot reach Slack at %s: %v", c.APIURL, err))
	}
	defer resp.Body.Close()
	var body struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Team   string `json:"team"`
		TeamID string `json:"team_id"`
		User   string `json:"user"`
		UserID string `json:"user_id"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return fail(fmt.Sprintf("auth.test answered HTTP %d without JSON: is SLACK_API_URL right?", resp.StatusCode))
	}
	if !body.OK {
		return fail(fmt.Sprintf("Slack refused the bot token (%s): copy the Bot User OAuth Token (xoxb-…) from the app's Install App page", body.Error))
	}
	var scopes []string
	for _, s := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	return auth{
		result: Result{Check: CheckToken, Subject: "SLACK_BOT_TOKEN", OK: true,
			Message: fmt.Sprintf("the bot is @%s (%s) in %s (%s)", body.User, body.UserID, body.Team, body.TeamID)},
		scopes: scopes,
	}
}

func (c Config) scopes(have []string) Result {
	var missing []string
	for _, s := range c.Scopes {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	r := Result{Check: CheckScopes, Subject: "bot token"}
	if len(missing) > 0 {
		r.Message = fmt.Sprintf("missing %s: add them under OAuth & Permissions (or paste deploy/slack-app-manifest.yaml again), then reinstall the app and use its new token", strings.Join(missing, ", "))
		return r
	}
	r.OK, r.Message = true, fmt.Sprintf("every scope of the manifest (%d)", len(c.Scopes))
	return r
}

// channelRoles maps each channel ID of the policy to where it is named.
func channelRoles(p *domain.Policy) (ids []string, roles map[string][]string) {
	roles = map[string][]string{}
	add := func(id, role string) {
		if id == "" {
			return
		}
		if _, ok := roles[id]; !ok {
			ids = append(ids, id)
		}
		roles[id] = append(roles[id], role)
	}
	add(p.Channels.Praise, "channels.praise")
	add(p.Channels.Escalations, "channels.escalations")
	add(p.Channels.Leaders, "channels.leaders")
	for _, t := range p.Teams {
		add(t.Channels.Escalations, "teams."+t.Name+".escalations")
		add(t.Channels.Leaders, "teams."+t.Name+".leaders")
	}
	return ids, roles
}

func (c Config) channels(ctx context.Context) []Result {
	ids, roles := channelRoles(c.Policy)
	out := make([]Result, 0, len(ids))
	for _, id := range ids {
		r := Result{Check: CheckChannel, Subject: fmt.Sprintf("%s (%s)", id, strings.Join(roles[id], ", "))}
		leaders := slices.ContainsFunc(roles[id], func(s string) bool { return strings.HasSuffix(s, "leaders") })
		ch, err := c.Slack.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		switch {
		case err != nil && slackapi.Code(err) == "channel_not_found":
			r.Message = "no such channel, or a private one without the bot: check the ID (channel name → About → Channel ID at the bottom) and `/invite @empowerbot` in it"
		case err != nil && slackapi.Code(err) == "missing_scope":
			r.Message = "cannot be checked: the token lacks channels:read / groups:read; reinstall the app from deploy/slack-app-manifest.yaml"
		case err != nil:
			r.Message = fmt.Sprintf("cannot be checked: %v", err)
		case ch.IsArchived:
			r.Message = fmt.Sprintf("#%s is archived: unarchive it or name another channel", ch.Name)
		case !ch.IsMember && leaders:
			r.Message = fmt.Sprintf("the bot is not in #%s: `/invite @empowerbot` there (the digest's chart is uploaded there, which needs the bot in it)", ch.Name)
		case !ch.IsMember:
			r.Message = fmt.Sprintf("the bot is not in #%s: `/invite @empowerbot` there", ch.Name)
		default:
			r.OK, r.Message = true, fmt.Sprintf("#%s exists and the bot is in it", ch.Name)
		}
		out = append(out, r)
	}
	return out
}

// people lists the policy's user IDs and user group IDs, each once, sorted.
func people(p *domain.Policy) (users, groups []string) {
	seen := map[string]bool{}
	add := func(ids ...string) {
		for _, id := range ids {
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			if strings.HasPrefix(id, "S") {
				groups = append(groups, id)
			} else {
				users = append(users, id)
			}
		}
	}
	add(p.Frontline...)
	add(p.Admins...)
	for _, l := range p.Levels {
		add(l.Approvers...)
	}
	for _, t := range p.Teams {
		add(t.Members...)
		for _, ids := range t.Approvers {
			add(ids...)
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	return users, groups
}

func (c Config) users(ctx context.Context) []Result {
	users, _ := people(c.Policy)
	out := make([]Result, 0, len(users))
	for _, id := range users {
		r := Result{Check: CheckUser, Subject: id}
		u, err := c.Slack.GetUserInfoContext(ctx, id)
		switch {
		case err != nil && slackapi.UserNotFound(err):
			r.Message = "no such user in this workspace: check the ID (their profile → ⋮ → Copy member ID)"
		case err != nil && slackapi.Code(err) == "missing_scope":
			r.Message = "cannot be checked: the token lacks users:read; reinstall the app from deploy/slack-app-manifest.yaml"
		case err != nil:
			r.Message = fmt.Sprintf("cannot be checked: %v", err)
		case u.Deleted:
			r.Message = fmt.Sprintf("@%s is deactivated: take them out of the policy", u.Name)
		case u.IsBot:
			r.Message = fmt.Sprintf("@%s is a bot, not a person: name a person instead", u.Name)
		default:
			r.OK, r.Message = true, fmt.Sprintf("@%s (%s)", u.Name, u.RealName)
		}
		out = append(out, r)
	}
	return out
}

func (c Config) groups(ctx context.Context) []Result {
	_, groups := people(c.Policy)
	if len(groups) == 0 {
		return []Result{{Check: CheckPlan, Subject: "user groups", OK: true, Message: "the policy names no user group"}}
	}
	var out []Result
	for _, id := range groups {
		r := Result{Check: CheckUserGroup, Subject: id}
		members, err := c.Slack.GetUserGroupMembersContext(ctx, id)
		code := slackapi.Code(err)
		switch {
		case err != nil && (code == "plan_upgrade_required" || code == "paid_teams_only"):
			return append(out, Result{Check: CheckPlan, Subject: "user groups",
				Message: fmt.Sprintf("this workspace's plan has no user groups (%s): name the people (U…) instead of %s, or upgrade the plan", code, strings.Join(groups, ", "))})
		case err != nil && code == "no_such_subteam":
			r.Message = "no such user group: check the ID (People → User groups → the group → ⋮ → Copy group ID)"
		case err != nil && code == "missing_scope":
			r.Message = "cannot be checked: the token lacks usergroups:read; reinstall the app from deploy/slack-app-manifest.yaml"
		case err != nil:
			r.Message = fmt.Sprintf("cannot be checked: %v", err)
		case len(members) == 0:
			r.Message = "the group has no members: add people to it, or name them in the policy"
		default:
			r.OK, r.Message = true, fmt.Sprintf("%d members", len(members))
		}
		out = append(out, r)
	}
	return append(out, Result{Check: CheckPlan, Subject: "user groups", OK: true, Message: "the plan allows user groups"})
}
