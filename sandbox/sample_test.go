package sandbox_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	slashcommand "github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/sandbox"
)

// TestSampleOrganisation: the built-in sample shows organisation scale: two
// teams each with its own lead, a shared manager level that needs two
// approvals, a reminder on the first level, and people in several time
// zones, which the emulator's users.info reports.
func TestSampleOrganisation(t *testing.T) {
	pol, err := policy.Parse(sandbox.SamplePolicy, "sample-policy.yaml")
	if err != nil {
		t.Fatalf("sample policy: %v", err)
	}
	if len(pol.Warnings) != 0 {
		t.Errorf("sample policy warnings: %q", pol.Warnings)
	}
	if len(pol.Teams) != 2 {
		t.Fatalf("sample teams = %+v, want two", pol.Teams)
	}
	leads := map[string]bool{}
	for _, tm := range pol.Teams {
		lead := pol.ApproversOf(tm.Name, 0)
		if len(lead) != 1 || leads[lead[0]] {
			t.Errorf("team %s's lead = %v, want one of its own", tm.Name, lead)
		} else {
			leads[lead[0]] = true
		}
		if got, want := pol.ApproversOf(tm.Name, 1), pol.Levels[1].Approvers; len(got) != 2 || got[0] != want[0] {
			t.Errorf("team %s's managers = %v, want the shared %v", tm.Name, got, want)
		}
	}
	if pol.RemindAfter(0) == 0 {
		t.Error("the first level has no remind_after")
	}
	if pol.ApprovalsNeeded(1) != 2 {
		t.Errorf("manager approvals needed = %d, want 2", pol.ApprovalsNeeded(1))
	}
	if south, _ := pol.Team("south"); south.Channels.Escalations == "" || south.Channels.Leaders == "" {
		t.Errorf("south's channels = %+v, want its own escalations and leaders channels", south.Channels)
	}

	sb, _ := start(t, sandbox.Config{})
	api := slack.New(sb.Emu.BotToken(), slack.OptionAPIURL(sb.Emu.URL()))
	zones := map[string]string{}
	for _, id := range []string{"U0ALICE", "U0BOB", "U0ERIN", "U0GRACE", "U0CAROL", "U0HEIDI"} {
		u, err := api.GetUserInfo(id)
		if err != nil {
			t.Fatalf("users.info %s: %v", id, err)
		}
		zones[id] = u.TZ
	}
	want := map[string]string{
		"U0ALICE": "America/Chicago", "U0BOB": "America/Chicago", "U0ERIN": "Europe/London",
		"U0GRACE": "Europe/London", "U0CAROL": "America/Chicago", "U0HEIDI": "America/New_York",
	}
	for id, tz := range want {
		if zones[id] != tz {
			t.Errorf("users.info %s tz = %q, want %q", id, zones[id], tz)
		}
	}
}

// TestSampleReminderAndAway: in the sample, a lead who has not answered
// within 2h gets one reminder DM; while Bob is away with Grace as his
// delegate, north's card goes to Grace too.
func TestSampleReminderAndAway(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	bob := openStream(t, base, "U0BOB")
	grace := openStream(t, base, "U0GRACE")
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0DAVE", "channel": "C0GENERAL", "text": "/empower discount 900 for ACME"}); code != http.StatusOK {
		t.Fatalf("command = %d %v", code, res)
	}
	bob.next("north's card", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0ESCALATE" && strings.Contains(msgText(ev), "$900")
	}, nil)
	if code, res := post(t, base+"api/clock", map[string]any{"advance": "3h"}); code != http.StatusOK {
		t.Fatalf("advance = %d %v", code, res)
	}
	if code, res := post(t, base+"api/jobs/run", map[string]any{"name": "escalation_timeouts"}); code != http.StatusOK {
		t.Fatalf("run escalation_timeouts = %d %v", code, res)
	}
	bob.next("Bob's reminder DM", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "DU0BOB" && strings.Contains(msgText(ev), "Still waiting for you")
	}, nil)

	code, res := post(t, base+"api/command", map[string]any{"user": "U0BOB", "channel": "C0GENERAL", "text": "/empower away until in 2 weeks delegate <@U0GRACE>"})
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(res["text"]), "grace") && !strings.Contains(fmt.Sprint(res["text"]), "U0GRACE") {
		t.Fatalf("away = %d %v", code, res)
	}
	if code, res := post(t, base+"api/command", map[string]any{"user": "U0ALICE", "channel": "C0GENERAL", "text": "/empower discount 800 for Initech"}); code != http.StatusOK {
		t.Fatalf("command = %d %v", code, res)
	}
	grace.next("the card of Bob's team, for Grace too", func(ev sandbox.EventJSON) bool {
		return ev.Kind == "message_posted" && ev.Channel == "C0ESCALATE" && strings.Contains(msgText(ev), "$800") && strings.Contains(msgText(ev), "U0GRACE")
	}, nil)
}

// TestSampleHelpExamplesNameItsPeople (issue 16 item 15): every @name in the
// examples of `/empower help` is someone in the sample, so an example tried
// as written in the sandbox mentions a real person, never one who does not
// exist.
func TestSampleHelpExamplesNameItsPeople(t *testing.T) {
	_, base := start(t, sandbox.Config{})
	people := map[string]bool{}
	for _, p := range stateOf(t, base).People {
		people[p.Name] = true
	}
	mention := regexp.MustCompile(`@([a-z][a-z0-9._-]*)`)
	n := 0
	for _, s := range slashcommand.All() {
		for _, m := range mention.FindAllStringSubmatch(s.Example, -1) {
			n++
			if !people[m[1]] {
				t.Errorf("the example of %q names @%s, who is not in the sample (people: %v)", s.Name, m[1], people)
			}
		}
	}
	if n == 0 {
		t.Fatal("no example names anyone: the test reads nothing")
	}
}
