package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/slackemu"
)

// The guided tour: the story of the seeds as steps on the page. Each step
// says what to do, has a "take me there" (the person, the conversation and
// a command ready in the composer) and is ticked off when the bot has done
// its part, read from what really happened: the bot's audit trail in Redis
// and the messages in the emulator, never from the page's clicks.
//
// To add a step (a showcase), append a tourStep in tourSteps with a done
// function reading that state.

// TourStep is one step of the guided tour as the page shows it.
type TourStep struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Text says what to do and what the bot will do, in plain words.
	Text string `json:"text"`
	// Person, Conv ("app" is the bot's DM) and Tab ("home" or "messages")
	// are where "take me there" goes; Composer is typed there, ready to send.
	Person   string `json:"person"`
	Conv     string `json:"conv"`
	Tab      string `json:"tab,omitempty"`
	Composer string `json:"composer,omitempty"`
	// Action is an extra button of the step: move the clock and run what
	// is due, or run one job.
	Action *TourAction `json:"action,omitempty"`
	// Done is set once the bot has done its part; Started when it has begun
	// (the follow-up was asked, not answered yet).
	Done    bool `json:"done"`
	Started bool `json:"started,omitempty"`
}

// TourAction is a step's extra button.
type TourAction struct {
	Label string `json:"label"`
	// Advance moves the clock by this much and runs what is due; Job runs
	// one job now.
	Advance string `json:"advance,omitempty"`
	Job     string `json:"job,omitempty"`
}

// tourFacts is what the steps' done functions read.
type tourFacts struct {
	events []domain.Event
	// bot messages per channel
	botMsgs map[string][]slackemu.Message
}

func (f tourFacts) has(typ domain.EventType, match func(domain.Event) bool) bool {
	for _, e := range f.events {
		if e.Type() == typ && (match == nil || match(e)) {
			return true
		}
	}
	return false
}

// tourStep is a step and how to tell it is done.
type tourStep struct {
	TourStep
	done    func(tourFacts) bool
	started func(tourFacts) bool
}

// tourCast is who plays the story: a front-line person, their team lead,
// a teammate to praise, and the channels their cards and digests go to.
type tourCast struct {
	front, lead, mate   Person
	escalations, leader string
	activity            domain.Activity
	currency            string
}

func firstName(p Person) string {
	if f := strings.Fields(p.RealName); len(f) > 0 {
		return f[0]
	}
	return p.Name
}

// cast picks the tour's people from the directory: the first front-line
// person, the first approver of the lowest level for their team, and
// another front-line person of their team.
func (s *Sandbox) cast() tourCast {
	var c tourCast
	pol := s.cfg.Policy
	team := ""
	for _, p := range s.dir.people {
		if strings.HasPrefix(p.Role, "front line") {
			c.front = p
			if i := strings.Index(p.Role, "("); i >= 0 {
				team = strings.TrimSuffix(p.Role[i+1:], ")")
			}
			break
		}
	}
	if c.front.ID == "" && len(s.dir.people) > 0 {
		c.front = s.dir.people[0]
	}
	lowest := ""
	if len(pol.Levels) > 0 {
		lowest = domain.RoleName(pol.Levels[0].Name)
	}
	for _, p := range s.dir.people {
		if p.ID == c.front.ID || lowest == "" {
			continue
		}
		for _, r := range strings.Split(p.Role, ", ") {
			if r == lowest || (team != "" && r == lowest+" ("+team+")") {
				if c.lead.ID == "" || r != lowest {
					c.lead = p
				}
			}
		}
		if c.lead.ID != "" && strings.Contains(c.lead.Role, "("+team+")") {
			break
		}
	}
	if c.lead.ID == "" {
		c.lead = c.front
	}
	for _, p := range s.dir.people {
		if p.ID != c.front.ID && p.Role == c.front.Role {
			c.mate = p
			break
		}
	}
	if c.mate.ID == "" {
		c.mate = c.lead
	}
	c.escalations, c.leader = pol.Channels.Escalations, pol.Channels.Leaders
	for _, t := range pol.Teams {
		if t.Name == team {
			if t.Channels.Escalations != "" {
				c.escalations = t.Channels.Escalations
			}
			if t.Channels.Leaders != "" {
				c.leader = t.Channels.Leaders
			}
		}
	}
	for _, a := range pol.Activities {
		if a.FrontlineLimit > 0 {
			c.activity = a
			break
		}
	}
	c.currency = pol.CurrencyOf(c.activity)
	if c.activity.FrontlineLimit <= 0 {
		c.activity.FrontlineLimit = 500 * 100
	}
	if c.activity.Name == "" {
		c.activity.Name = "discount"
	}
	if c.escalations == "" {
		c.escalations = generalID
	}
	if c.leader == "" {
		c.leader = generalID
	}
	return c
}

// tourSteps is the story: inside the box, above it, the lead approves,
// three days later how did it go, praise, feedback, a commitment, the digest.
func (s *Sandbox) tourSteps() []tourStep {
	c := s.cast()
	front, lead, mate := firstName(c.front), firstName(c.lead), firstName(c.mate)
	cmd := s.Emu.Command()
	limit := c.activity.FrontlineLimit
	inside := limit / 4 / 1000 * 1000 // $120 of $500
	if inside >= limit || inside <= 0 {
		inside = limit / 2
	}
	above := limit + limit*4/5 // $900 of $500
	amt := func(a money.Amount) string { return a.Format(c.currency) }
	num := func(a money.Amount) string { return strings.ReplaceAll(a.String(), ",", "") }
	value := ""
	if v := s.cfg.Policy.Values; len(v) > 0 {
		value = " #" + v[0]
	}
	by := s.Clock.Now().In(s.cfg.Policy.Location).AddDate(0, 0, 14).Format(time.DateOnly)
	pending := func(e domain.Event) bool { return e.To == string(domain.StatePending) }
	return []tourStep{
		{TourStep: TourStep{ID: "inside", Title: "Decide inside the box",
			Text: fmt.Sprintf("Be %s and give a customer %s off: it's inside %s's %s box, so it's %s's call. The bot records it and thanks %s; nobody has to approve.",
				front, amt(inside), front, amt(limit), front, front),
			Person: c.front.ID, Conv: generalID,
			Composer: fmt.Sprintf("%s %s %s for Globex, late delivery%s", cmd, c.activity.Name, num(inside), value)},
			done: func(f tourFacts) bool {
				return f.has(domain.EventDecisionCreated, func(e domain.Event) bool { return e.To == string(domain.StateAutonomous) })
			}},
		{TourStep: TourStep{ID: "above", Title: "Bring the leader in",
			Text: fmt.Sprintf("Now %s: above the box. %s still logs it; the bot posts a card for %s, the team lead, with Approve and Decline.",
				amt(above), front, lead),
			Person: c.front.ID, Conv: generalID,
			Composer: fmt.Sprintf("%s %s %s for ACME, loyal customer%s", cmd, c.activity.Name, num(above), value)},
			done: func(f tourFacts) bool { return f.has(domain.EventDecisionCreated, pending) }},
		{TourStep: TourStep{ID: "approve", Title: "Be " + lead + ": approve",
			Text:   fmt.Sprintf("Switch to %s: the number on %s's name is the card waiting. Approve it; the bot tells %s by DM.", lead, lead, front),
			Person: c.lead.ID, Conv: c.escalations},
			done: func(f tourFacts) bool { return f.has(domain.EventDecisionApproved, nil) }},
		{TourStep: TourStep{ID: "outcome", Title: "Three days later: how did it go?",
			Text:   fmt.Sprintf("Move the clock 3 days and run what's due: the bot asks %s how the decision turned out. Answer in %s's DM.", front, front),
			Person: c.front.ID, Conv: "app", Tab: "messages",
			Action: &TourAction{Label: "+3 days, run what's due", Advance: "3d"}},
			started: func(f tourFacts) bool { return f.has(domain.EventOutcomeAsked, nil) },
			done: func(f tourFacts) bool {
				return f.has(domain.EventOutcomeWorked, nil) || f.has(domain.EventOutcomeFailed, nil)
			}},
		{TourStep: TourStep{ID: "praise", Title: "Praise a risk taken",
			Text:   fmt.Sprintf("%s thanks %s in public for a call well made: the bot posts it in the praise channel.", front, mate),
			Person: c.front.ID, Conv: generalID,
			Composer: fmt.Sprintf("%s praise @%s took the late call and kept the customer%s", cmd, c.mate.Name, value)},
			done: func(f tourFacts) bool { return f.has(domain.EventPraiseGiven, nil) }},
		{TourStep: TourStep{ID: "feedback", Title: "Feedback: how can your leader help?",
			Text:   fmt.Sprintf("Run the feedback round: the bot asks everyone the six questions by DM. Answer them as %s.", front),
			Person: c.front.ID, Conv: "app", Tab: "messages",
			Action: &TourAction{Label: "Run feedback now", Job: "feedback"}},
			done: func(f tourFacts) bool { return f.has(domain.EventFeedbackAnswered, nil) }},
		{TourStep: TourStep{ID: "commit", Title: "The leader commits",
			Text:   fmt.Sprintf("Be %s and commit to something for %s, with a date: the bot keeps it on both Homes and reminds %s before it's due.", lead, front, lead),
			Person: c.lead.ID, Conv: generalID,
			Composer: fmt.Sprintf("%s commit @%s get you on the safety course by %s", cmd, c.front.Name, by)},
			done: func(f tourFacts) bool { return f.has(domain.EventCommitmentMade, nil) }},
		{TourStep: TourStep{ID: "digest", Title: "The weekly digest",
			Text:   fmt.Sprintf("Run the digest: the leaders' channel gets the week in figures and a chart, what was decided inside and above the box, and what %s promised.", lead),
			Person: c.lead.ID, Conv: c.leader,
			Action: &TourAction{Label: "Run the digest now", Job: "digest"}},
			done: func(f tourFacts) bool { return digestPosted(f.botMsgs) }},
	}
}

// digestPosted reports whether the bot posted a digest in a leaders
// channel: a message with the chart, or whose header names the digest.
func digestPosted(byChannel map[string][]slackemu.Message) bool {
	for _, msgs := range byChannel {
		for _, m := range msgs {
			if len(m.Files) > 0 {
				return true
			}
			var blocks []struct {
				Type string `json:"type"`
				Text struct {
					Text string `json:"text"`
				} `json:"text"`
			}
			_ = json.Unmarshal(m.Blocks, &blocks)
			for _, b := range blocks {
				if b.Type == "header" && strings.Contains(strings.ToLower(b.Text.Text), "digest") {
					return true
				}
			}
		}
	}
	return false
}

// tour returns the steps with what is done.
func (s *Sandbox) tour(ctx context.Context) ([]TourStep, error) {
	evs, err := s.App.Store.ReadAudit(ctx, s.Emu.TeamID(), time.Unix(0, 0), time.Now().AddDate(100, 0, 0))
	if err != nil {
		return nil, fmt.Errorf("read what happened: %w", err)
	}
	f := tourFacts{events: evs, botMsgs: map[string][]slackemu.Message{}}
	for _, r := range s.dir.rooms {
		if !strings.HasPrefix(r.Purpose, "leaders") {
			continue
		}
		for _, m := range s.Emu.Messages(r.ID) {
			if m.User == s.Emu.BotUserID() {
				f.botMsgs[r.ID] = append(f.botMsgs[r.ID], m)
			}
		}
	}
	steps := s.tourSteps()
	out := make([]TourStep, 0, len(steps))
	for _, st := range steps {
		t := st.TourStep
		t.Done = st.done(f)
		t.Started = !t.Done && st.started != nil && st.started(f)
		out = append(out, t)
	}
	return out, nil
}

func (s *Sandbox) handleTour(w http.ResponseWriter, r *http.Request) {
	steps, err := s.tour(r.Context())
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "steps": steps})
}
