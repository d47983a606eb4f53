package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// update rewrites the golden files: go test ./e2e -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden Block Kit files in testdata/golden")

// goldenDir holds one file per main message: the text and Block Kit JSON
// that Slack received, normalised.
const goldenDir = "testdata/golden"

// TestGoldenBlockKit runs one scripted story through the real wiring and
// compares the main messages as the emulator received them with the files
// in testdata/golden: the escalation card, the decided card (approved and
// declined), the outcome follow-up DM, the praise post, the digest and the
// App Home of a front-line person and of a leader. Any change to one of
// those messages fails here with a diff; when the change is meant, rewrite
// the files with `go test ./e2e -run Golden -update` and review them.
func TestGoldenBlockKit(t *testing.T) {
	pol := apptest.DefaultPolicy
	for _, job := range []string{"feedback", "feedback_reminder", "commitment_reminders", "escalation_timeouts", "outcome_followups", "digest"} {
		pol = replaceSpec(pol, job, yearlySpec)
	}
	e := startDecisions(t, apptest.Options{Policy: pol})
	t.Cleanup(e.checkViews)
	loc := e.Policy.Location
	// A fixed weekday and hour, so that weekdays, "in 3 days" and the
	// digest's week read the same on every run; the dates themselves are
	// replaced by placeholders.
	start := lastWeekdayAt(time.Now(), loc, time.Tuesday, 10)
	// Each step runs at its own planned time, whatever the machine's speed,
	// so the times the messages show are the same on every run. The
	// answers take 10m30s and 15m30s: far from a minute's edge, so that a
	// slow step does not change the digest's "time to answer".
	at := func(days int, d time.Duration) { e.Clock.Set(start.AddDate(0, 0, days).Add(d)) }
	n := newNormaliser()

	// Escalation card, then approved.
	at(0, 0)
	_, approved := e.decide(apptest.Dave, "discount 900 for ACME renewal at risk #customer-first")
	card := e.escalation(approved, "team lead")
	n.check(t, "escalation_card", messageGolden(card))
	at(0, 10*time.Minute+30*time.Second)
	e.click(apptest.Bob, card, "Approve")
	decided := e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB>") && len(m.Buttons()) == 0
	})
	n.check(t, "decided_card_approved", messageGolden(decided))

	// Declined with a reason.
	at(0, 20*time.Minute)
	_, declined := e.decide(apptest.Alice, "discount 1500 for Initech")
	card = e.escalation(declined, "team lead")
	at(0, 35*time.Minute+30*time.Second)
	e.click(apptest.Bob, card, "Decline")
	v, err := e.Emu.WaitView(e.Ctx(), apptest.Bob, func(v slackemu.View) bool { return v.Open && strings.Contains(v.Title, "Decline") })
	if err != nil {
		t.Fatalf("no decline modal: %v", err)
	}
	if _, err := e.Emu.SubmitView(e.Ctx(), apptest.Bob, v.ID, slackemu.Values{}.Set("reason", "reason", "too much for this quarter")); err != nil {
		t.Fatal(err)
	}
	decided = e.waitUpdated(card.TS, "declined", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Declined by <@U0BOB>") && len(m.Buttons()) == 0
	})
	n.check(t, "decided_card_declined", messageGolden(decided))

	// Praise, and the public post it makes.
	at(0, 40*time.Minute)
	if res := e.Command(apptest.Bob, "praise <@U0DAVE|dave> Saved the ACME renewal <!channel> #courage"); !strings.Contains(res.AllText(), "is up") {
		t.Fatalf("praise: %s", res.AllText())
	}
	post, err := e.Emu.WaitMessage(e.Ctx(), apptest.Praise, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Saved the ACME renewal") })
	if err != nil {
		t.Fatalf("no praise post: %v", err)
	}
	n.check(t, "praise_post", messageGolden(post))

	// A commitment, for the Homes.
	at(0, 50*time.Minute)
	if res := e.Command(apptest.Bob, "commit <@U0DAVE|dave> book the training by in 5 days"); commitmentIDRe.FindString(res.AllText()) == "" {
		t.Fatalf("commit: %s", res.AllText())
	}

	// Three days later (the policy asks after 72h): the outcome follow-up DM.
	at(3, time.Hour)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), jobs.JobOutcomeFollowups); err != nil {
		t.Fatal(err)
	}
	n.check(t, "outcome_followup_dm", messageGolden(e.followUp(apptest.Dave, approved)))

	// A decision waiting for Bob, then the App Home of a front-line person
	// and of a leader.
	at(3, 70*time.Minute)
	_, pending := e.decide(apptest.Erin, "discount 800 for Globex")
	e.escalation(pending, "team lead")
	at(3, 80*time.Minute)
	for _, who := range []struct{ user, name, want string }{
		{apptest.Dave, "home_frontline", approved},
		{apptest.Bob, "home_leader", pending},
	} {
		if _, err := e.Emu.OpenHome(e.Ctx(), who.user); err != nil {
			t.Fatal(err)
		}
		n.check(t, who.name, viewGolden(e.home(who.user, who.want, homeHas(who.want))))
	}

	// The weekly digest of the week ending on the Friday after start, just
	// after its tick.
	tick := time.Date(start.Year(), start.Month(), start.Day()+3, 16, 0, 0, 0, loc)
	at(3, 6*time.Hour+time.Minute)
	if err := e.Bots()[0].App.Handlers.Digest(e.Ctx(), tick); err != nil {
		t.Fatal(err)
	}
	digest, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Weekly digest") })
	if err != nil {
		t.Fatalf("no digest: %v", err)
	}
	n.check(t, "digest", messageGolden(digest))
}

// lastWeekdayAt returns the latest day before now that is a wd, at hour
// o'clock in loc.
func lastWeekdayAt(now time.Time, loc *time.Location, wd time.Weekday, hour int) time.Time {
	n := now.In(loc)
	d := time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, loc)
	for d.Weekday() != wd || !d.Before(n) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// golden is what a golden file holds: the notification text and the blocks.
type golden struct {
	Text   string          `json:"text,omitempty"`
	Title  string          `json:"title,omitempty"`
	Blocks json.RawMessage `json:"blocks"`
}

func messageGolden(m slackemu.Message) golden { return golden{Text: m.Text, Blocks: m.Blocks} }

func viewGolden(v slackemu.View) golden { return golden{Title: v.Title, Blocks: v.Blocks} }

// normaliser replaces what changes from run to run (message timestamps,
// decision, commitment, view and file IDs, dates and times of day) with
// numbered placeholders. The same value gets the same placeholder across
// the whole story, so a button that names its decision still shows which.
type normaliser struct {
	seen map[string]string
	next map[string]int
}

func newNormaliser() *normaliser {
	return &normaliser{seen: map[string]string{}, next: map[string]int{}}
}

// The patterns, most specific first. Month names are the ones Go's "Jan"
// layout prints.
var goldenPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"TS", regexp.MustCompile(`\b\d{10}\.\d{6}\b`)},
	{"UNIX", regexp.MustCompile(`\b1\d{9}\b`)},
	{"DECISION", regexp.MustCompile(`\bD-[0-9A-Z]{6}\b`)},
	{"COMMITMENT", regexp.MustCompile(`\bC-[0-9A-Z]{6,}\b`)},
	{"FILE", regexp.MustCompile(`\bF[0-9A-Z]{8,}\b`)},
	{"VIEW", regexp.MustCompile(`\bV[0-9A-Z]{8,}\b`)},
	{"DATE", regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)},
	{"DATE", regexp.MustCompile(`\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(?:, \d{4})?\b`)},
	{"TIME", regexp.MustCompile(`\b\d{1,2}:\d{2}(?: [AP]M)?(?: [A-Z]{3,5}\b| [+-]\d{2,4}\b)?`)},
}

func (n *normaliser) normalise(s string) string {
	for _, p := range goldenPatterns {
		s = p.re.ReplaceAllStringFunc(s, func(v string) string {
			key := p.kind + "\x00" + v
			if ph, ok := n.seen[key]; ok {
				return ph
			}
			n.next[p.kind]++
			ph := fmt.Sprintf("<%s%d>", p.kind, n.next[p.kind])
			n.seen[key] = ph
			return ph
		})
	}
	return s
}

// render is g as the golden file shows it: indented JSON, HTML left as is.
func (n *normaliser) render(t *testing.T, g golden) []byte {
	t.Helper()
	var blocks any
	if len(g.Blocks) > 0 {
		if err := json.Unmarshal(g.Blocks, &blocks); err != nil {
			t.Fatalf("blocks are not JSON: %v\n%s", err, g.Blocks)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Text   string `json:"text,omitempty"`
		Title  string `json:"title,omitempty"`
		Blocks any    `json:"blocks"`
	}{g.Text, g.Title, blocks}); err != nil {
		t.Fatal(err)
	}
	return []byte(n.normalise(b.String()))
}

// check compares g with testdata/golden/name.json (or rewrites it with
// -update). A difference is reported as a line diff, and the test goes on
// to the next message.
func (n *normaliser) check(t *testing.T, name string, g golden) {
	t.Helper()
	got := n.render(t, g)
	path := filepath.Join(goldenDir, name+".json")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (create it with go test ./e2e -run Golden -update)", name, err)
		return
	}
	if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); d != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s\nIf the change is meant, run go test ./e2e -run Golden -update and review the files.", name, path, d)
	}
}
