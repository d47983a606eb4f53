package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// Local time (PRODUCT.md "Local time"): each person's Slack time zone.

// tzTokyo is 15 hours ahead of Chicago in November.
const tzTokyo = "Asia/Tokyo"

// startLocal starts the commitments env with Bob in Tokyo and local_time
// as given, the clock at Wednesday 10:00 in Chicago (Thursday 01:00 in
// Tokyo).
func startLocal(t *testing.T, local bool) *cmEnv {
	t.Helper()
	e := startCommitments(t, apptest.Options{NoBot: true})
	e.Policy.LocalTime = local
	e.Emu.AddUser(slackemu.User{ID: apptest.Bob, Name: "bob", RealName: "Bob Brown", TZ: tzTokyo})
	e.StartBot()
	return e
}

func TestCommitByTomorrowReadInTheLeadersZone(t *testing.T) {
	e := startLocal(t, true)
	if now := e.Clock.Now().In(cmChicago); now.Weekday() != time.Wednesday {
		t.Fatalf("clock at %v", now)
	}
	// In Tokyo it is already Thursday: Bob's tomorrow is Friday.
	reply, id := e.commit(apptest.Bob, "commit "+cmDave+" book the safety course by tomorrow")
	if id == "" {
		t.Fatalf("no commitment: %q", reply)
	}
	if c := e.commitment(id); c.Due != "2026-11-20" {
		t.Errorf("due %s; want 2026-11-20, tomorrow in Bob's Tokyo", c.Due)
	}
	// Dave, in Chicago, asks by tomorrow: his tomorrow is Thursday.
	reply, ask := e.commit(apptest.Dave, "ask "+cmBob+" a new headset by tomorrow")
	if ask == "" {
		t.Fatalf("no ask: %q", reply)
	}
	if c := e.commitment(ask); c.AskedDue != "2026-11-19" {
		t.Errorf("ask by tomorrow typed in Chicago: %s; want 2026-11-19", c.AskedDue)
	}
	// A date Bob can still pick in Tokyo's today is refused when it is
	// before it: "today" for Bob is Thursday.
	_, id2 := e.commit(apptest.Bob, "commit "+cmDave+" call you back by today")
	if c := e.commitment(id2); c.Due != "2026-11-19" {
		t.Errorf("today typed by Bob: due %s; want 2026-11-19", c.Due)
	}
}

func TestCommitByTomorrowWithoutLocalTimeIsThePolicysTomorrow(t *testing.T) {
	e := startLocal(t, false)
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" book the safety course by tomorrow")
	if c := e.commitment(id); c.Due != "2026-11-19" {
		t.Errorf("due %s; want 2026-11-19, tomorrow in the policy's Chicago", c.Due)
	}
	if n := len(e.Emu.Calls("users.list")); n != 0 {
		t.Errorf("users.list called %d times with local_time off", n)
	}
}

// feedbackDMsOf counts the feedback question DMs (not reminders) person
// got, and returns the round of the last one.
func feedbackDMsOf(e *apptest.Env, person string) (int, string) {
	n, round := 0, ""
	for _, m := range e.Emu.DMs(person) {
		if r, reminder, ok := roundOf(m); ok && !reminder {
			n++
			round = r
		}
	}
	return n, round
}

func TestFeedbackAtEachPersonsOwnNineOverAWeekTwoReplicas(t *testing.T) {
	pol := feedbackPolicy("0 9 * * MON", yearlySpec, true) + "local_time: true\n"
	e := apptest.Start(t, apptest.Options{Policy: pol, NoBot: true, CatchUpGrace: 24 * time.Hour})
	// The three frontline people, hours apart; Los Angeles leaves
	// daylight-saving time on Sunday 2026-11-01, inside the week.
	people := map[string]string{apptest.Alice: "Asia/Tokyo", apptest.Erin: "Europe/London", apptest.Dave: "America/Los_Angeles"}
	due := map[string]time.Time{}
	for id, tz := range people {
		u, _ := e.Emu.User(id)
		u.TZ = tz
		e.Emu.AddUser(u)
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		due[id] = time.Date(2026, 11, 2, 9, 0, 0, 0, loc) // Monday 09:00 there
	}
	start := time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC) // Thursday
	e.Clock.Set(start)
	bots := []*apptest.Bot{e.StartBot(), e.StartBot()}
	const step = 15 * time.Minute
	for now := start; now.Before(start.Add(7 * 24 * time.Hour)); now = now.Add(step) {
		if now.Equal(start.Add(90 * time.Hour)) {
			// A restart mid-week (Sunday 18:00 UTC, before any DM): the new
			// replica catches up nothing twice.
			if err := bots[0].Stop(); err != nil {
				t.Fatal(err)
			}
			bots[0] = e.StartBot()
		}
		e.Clock.Set(now)
		for _, b := range bots {
			if err := b.App.Jobs.RunDue(e.Ctx()); err != nil {
				t.Fatalf("RunDue at %v: %v", now, err)
			}
		}
		for id, at := range due {
			n, _ := feedbackDMsOf(e, id)
			switch {
			case now.Before(at) && n != 0:
				t.Fatalf("%s (%s) got the feedback DM at %v, before their 09:00 (%v)", id, people[id], now, at.UTC())
			case !now.Before(at) && n != 1:
				if n == 0 {
					err := apptest.WaitFor(20*time.Second, func() bool { n, _ = feedbackDMsOf(e, id); return n > 0 })
					if err != nil {
						t.Fatalf("%s (%s) got no feedback DM at their 09:00 (%v): %v", id, people[id], at.UTC(), err)
					}
				}
				if n != 1 {
					t.Fatalf("%s (%s) got %d feedback DMs by %v; want 1", id, people[id], n, now)
				}
			}
		}
	}
	rounds := map[string]bool{}
	for id := range due {
		n, r := feedbackDMsOf(e, id)
		if n != 1 {
			t.Errorf("%s got %d feedback DMs over the week; want 1", id, n)
		}
		rounds[r] = true
	}
	if len(rounds) != 1 {
		t.Errorf("the three DMs belong to rounds %v; want one round", rounds)
	}
}

// overdueReminders counts the overdue reminders user got about id.
func overdueReminders(e *cmEnv, user, id string) int {
	n := 0
	for _, m := range e.reminders(user, id) {
		if strings.Contains(m.AllText(), "is overdue") {
			n++
		}
	}
	return n
}

func TestOverdueReminderSkipsSaturdayAndSunday(t *testing.T) {
	e := startCommitments(t, apptest.Options{})
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" fix the van by today") // Wednesday 2026-11-18
	want := map[time.Weekday]int{time.Thursday: 1, time.Friday: 1, time.Saturday: 0, time.Sunday: 0, time.Monday: 1, time.Tuesday: 1}
	before := 0
	for day := 19; day <= 24; day++ {
		at := time.Date(2026, 11, day, 8, 0, 0, 0, cmChicago)
		e.Clock.Set(at)
		e.runReminders(2)
		n := overdueReminders(e, apptest.Bob, id)
		if got := n - before; got != want[at.Weekday()] {
			t.Errorf("%s: %d overdue reminders; want %d", at.Weekday(), got, want[at.Weekday()])
		}
		before = n
	}
}

func TestOverdueReminderSkipsTheWeekendOfTheLeadersZone(t *testing.T) {
	e := startLocal(t, true) // Bob in Tokyo; Wednesday 10:00 in Chicago is Thursday 01:00 there
	tokyo, err := time.LoadLocation(tzTokyo)
	if err != nil {
		t.Fatal(err)
	}
	_, id := e.commit(apptest.Bob, "commit "+cmDave+" fix the van by today") // Thursday 2026-11-19 in Tokyo
	var days []string
	before := 0
	start := e.Clock.Now().Truncate(time.Hour)
	for now := start; now.Before(start.Add(6 * 24 * time.Hour)); now = now.Add(time.Hour) {
		e.Clock.Set(now)
		for _, b := range e.Bots() {
			if err := b.App.Jobs.RunDue(e.Ctx()); err != nil {
				t.Fatal(err)
			}
		}
		if n := overdueReminders(e, apptest.Bob, id); n > before {
			days = append(days, now.In(tokyo).Format("Mon 15:04"))
			before = n
		}
	}
	// At 08:00 in Tokyo, once a working day there: Saturday and Sunday in
	// Tokyo are skipped, though they are Friday and Saturday in Chicago.
	if want := []string{"Fri 08:00", "Mon 08:00", "Tue 08:00"}; !slices.Equal(days, want) {
		t.Errorf("overdue reminders on %v (Tokyo); want %v", days, want)
	}
}

func TestTimesShownInTheReadersZoneWithTheZoneNamed(t *testing.T) {
	e := startCommitments(t, apptest.Options{NoBot: true})
	e.Policy.LocalTime = true
	u, _ := e.Emu.User(apptest.Alice)
	u.TZ = tzTokyo
	e.Emu.AddUser(u)
	e.StartBot()
	// Wednesday 10:00 in Chicago is 01:00 on Thursday in Tokyo.
	_, mine := e.decide(apptest.Alice, "discount 250 for ACME travel charge waived")
	_, up := e.decide(apptest.Alice, "discount 900 for Globex keep the renewal")
	card := e.escalation(up, "Globex")
	e.Clock.Advance(2 * time.Minute)
	e.click(apptest.Bob, card, "Approve")
	// The card is a channel post: the policy's zone, named.
	e.waitUpdated(card.TS, "approved at 10:02 AM CST", func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "Approved by <@U0BOB> at 10:02 AM CST")
	})
	// Alice's App Home: her zone, named once.
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Alice); err != nil {
		t.Fatal(err)
	}
	home, err := e.Emu.WaitHome(e.Ctx(), apptest.Alice, func(v slackemu.View) bool { return strings.Contains(v.AllText(), mine) })
	if err != nil {
		t.Fatalf("no App Home for Alice: %v", err)
	}
	if txt := home.AllText(); !strings.Contains(txt, "Times are in your time zone, Asia/Tokyo (JST)") || !strings.Contains(txt, "inside your box · 1:00 AM JST") {
		t.Errorf("Alice's App Home does not show her Tokyo times: %s", txt)
	}
	// Alice's follow-up DM: her zone, named.
	e.Clock.Advance(72*time.Hour + time.Minute)
	if err := e.Bots()[0].App.Jobs.RunNow(e.Ctx(), "outcome_followups"); err != nil {
		t.Fatal(err)
	}
	dm := e.waitDM(apptest.Alice, mine)
	if !strings.Contains(dm.AllText(), "You made this call on Thu Nov 19, 1:00 AM JST") {
		t.Errorf("follow-up DM does not show Alice's time in Tokyo: %s", dm.AllText())
	}
}
