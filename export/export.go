// Package export writes a workspace's audit history (decisions with their
// whole history, approvals, outcomes, praise, wins, commitments, feedback
// answers) as CSV or JSON, streaming: events are read from the store a page
// at a time and written as they come, so a year of a large team never sits
// in memory. Anonymous feedback answers never carry their author.
//
// `empowerbot export` writes to standard output; `/empower export` sends
// the CSV to an admin's DM.
package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// Formats.
const (
	CSV  = "csv"
	JSON = "json"
)

// Source is where the history is read from (*store.Store).
type Source interface {
	EachAudit(ctx context.Context, team string, from, to time.Time, fn func(domain.Event) error) error
	GetDecision(ctx context.Context, team, id string) (*domain.DecisionRecord, error)
	FeedbackAnswers(ctx context.Context, team, round string) ([]domain.FeedbackAnswer, error)
}

// Request is one export.
type Request struct {
	// Team is the Slack workspace (T…).
	Team string
	// From and To bound the events' times: [From, To).
	From, To time.Time
	// Format is CSV (default) or JSON.
	Format string
	// Location is the zone the times are written in (default UTC).
	Location *time.Location
}

// Columns are the CSV's header, in order.
var Columns = []string{
	"time", "event", "subject", "actor", "from", "to", "team", "activity", "amount", "currency",
	"customer", "reason", "tags", "level", "requester", "person", "text", "anonymous", "details",
}

// Row is one exported event; JSON exports write it as it is.
type Row struct {
	Time      string `json:"time"`
	Event     string `json:"event"`
	Subject   string `json:"subject,omitempty"`
	Actor     string `json:"actor,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Team      string `json:"team,omitempty"`
	Activity  string `json:"activity,omitempty"`
	Amount    string `json:"amount,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Customer  string `json:"customer,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Tags      string `json:"tags,omitempty"`
	Level     string `json:"level,omitempty"`
	Requester string `json:"requester,omitempty"`
	Person    string `json:"person,omitempty"`
	Text      string `json:"text,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
	// Details is the event's whole payload, as stored.
	Details json.RawMessage `json:"details,omitempty"`
}

func (r Row) fields() []string {
	anon := ""
	if r.Anonymous {
		anon = "true"
	}
	return []string{r.Time, r.Event, r.Subject, r.Actor, r.From, r.To, r.Team, r.Activity, r.Amount, r.Currency,
		r.Customer, r.Reason, r.Tags, r.Level, r.Requester, r.Person, r.Text, anon, string(r.Details)}
}

// Write streams the events of req to w and returns how many it wrote.
func Write(ctx context.Context, w io.Writer, src Source, req Request) (int, error) {
	if req.Location == nil {
		req.Location = time.UTC
	}
	e := &exporter{src: src, req: req, answers: map[string][]domain.FeedbackAnswer{}}
	var emit func(Row) error
	var finish func() error
	switch req.Format {
	case "", CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(Columns); err != nil {
			return 0, err
		}
		emit = func(r Row) error { return cw.Write(r.fields()) }
		finish = func() error { cw.Flush(); return cw.Error() }
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		first := true
		if _, err := io.WriteString(w, "["); err != nil {
			return 0, err
		}
		emit = func(r Row) error {
			sep := ",\n"
			if first {
				sep, first = "\n", false
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
		finish = func() error { _, err := io.WriteString(w, "\n]\n"); return err }
	default:
		return 0, fmt.Errorf("unknown format %q: csv or json", req.Format)
	}
	n := 0
	err := src.EachAudit(ctx, req.Team, req.From, req.To, func(ev domain.Event) error {
		r, err := e.row(ctx, ev)
		if err != nil {
			return err
		}
		n++
		return emit(r)
	})
	if err != nil {
		return n, err
	}
	return n, finish()
}

type exporter struct {
	src     Source
	req     Request
	answers map[string][]domain.FeedbackAnswer // by round, read once
}

// payload holds the fields of any event payload that have a column.
type payload struct {
	Activity  string   `json:"activity"`
	Amount    *int64   `json:"amount"`
	Currency  string   `json:"currency"`
	Customer  string   `json:"customer"`
	Reason    string   `json:"reason"`
	Note      string   `json:"note"`
	Tags      []string `json:"tags"`
	Values    []string `json:"values"`
	Level     string   `json:"level"`
	Requester string   `json:"requester"`
	TeamName  string   `json:"team_name"`
	Employee  string   `json:"employee"`
	Leader    string   `json:"leader"`
	Users     []string `json:"users"`
	To        string   `json:"to"`
	Text      string   `json:"text"`
	Question  string   `json:"question"`
	Anonymous bool     `json:"anonymous"`
	Delegate  string   `json:"delegate"`
}

func (e *exporter) row(ctx context.Context, ev domain.Event) (Row, error) {
	data, err := ev.EncodeData()
	if err != nil {
		return Row{}, err
	}
	var p payload
	_ = json.Unmarshal(data, &p) // fields of other shapes are left empty; details keeps all
	r := Row{
		Time: ev.At.In(e.req.Location).Format(time.RFC3339), Event: string(ev.Type()),
		Subject: ev.Subject, Actor: ev.Actor, From: ev.From, To: ev.To,
		Team: p.TeamName, Activity: p.Activity, Currency: p.Currency, Customer: p.Customer,
		Reason: p.Reason, Level: p.Level, Requester: p.Requester, Anonymous: p.Anonymous,
		Tags: strings.Join(append(p.Tags, p.Values...), " "), Details: data,
	}
	if p.Amount != nil {
		a := *p.Amount
		r.Amount = fmt.Sprintf("%d.%02d", a/100, a%100)
	}
	switch {
	case p.Employee != "":
		r.Person = p.Employee
	case len(p.Users) > 0:
		r.Person = strings.Join(p.Users, " ")
	case p.Delegate != "":
		r.Person = p.Delegate
	}
	r.Text = p.Text
	if r.Text == "" {
		r.Text = p.Note
	}
	if r.Text == "" {
		r.Text = p.Question
	}
	switch ev.Type() {
	case domain.EventDecisionCreated:
		// The reason is the decision's, not the event's.
		if d, err := e.src.GetDecision(ctx, e.req.Team, ev.Subject); err == nil {
			r.Reason = d.Decision.Reason
			if r.Customer == "" {
				r.Customer = d.Decision.Customer
			}
		}
	case domain.EventFeedbackAnswered:
		if p.Anonymous {
			r.Actor = "" // never the author of an anonymous answer
		}
		if a, ok := e.answer(ctx, ev, p.Anonymous); ok {
			r.Text = a.Text
		}
	}
	return r, nil
}

// answer finds the stored answer an answered event is about: same round,
// same millisecond, same author (none when anonymous).
func (e *exporter) answer(ctx context.Context, ev domain.Event, anonymous bool) (domain.FeedbackAnswer, bool) {
	list, ok := e.answers[ev.Subject]
	if !ok {
		var err error
		if list, err = e.src.FeedbackAnswers(ctx, e.req.Team, ev.Subject); err != nil {
			return domain.FeedbackAnswer{}, false
		}
		if len(e.answers) >= 8 { // rounds are weekly: keep a few, not the year's
			clear(e.answers)
		}
		e.answers[ev.Subject] = list
	}
	for _, a := range list {
		if a.At.UnixMilli() == ev.At.UnixMilli() && a.Anonymous == anonymous && (anonymous || a.User == ev.Actor) {
			return a, true
		}
	}
	return domain.FeedbackAnswer{}, false
}
