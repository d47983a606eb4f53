package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/export"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// exportRows parses a CSV export into rows keyed by column.
func exportRows(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, data)
	}
	if !slices.Equal(recs[0], export.Columns) {
		t.Fatalf("header = %v, want %v", recs[0], export.Columns)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range export.Columns {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// rowsOf returns the rows of one event type about subject ("" any).
func rowsOf(rows []map[string]string, event, subject string) []map[string]string {
	var out []map[string]string
	for _, r := range rows {
		if r["event"] == event && (subject == "" || r["subject"] == subject) {
			out = append(out, r)
		}
	}
	return out
}

// TestExportAScriptedWeek plays a week (a decision inside the box, one
// approved above it, praise, a commitment, a named and an anonymous
// feedback answer), exports it in both formats and compares each field with
// what people were shown; then an admin gets it by DM and anyone else is
// refused.
func TestExportAScriptedWeek(t *testing.T) {
	pol := strings.Replace(feedbackPolicy(yearlySpec, yearlySpec, true), "frontline: [", "admins: [U0CAROL]\nfrontline: [", 1)
	pol = strings.Replace(pol, "daily_limit: 10", "daily_limit: 10\n  reaction: clap", 1)
	e := startFeedback(t, apptest.Options{Policy: pol})
	de := &decisionEnv{Env: e.Env, t: t, store: e.store}
	start := e.Clock.Now()

	res, inside := de.decide(apptest.Dave, "discount $250 for ACME travel charge waived #customer-first")
	if !strings.Contains(res.AllText(), "yours to make") {
		t.Fatalf("not inside the box: %s", res.AllText())
	}
	_, above := de.decide(apptest.Dave, "discount 900 for Umbrella loyal customer since 2019")
	card := de.escalation(above, "team lead")
	de.click(apptest.Bob, card, "Approve")
	de.waitDM(apptest.Dave, "approved")
	if r := e.Command(apptest.Bob, "praise <@U0DAVE|dave> saved the ACME account #ownership"); strings.Contains(r.AllText(), ":warning:") {
		t.Fatalf("praise: %s", r.AllText())
	}
	if r := e.Command(apptest.Bob, "commit <@U0DAVE|dave> get you on the safety course by friday"); strings.Contains(r.AllText(), ":warning:") {
		t.Fatalf("commit: %s", r.AllText())
	}
	// Dave says how the first one turned out; Bob shares a win; Erin claps
	// Dave's message in #general.
	if r := e.Command(apptest.Dave, "outcome "+inside+" worked they renewed for a year"); strings.Contains(r.AllText(), ":warning:") {
		t.Fatalf("outcome: %s", r.AllText())
	}
	if r := e.Command(apptest.Bob, "win ACME renewed for a year <@U0DAVE|dave> #customer-first"); !strings.Contains(r.AllText(), "is up") {
		t.Fatalf("win: %s", r.AllText())
	}
	said, err := e.Emu.PostAsUser(apptest.Dave, apptest.General, "ACME is back up")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Emu.React(e.Ctx(), apptest.Erin, apptest.General, said.TS, "clap"); err != nil {
		t.Fatal(err)
	}
	clapPost, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "<@U0ERIN> praises <@U0DAVE>") })
	if err != nil {
		t.Fatalf("no praise by reaction: %v", err)
	}
	e.runNow(jobs.JobFeedback)
	e.fbAnswer(apptest.Alice, "Clearer goals each quarter would help", true)
	e.fbAnswer(apptest.Erin, "More pairing on big installs", false)

	var csvOut, jsonOut bytes.Buffer
	req := export.Request{Team: apptest.Team, From: start.Add(-time.Minute), To: e.Clock.Now().Add(time.Minute), Location: e.Policy.Location}
	n, err := export.Write(e.Ctx(), &csvOut, e.store, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Format = export.JSON
	if m, err := export.Write(e.Ctx(), &jsonOut, e.store, req); err != nil || m != n {
		t.Fatalf("JSON export: %d rows, %v; CSV had %d", m, err, n)
	}
	rows := exportRows(t, csvOut.Bytes())
	if len(rows) != n {
		t.Fatalf("%d CSV rows, Write said %d", len(rows), n)
	}

	one := func(event, subject string) map[string]string {
		t.Helper()
		rs := rowsOf(rows, event, subject)
		if len(rs) != 1 {
			t.Fatalf("%d %s rows about %q, want 1:\n%s", len(rs), event, subject, csvOut.String())
		}
		return rs[0]
	}
	want := func(r map[string]string, fields map[string]string) {
		t.Helper()
		for k, v := range fields {
			if r[k] != v {
				t.Errorf("%s %s: %s = %q, want %q", r["event"], r["subject"], k, r[k], v)
			}
		}
	}
	// What Dave was told: "Logged D-…: $250 discount for ACME: travel charge waived".
	want(one("decision.created", inside), map[string]string{"actor": apptest.Dave, "activity": "discount", "amount": "250.00",
		"currency": "USD", "customer": "ACME", "reason": "travel charge waived", "tags": "customer-first", "to": "autonomous"})
	want(one("decision.created", above), map[string]string{"actor": apptest.Dave, "amount": "900.00", "customer": "Umbrella",
		"reason": "loyal customer since 2019", "level": "team-lead", "to": "pending"})
	// What the card said: "Approved by @bob".
	want(one("decision.approved", above), map[string]string{"actor": apptest.Bob, "from": "pending", "to": "approved", "amount": "900.00"})
	praise := rowsOf(rows, "praise.given", apptest.Dave)
	if len(praise) != 2 {
		t.Fatalf("%d praise.given rows, want 2 (typed, by reaction)", len(praise))
	}
	want(praise[0], map[string]string{"actor": apptest.Bob, "text": "saved the ACME account", "tags": "ownership"})
	// What #praise showed: "@erin praises @dave for this message in #general".
	want(praise[1], map[string]string{"actor": apptest.Erin, "subject": apptest.Dave, "text": ""})
	for _, w := range []string{`"reaction":"clap"`, `"channel":"` + apptest.General + `"`, `"message_ts":"` + said.TS + `"`} {
		if !strings.Contains(praise[1]["details"], w) {
			t.Errorf("the praise by reaction's details lack %s: %s (the post: %s)", w, praise[1]["details"], clapPost.AllText())
		}
	}
	// What Dave said with /empower outcome, and Bob's win as posted.
	want(one("outcome.worked", inside), map[string]string{"actor": apptest.Dave})
	want(one("win.posted", ""), map[string]string{"actor": apptest.Bob, "text": "ACME renewed for a year", "tags": "customer-first"})
	want(one("commitment.made", ""), map[string]string{"actor": apptest.Bob, "person": apptest.Dave, "text": "get you on the safety course"})
	answers := rowsOf(rows, "feedback.answered", "")
	if len(answers) != 2 {
		t.Fatalf("%d feedback answers, want 2", len(answers))
	}
	for _, a := range answers {
		switch a["text"] {
		case "Clearer goals each quarter would help":
			want(a, map[string]string{"actor": "", "anonymous": "true"})
		case "More pairing on big installs":
			want(a, map[string]string{"actor": apptest.Erin, "anonymous": ""})
		default:
			t.Errorf("an answer nobody gave: %v", a)
		}
	}
	// Alice only answered anonymously: she is nowhere in the export.
	if strings.Contains(csvOut.String(), apptest.Alice) || strings.Contains(jsonOut.String(), apptest.Alice) {
		t.Errorf("the export names the author of an anonymous answer")
	}

	// The JSON export holds the same rows, every column, field by field.
	var js []map[string]json.RawMessage
	if err := json.Unmarshal(jsonOut.Bytes(), &js); err != nil {
		t.Fatalf("the JSON export does not parse: %v", err)
	}
	if len(js) != len(rows) {
		t.Fatalf("%d JSON rows, %d CSV rows", len(js), len(rows))
	}
	for i, r := range js {
		for _, col := range export.Columns {
			raw, got := r[col], ""
			switch {
			case raw == nil:
			case col == "details":
				got = string(raw)
			case col == "anonymous":
				if string(raw) == "true" {
					got = "true"
				}
			default:
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatalf("row %d %s = %s: %v", i, col, raw, err)
				}
			}
			if got != rows[i][col] {
				t.Errorf("row %d (%s) %s: JSON %q, CSV %q", i, rows[i]["event"], col, got, rows[i][col])
			}
		}
	}
	lines := strings.SplitN(csvOut.String(), "\n", 5)
	t.Logf("the first lines of the export:\n%s", strings.Join(lines[:min(4, len(lines))], "\n"))

	// /empower export: refused to anyone but an admin, nothing sent.
	filesBefore := len(e.Emu.Files())
	r := e.Command(apptest.Dave, "export 7d")
	if !strings.Contains(r.AllText(), "they're for the workspace's empowerbot admins") || !strings.Contains(r.AllText(), "<@U0CAROL>") {
		t.Errorf("a non-admin's export = %q, want a refusal naming the admins", r.AllText())
	}
	if len(e.Emu.Files()) != filesBefore {
		t.Errorf("a refused export uploaded a file")
	}
	if r := e.Command(apptest.Carol, "export 1y"); !strings.Contains(r.AllText(), "`7d`, `30d` or `90d`") {
		t.Errorf("a bad window = %q", r.AllText())
	}
	// The admin gets the CSV in her DM.
	r = e.Command(apptest.Carol, "export 7d")
	if !strings.Contains(r.AllText(), "sent you the export by DM") {
		t.Fatalf("the admin's export = %q", r.AllText())
	}
	var file slackemu.File
	for _, f := range e.Emu.Files() {
		if strings.HasSuffix(f.Name, ".csv") && slices.Contains(f.Channels, e.Emu.DMChannelID(apptest.Carol)) {
			file = f
		}
	}
	if !file.Complete {
		t.Fatalf("no CSV shared in Carol's DM: %+v", e.Emu.Files())
	}
	dmRows := exportRows(t, file.Content)
	if len(dmRows) < n {
		t.Errorf("the DM's CSV has %d rows, the export %d", len(dmRows), n)
	}
	if len(rowsOf(dmRows, "decision.created", above)) != 1 {
		t.Errorf("the DM's CSV lacks the week's decisions")
	}
}

func TestRetentionTrimsTheOldHistory(t *testing.T) {
	pol := strings.Replace(apptest.DefaultPolicy, "frontline: [", "retention: 30d\nfrontline: [", 1)
	de := startDecisions(t, apptest.Options{Policy: pol})
	now := de.Clock.Now()
	for _, age := range []time.Duration{400 * 24 * time.Hour, 31 * 24 * time.Hour, 29 * 24 * time.Hour} {
		de.audit(domain.Event{Actor: apptest.Bob, Subject: apptest.Dave, At: now.Add(-age), Payload: domain.PraiseGivenData{Text: "old thanks"}})
	}
	b := de.Bots()[0]
	// The bot also trims at start-up and every hour; this is the same trim, now.
	b.App.TrimHistory(de.Ctx())
	evs, err := de.store.ReadAudit(de.Ctx(), apptest.Team, now.Add(-500*24*time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || now.Sub(evs[0].At) > 30*24*time.Hour {
		t.Errorf("after the trim %d events are left (%v), want the one from 29 days ago", len(evs), evs)
	}
	if n := b.App.TrimHistory(de.Ctx()); n != 0 {
		t.Errorf("a second trim deleted %d", n)
	}
}
