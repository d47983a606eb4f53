package zones_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
	"github.com/empowerbot/empowerbot/zones"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const team = "T0EMU"

type env struct {
	emu   *slackemu.Server
	store *store.Store
	dir   *zones.Directory
	pol   *domain.Policy
	now   time.Time
}

func setup(t *testing.T, local bool) *env {
	t.Helper()
	srv := redistest.Start(t)
	chicago, _ := time.LoadLocation("America/Chicago")
	e := &env{
		emu:   slackemu.Start(t, slackemu.Options{}),
		store: store.New(srv.Client(t), store.NewKeys(srv.Prefix(t))),
		pol:   &domain.Policy{Timezone: "America/Chicago", Location: chicago, LocalTime: local},
		now:   time.Date(2026, 11, 18, 16, 0, 0, 0, time.UTC),
	}
	e.emu.AddUser(slackemu.User{ID: "U0TOKYO", TZ: "Asia/Tokyo"})
	e.emu.AddUser(slackemu.User{ID: "U0NONE"})
	e.emu.AddUser(slackemu.User{ID: "U0ODD", TZ: "Mars/Olympus"})
	client, tr := slackapi.New(slackapi.Config{BotToken: e.emu.BotToken(), APIURL: e.emu.URL()})
	t.Cleanup(tr.CloseIdleConnections)
	e.dir = zones.New(zones.Config{
		Store: e.store, Slack: handlers.ZoneLookup{Slack: client},
		Policy: func() *domain.Policy { return e.pol }, Now: func() time.Time { return e.now },
	})
	return e
}

func TestLocationIsThePersonsZoneWithLocalTime(t *testing.T) {
	e := setup(t, true)
	ctx := t.Context()
	for user, want := range map[string]string{
		"U0TOKYO": "Asia/Tokyo", "U0NONE": "America/Chicago", "U0ODD": "America/Chicago", "U0NOBODY": "America/Chicago",
	} {
		if got := e.dir.Location(ctx, team, user).String(); got != want {
			t.Errorf("Location(%s) = %s; want %s", user, got, want)
		}
	}
	// Cached: asking again costs no Slack call.
	calls := len(e.emu.Calls("users.info"))
	e.dir.Location(ctx, team, "U0TOKYO")
	if n := len(e.emu.Calls("users.info")); n != calls {
		t.Errorf("a cached zone cost %d users.info calls", n-calls)
	}
}

func TestLocationWithoutLocalTimeIsThePolicysZoneAndAsksNothing(t *testing.T) {
	e := setup(t, false)
	if got := e.dir.Location(t.Context(), team, "U0TOKYO").String(); got != "America/Chicago" {
		t.Errorf("Location = %s; want the policy's America/Chicago", got)
	}
	if n := len(e.emu.Calls("users.info")) + len(e.emu.Calls("users.list")); n != 0 {
		t.Errorf("%d Slack calls with local_time off", n)
	}
}

func TestSlackFailingMeansThePolicysZoneUntilItAnswers(t *testing.T) {
	e := setup(t, true)
	e.emu.InjectError("users.info", 1, "internal_error")
	if got := e.dir.Location(t.Context(), team, "U0TOKYO").String(); got != "America/Chicago" {
		t.Errorf("Location with Slack failing = %s; want the policy's", got)
	}
	if got := e.dir.Location(t.Context(), team, "U0TOKYO").String(); got != "Asia/Tokyo" {
		t.Errorf("Location once Slack answers = %s; want Asia/Tokyo", got)
	}
}

func TestSnapshotReadsTheWorkspaceOnceADay(t *testing.T) {
	e := setup(t, true)
	ctx := t.Context()
	z, err := e.dir.Snapshot(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	if z.Of("U0TOKYO").String() != "Asia/Tokyo" || z.Of("U0NONE").String() != "America/Chicago" {
		t.Errorf("snapshot: Tokyo %s, none %s", z.Of("U0TOKYO"), z.Of("U0NONE"))
	}
	names := []string{}
	for _, l := range z.Locations() {
		names = append(names, l.String())
	}
	if len(names) != 2 || names[0] != "America/Chicago" || names[1] != "Asia/Tokyo" {
		t.Errorf("Locations = %v", names)
	}
	// Bob moves to Berlin: seen at the next daily read, not before.
	e.emu.AddUser(slackemu.User{ID: "U0TOKYO", TZ: "Europe/Berlin"})
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{2 * time.Hour, "Asia/Tokyo"}, {23 * time.Hour, "Europe/Berlin"}} {
		e.now = e.now.Add(step.after)
		z, err := e.dir.Snapshot(ctx, team)
		if err != nil {
			t.Fatal(err)
		}
		if got := z.Of("U0TOKYO").String(); got != step.want {
			t.Errorf("after %v: %s; want %s", step.after, got, step.want)
		}
	}
	if n := len(e.emu.Calls("users.list")); n != 2 {
		t.Errorf("users.list called %d times over a day; want 2", n)
	}
	if got := e.dir.Location(context.Background(), team, "U0TOKYO").String(); got != "Europe/Berlin" {
		t.Errorf("Location after the daily read = %s", got)
	}
}
