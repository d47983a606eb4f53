package domain

import (
	"encoding/json"
	"time"

	"github.com/empowerbot/empowerbot/jsonenc"
)

// AppendJSON appends d as JSON, the bytes json.Marshal(d) writes, without
// its reflection: a decision's record is encoded on every change (the ack
// path of every decision). A time json.Marshal refuses (a year beyond
// 9999) is an error here too.
func (d *Decision) AppendJSON(dst []byte) ([]byte, error) {
	if !jsonTimesOK(d) {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		return append(dst, b...), nil
	}
	dst = append(dst, '{')
	dst = field(dst, "id", d.ID)
	dst = field(dst, "team", d.Team)
	dst = field(dst, "requester", d.Requester)
	dst = fieldOmitEmpty(dst, "team_name", d.TeamName)
	dst = field(dst, "activity", d.Activity)
	dst = jsonenc.Field(dst, "amount")
	dst = jsonenc.Int(dst, int64(d.Amount))
	dst = field(dst, "currency", d.Currency)
	dst = fieldOmitEmpty(dst, "customer", d.Customer)
	dst = fieldOmitEmpty(dst, "reason", d.Reason)
	if len(d.Tags) > 0 {
		dst = jsonenc.Field(dst, "tags")
		dst = jsonenc.Strings(dst, d.Tags)
	}
	dst = field(dst, "state", string(d.State))
	dst = jsonenc.Field(dst, "level")
	dst = jsonenc.Int(dst, int64(d.Level))
	dst = fieldOmitEmpty(dst, "level_name", d.LevelName)
	dst = fieldOmitEmpty(dst, "why", d.Why)
	if d.ExceedsAll {
		dst = append(dst, `,"exceeds_all":true`...)
	}
	dst = timeField(dst, "created_at", d.CreatedAt)
	if !d.Deadline.IsZero() {
		dst = timeField(dst, "deadline", d.Deadline)
	}
	if len(d.History) > 0 {
		dst = jsonenc.Field(dst, "history")
		dst = append(dst, '[')
		for i, e := range d.History {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			dst = field(dst, "action", e.Action)
			dst = fieldOmitEmpty(dst, "actor", e.Actor)
			dst = fieldOmitEmpty(dst, "from", e.From)
			dst = fieldOmitEmpty(dst, "to", e.To)
			dst = timeField(dst, "at", e.At)
			dst = fieldOmitEmpty(dst, "note", e.Note)
			dst = fieldOmitEmpty(dst, "for", e.For)
			dst = fieldOmitEmpty(dst, "request", e.Request)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(d.Approvals) > 0 {
		dst = jsonenc.Field(dst, "approvals")
		dst = append(dst, '[')
		for i, a := range d.Approvals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			dst = field(dst, "by", a.By)
			dst = timeField(dst, "at", a.At)
			dst = fieldOmitEmpty(dst, "for", a.For)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = fieldOmitEmpty(dst, "decided_by", d.DecidedBy)
	if !d.DecidedAt.IsZero() {
		dst = timeField(dst, "decided_at", d.DecidedAt)
	}
	dst = fieldOmitEmpty(dst, "decided_for", d.DecidedFor)
	dst = fieldOmitEmpty(dst, "decline_reason", d.DeclineReason)
	if d.Reminders != 0 {
		dst = jsonenc.Field(dst, "reminders")
		dst = jsonenc.Int(dst, int64(d.Reminders))
	}
	if !d.OutcomeDue.IsZero() {
		dst = timeField(dst, "outcome_due", d.OutcomeDue)
	}
	return append(dst, '}'), nil
}

func field(dst []byte, name, v string) []byte {
	dst = jsonenc.Field(dst, name)
	return jsonenc.String(dst, v)
}

func fieldOmitEmpty(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return field(dst, name, v)
}

// timeField appends t as time.Time.MarshalJSON writes it (RFC 3339 with
// nanoseconds); jsonTimesOK said it can.
func timeField(dst []byte, name string, t time.Time) []byte {
	dst = jsonenc.Field(dst, name)
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// jsonTimesOK reports whether every time of d is one time.Time.MarshalJSON
// writes as AppendFormat does: a year in [0, 9999] and a zone offset
// within a day, in whole minutes.
func jsonTimesOK(d *Decision) bool {
	if !jsonTimeOK(d.CreatedAt) || !jsonTimeOK(d.Deadline) || !jsonTimeOK(d.DecidedAt) || !jsonTimeOK(d.OutcomeDue) {
		return false
	}
	for _, e := range d.History {
		if !jsonTimeOK(e.At) {
			return false
		}
	}
	for _, a := range d.Approvals {
		if !jsonTimeOK(a.At) {
			return false
		}
	}
	return true
}

func jsonTimeOK(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off%60 == 0 && off > -24*3600 && off < 24*3600
}
