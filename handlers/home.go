package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/slacktext"
	"github.com/empowerbot/empowerbot/stats"
)

// Limits of the App Home (Slack allows 100 blocks).
const (
	homeMaxBlocks     = 100
	homeActivities    = 15
	homeDecisions     = 10
	homePending       = 20 // pending approvals shown with buttons (2 blocks each)
	homeCommitments   = 15 // commitments by the person shown with a Done button
	homeCommitmentsTo = 10
	homeLookback      = stats.Lookback
	homePendingScan   = 500
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
	team := e.TeamID
	if team == "" {
		team = h.TeamID
	}
	if err := h.Store.MarkHomeOpened(ctx, team, e.UserID); err != nil {
		h.Log.Warn("could not record that the Home was opened", "team", team, "error", err.Error())
	}
	if ah, ok := h.Home.(*AppHome); ok {
		ah.noteOpened(team, e.UserID)
	}
	return h.PublishHome(ctx, team, e.UserID)
}

// homeCacheTTL is how long a replica trusts its copy of the set of people
// who opened the Home before reading it again.
const homeCacheTTL = 5 * time.Second

// homeRefreshTimeout bounds one background refresh of a Home.
const homeRefreshTimeout = 30 * time.Second

// AppHome re-publishes the App Home of people who have opened it; it is the
// HomeRefresher of Handlers.Home. Refreshes run in the background, never
// delaying the change's own answer, and one at a time per person: changes
// that arrive while a person's Home is being rendered cause one more render,
// so the last one published shows the latest state.
//
// Who opened the Home is read from Redis at most every few seconds per
// replica (the set only grows); a person who opens the Home on another
// replica is picked up at the next read, their Home being fresh meanwhile.
//
// The refresh goroutines are owned by the AppHome: each lives until its
// person's Home is published (or homeRefreshTimeout passes), Wait waits
// for them and Close stops new ones and ends the running ones, so the
// process awaits them before it closes Redis.
type AppHome struct {
	H *Handlers

	mu      sync.Mutex
	opened  map[string]map[string]bool    // team -> people who opened the Home
	loaded  map[string]time.Time          // team -> when opened was read
	running map[string]context.CancelFunc // team|user -> cancels the refresh that runs
	dirty   map[string]bool               // team|user -> changed during the refresh
	idle    chan struct{}                 // closed when the last running refresh ends
	closed  bool                          // Close was called: no refresh starts
}

// NewAppHome returns the App Home refresher of h.
func NewAppHome(h *Handlers) *AppHome {
	return &AppHome{H: h, opened: map[string]map[string]bool{}, loaded: map[string]time.Time{},
		running: map[string]context.CancelFunc{}, dirty: map[string]bool{}}
}

// noteOpened records locally that user opened the Home.
func (a *AppHome) noteOpened(team, user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opened[team] == nil {
		a.opened[team] = map[string]bool{}
	}
	a.opened[team][user] = true
}

// openedOf returns those of users who opened the Home.
func (a *AppHome) openedOf(ctx context.Context, team string, users []string) ([]string, error) {
	a.mu.Lock()
	fresh := time.Since(a.loaded[team]) < homeCacheTTL
	a.mu.Unlock()
	if !fresh {
		all, err := a.H.Store.HomeOpenedAll(ctx, team)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		set := a.opened[team]
		if set == nil {
			set = map[string]bool{}
			a.opened[team] = set
		}
		for _, u := range all {
			set[u] = true
		}
		a.loaded[team] = time.Now()
		a.mu.Unlock()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, u := range users {
		if a.opened[team][u] {
			out = append(out, u)
		}
	}
	return out, nil
}

// Refresh re-publishes, in the background, the Home of each of userIDs who
// has opened it. Failures are logged: the change that caused the refresh is
// already saved.
func (a *AppHome) Refresh(ctx context.Context, teamID string, userIDs ...string) {
	h := a.H
	if teamID == "" {
		teamID = h.TeamID
	}
	var ids []string
	for _, u := range userIDs {
		if u != "" && !slices.Contains(ids, u) {
			ids = append(ids, u)
		}
	}
	opened, err := a.openedOf(ctx, teamID, ids)
	if err != nil {
		h.Log.Warn("could not refresh App Homes", "team", teamID, "error", err.Error())
		return
	}
	for _, u := range opened {
		a.schedule(context.WithoutCancel(ctx), teamID, u)
	}
}

// schedule renders user's Home in the background, once more when it changes
// meanwhile.
func (a *AppHome) schedule(ctx context.Context, team, user string) {
	key := team + "|" + user
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		a.H.Log.Debug("App Home not refreshed: shutting down", "team", team, "user", user)
		return
	}
	if a.running[key] != nil {
		a.dirty[key] = true
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	if len(a.running) == 0 {
		a.idle = make(chan struct{})
	}
	a.running[key] = cancel
	go func() {
		defer a.finished(key)
		for {
			rctx, rcancel := context.WithTimeout(ctx, homeRefreshTimeout)
			if err := a.H.PublishHome(rctx, team, user); err != nil {
				a.H.Log.Warn("could not refresh an App Home", "team", team, "user", user, "error", err.Error())
			}
			rcancel()
			if !a.again(key) {
				return
			}
		}
	}()
}

// again reports whether key's Home changed during its refresh, and must be
// rendered once more.
func (a *AppHome) again(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dirty[key] || a.closed {
		return false
	}
	delete(a.dirty, key)
	return true
}

// finished records that key's refresh goroutine ended.
func (a *AppHome) finished(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running[key]()
	delete(a.running, key)
	delete(a.dirty, key)
	if len(a.running) == 0 {
		close(a.idle)
	}
}

// Wait waits until no refresh runs, or ctx ends (its error is returned).
// Refreshes may start again afterwards; Close stops them for good.
func (a *AppHome) Wait(ctx context.Context) error {
	a.mu.Lock()
	if len(a.running) == 0 {
		a.mu.Unlock()
		return nil
	}
	idle := a.idle
	a.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops refreshes from starting and waits for the running ones until
// ctx ends; those still running then are cancelled, and Close returns once
// they have ended.
func (a *AppHome) Close(ctx context.Context) {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	if a.Wait(ctx) == nil {
		return
	}
	a.mu.Lock()
	n := len(a.running)
	for _, cancel := range a.running {
		cancel()
	}
	a.mu.Unlock()
	a.H.Log.Warn("shutdown grace over with App Home refreshes still running: cancelling them", "refreshes", n)
	_ = a.Wait(context.Background())
}

// decisionPeople are the people whose Home shows d: its requester and every
// approver of the policy (an escalation moves it between their lists).
func (h *Handlers) decisionPeople(ctx context.Context, d *domain.DecisionRecord) []string {
	out := []string{d.Requester}
	for _, l := range h.Policy.Levels {
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

// PublishHome renders user's App Home and publishes it with views.publish.
func (h *Handlers) PublishHome(ctx context.Context, team, user string) error {
	blocks, err := h.HomeBlocks(ctx, team, user)
	if err != nil {
		return err
	}
	v := slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home", Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := h.Slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: v}); err != nil {
		return fmt.Errorf("publish home of %s: %w", user, err)
	}
	return nil
}

// HomeBlocks builds user's App Home: their box, the approvals waiting for
// them (leaders), their last decisions, commitments by and to them and the
// latest praise they received; never more than 100 blocks.
func (h *Handlers) HomeBlocks(ctx context.Context, team, user string) ([]slack.Block, error) {
	p, now := h.Policy, h.Clock.Now()
	var blocks []slack.Block
	add := func(b ...slack.Block) { blocks = append(blocks, b...) }
	section := func(s string) slack.Block {
		return slack.NewSectionBlock(mrkdwn(slacktext.Truncate(s, 3000)), nil, nil)
	}

	add(slack.NewHeaderBlock(plain("Your empowerbot")))

	levels, err := h.Decisions.LevelsOf(ctx, team, user)
	if err != nil {
		return nil, err
	}
	top := -1 // the highest level this person approves at
	for _, l := range levels {
		top = max(top, l)
	}

	// The box: the person's own, or for a leader their people's and what
	// comes to them.
	var b strings.Builder
	if top >= 0 {
		b.WriteString("*Your people's box*: up to these amounts the call is theirs to make, no one to ask. Above it, it comes to you.")
	} else {
		b.WriteString("*Your box*: up to these amounts the call is yours to make, no one to ask.")
	}
	all := box.AllLimits(p)
	for i, al := range all {
		if i == homeActivities {
			fmt.Fprintf(&b, "\n…and %d more activities: `/empower box` lists them all.", len(all)-i)
			break
		}
		who := "yours"
		if top >= 0 {
			who = "theirs"
		}
		fmt.Fprintf(&b, "\n• *%s*: %s up to *%s*", slacktext.EscapeTruncate(al.Activity, 60), who, al.Frontline.Format(al.Currency))
		if top >= 0 {
			for _, ll := range al.Levels {
				if ll.Level != top {
					continue
				}
				if ll.NoLimit {
					b.WriteString("; you approve any amount that reaches you")
				} else {
					fmt.Fprintf(&b, "; you approve up to *%s*", ll.Limit.Format(al.Currency))
				}
			}
		}
	}
	if tags := box.EscalationTags(p); len(tags) > 0 {
		var parts []string
		for _, t := range tags {
			parts = append(parts, "#"+slacktext.EscapeTruncate(t.Tag, 40))
		}
		b.WriteString("\n:shield: Always to a leader: " + strings.Join(parts, " "))
	}
	add(section(b.String()))

	// Approvals waiting for this leader.
	if len(levels) > 0 {
		ids, err := h.Store.PendingDecisions(ctx, team, homePendingScan)
		if err != nil {
			return nil, err
		}
		ds, err := h.Store.GetDecisions(ctx, team, ids)
		if err != nil {
			return nil, err
		}
		var mine []*domain.DecisionRecord
		for _, d := range ds {
			if d.State != domain.StatePending || d.Requester == user {
				continue
			}
			if ok, err := h.Decisions.MayApprove(ctx, &d.Decision, user); err == nil && ok {
				mine = append(mine, d)
			}
		}
		slices.SortFunc(mine, func(a, b *domain.DecisionRecord) int { return a.CreatedAt.Compare(b.CreatedAt) })
		add(slack.NewDividerBlock(), section(fmt.Sprintf(":raised_hand: *Waiting for your answer* (%d)", len(mine))))
		if len(mine) == 0 {
			add(slack.NewContextBlock("", mrkdwn("Nothing waits for you. Your people are deciding on their own.")))
		}
		for i, d := range mine {
			if i == homePending {
				add(slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more in %s.", len(mine)-i, channelMention(p.Channels.Escalations)))))
				break
			}
			line := fmt.Sprintf("`%s` %s asks: %s · with *%s* · asked %s", d.ID, slacktext.User(d.Requester), summary(&d.Decision),
				slacktext.Escape(d.LevelName), dates.ClockText(d.CreatedAt, now, p.Location))
			if d.Reason != "" {
				line += "\n_" + slacktext.EscapeTruncate(d.Reason, 300) + "_"
			}
			ab := decisionButtons(p, &d.Decision, d.Level)
			ab.BlockID = "home-" + d.ID
			add(section(line), ab)
		}
	}

	// The person's last decisions.
	ds, err := h.Store.DecisionsByRequester(ctx, team, user, homeDecisions)
	if err != nil {
		return nil, err
	}
	add(slack.NewDividerBlock(), section(":memo: *Your recent decisions*"))
	if len(ds) == 0 {
		add(slack.NewContextBlock("", mrkdwn("None yet. Type `/empower <activity> <amount>` to log one.")))
	} else {
		b.Reset()
		for i, d := range ds {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "• `%s` %s · %s", d.ID, summary(&d.Decision), decisionStateText(d, now, p.Location))
		}
		add(section(b.String()))
	}

	// Commitments and praise, from the audit stream.
	evs, err := h.Store.ReadAudit(ctx, team, now.Add(-homeLookback), now.Add(time.Millisecond))
	if err != nil {
		return nil, err
	}
	f := stats.Compute(evs, stats.Input{From: now.Add(-homeLookback), To: now.Add(time.Millisecond), Now: now, Loc: p.Location, User: user})
	var by, to []stats.Commitment
	for _, c := range f.Open {
		if c.Leader == user {
			by = append(by, c)
		} else if c.Employee == user {
			to = append(to, c)
		}
	}
	add(slack.NewDividerBlock(), section(":handshake: *Commitments*"))
	if len(by)+len(to) == 0 {
		add(slack.NewContextBlock("", mrkdwn("No open commitments by you or to you.")))
	}
	today := now.In(p.Location).Format(time.DateOnly)
	due := func(c stats.Commitment) string {
		if c.Due != "" && c.Due < today {
			return "*overdue* since " + c.Due
		}
		return "due " + c.Due
	}
	for i, c := range by {
		if i == homeCommitments {
			add(slack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more you made: `/empower commitments` lists them all.", len(by)-i))))
			break
		}
		btn := slack.NewButtonBlockElement(ActionCommitmentDone, c.ID, plain("Done")).WithStyle(slack.StylePrimary)
		add(slack.NewSectionBlock(mrkdwn(slacktext.Truncate(fmt.Sprintf("You promised %s: “%s” · %s",
			userOrBot(c.Employee), slacktext.EscapeTruncate(c.Text, 500), due(c)), 3000)), nil, slack.NewAccessory(btn)))
	}
	if len(to) > 0 {
		b.Reset()
		for i, c := range to {
			if i == homeCommitmentsTo {
				fmt.Fprintf(&b, "\n…and %d more", len(to)-i)
				break
			}
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "• %s promised you: “%s” · %s", userOrBot(c.Leader), slacktext.EscapeTruncate(c.Text, 300), due(c))
		}
		add(section(b.String()))
	}

	// The latest praise they received.
	var latest *stats.Highlight
	for i := range f.Highlights {
		if slices.Contains(f.Highlights[i].To, user) {
			latest = &f.Highlights[i]
		}
	}
	if latest != nil {
		add(slack.NewDividerBlock(), section(fmt.Sprintf(":tada: *Latest praise for you*, from %s · %s\n“%s”",
			userOrBot(latest.From), dates.ClockText(latest.At, now, p.Location), slacktext.EscapeTruncate(latest.Text, 1000))))
	}

	if len(blocks) > homeMaxBlocks {
		blocks = append(blocks[:homeMaxBlocks-1], slack.NewContextBlock("", mrkdwn("There is more than fits here; see `/empower commitments` and the escalations channel.")))
	}
	return blocks, nil
}

// decisionStateText is a decision's state for the Home: "inside your box",
// "approved by @bob", "waiting for team-lead".
func decisionStateText(d *domain.DecisionRecord, now time.Time, loc *time.Location) string {
	switch d.State {
	case domain.StateAutonomous:
		return ":white_check_mark: inside your box · " + dates.ClockText(d.CreatedAt, now, loc)
	case domain.StateApproved:
		return ":white_check_mark: approved by " + slacktext.User(d.DecidedBy) + " · " + dates.ClockText(d.DecidedAt, now, loc)
	case domain.StateDeclined:
		return ":no_entry: declined by " + slacktext.User(d.DecidedBy) + " · " + dates.ClockText(d.DecidedAt, now, loc)
	case domain.StatePending:
		return ":hourglass_flowing_sand: waiting for *" + slacktext.Escape(d.LevelName) + "*"
	}
	return string(d.State)
}
