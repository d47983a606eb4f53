package doctor_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/deploy"
	"github.com/empowerbot/empowerbot/doctor"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slackemu"
)

// workspace is the emulator seeded with apptest's people and channels.
func workspace(t *testing.T) *slackemu.Server {
	t.Helper()
	emu := slackemu.Start(t, slackemu.Options{})
	apptest.Seed(emu)
	return emu
}

func check(t *testing.T, emu *slackemu.Server, policyYAML, token string) ([]doctor.Result, string) {
	t.Helper()
	pol, err := policy.Parse([]byte(policyYAML), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scopes, err := deploy.BotScopes()
	if err != nil {
		t.Fatal(err)
	}
	client, _ := slackapi.New(slackapi.Config{BotToken: token, APIURL: emu.URL()})
	res := doctor.Run(t.Context(), doctor.Config{Slack: client, APIURL: emu.URL(), BotToken: token, Policy: pol, Scopes: scopes})
	var out bytes.Buffer
	doctor.Print(&out, res)
	return res, out.String()
}

// line returns the output line about subject, failing when there is none.
func line(t *testing.T, out, check, subject string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " "+check+" ") && strings.Contains(l, subject) {
			return l
		}
	}
	t.Fatalf("no %s line about %s in:\n%s", check, subject, out)
	return ""
}

func wantLine(t *testing.T, out, check, subject string, ok bool, words ...string) {
	t.Helper()
	l := line(t, out, check, subject)
	if strings.HasPrefix(l, "ok") != ok {
		t.Errorf("line %q: ok = %v, want %v", l, !ok, ok)
	}
	for _, w := range words {
		if !strings.Contains(l, w) {
			t.Errorf("line %q lacks %q", l, w)
		}
	}
}

func TestDoctorOnACorrectWorkspace(t *testing.T) {
	emu := workspace(t)
	res, out := check(t, emu, apptest.DefaultPolicy, emu.BotToken())
	if n := len(doctor.Failures(res)); n != 0 {
		t.Fatalf("failures on a correct workspace:\n%s", out)
	}
	wantLine(t, out, doctor.CheckToken, "SLACK_BOT_TOKEN", true, "T0EMU")
	wantLine(t, out, doctor.CheckScopes, "bot token", true)
	wantLine(t, out, doctor.CheckChannel, "C0LEADERS (channels.leaders)", true, "#leaders")
	wantLine(t, out, doctor.CheckUser, "U0BOB", true, "@bob")
	wantLine(t, out, doctor.CheckUserGroup, "S0FRONTLINE", true, "2 members")
	wantLine(t, out, doctor.CheckPlan, "user groups", true)
	if !strings.Contains(out, "all 10 checks passed") {
		t.Errorf("no summary line:\n%s", out)
	}
	t.Logf("doctor on a correct workspace:\n%s", out)
}

func TestDoctorRefusedToken(t *testing.T) {
	emu := workspace(t)
	res, out := check(t, emu, apptest.DefaultPolicy, "xoxb-not-the-token")
	if len(res) != 1 || res[0].OK {
		t.Fatalf("a refused token: %v", res)
	}
	wantLine(t, out, doctor.CheckToken, "SLACK_BOT_TOKEN", false, "invalid_auth", "Install App")
}

func TestDoctorMissingScopes(t *testing.T) {
	emu := workspace(t)
	emu.SetScopes("commands", "chat:write", "chat:write.public", "im:write", "users:read", "usergroups:read", "files:write")
	_, out := check(t, emu, apptest.DefaultPolicy, emu.BotToken())
	wantLine(t, out, doctor.CheckScopes, "bot token", false, "missing channels:read, groups:read, im:history", "reinstall")
	wantLine(t, out, doctor.CheckChannel, "C0ESCALATE", false, "lacks channels:read")
}

// Without users:read or usergroups:read, the people cannot be checked, and
// each line says so and what to do.
func TestDoctorMissingPeopleScopes(t *testing.T) {
	emu := workspace(t)
	emu.SetScopes("commands", "chat:write", "chat:write.public", "im:write", "files:write", "channels:read", "groups:read", "im:history", "reactions:read")
	res, out := check(t, emu, apptest.DefaultPolicy, emu.BotToken())
	wantLine(t, out, doctor.CheckScopes, "bot token", false, "missing users:read, usergroups:read", "reinstall")
	wantLine(t, out, doctor.CheckUser, "U0BOB", false, "lacks users:read", "reinstall")
	wantLine(t, out, doctor.CheckUserGroup, "S0FRONTLINE", false, "lacks usergroups:read")
	if doctor.Failures(res)[doctor.CheckChannel] != 0 {
		t.Errorf("channels failed with their scopes given:\n%s", out)
	}
}

func TestDoctorChannels(t *testing.T) {
	emu := workspace(t)
	emu.AddPrivateChannel("C0SECRET", "leaders-private")
	emu.SetBotMember("C0SECRET", false)
	emu.SetBotMember(apptest.Praise, false)
	emu.AddChannel("C0ARCHIVE", "old")
	pol := strings.NewReplacer(
		"escalations: C0ESCALATE", "escalations: C0NOSUCH",
		"leaders: C0LEADERS", "leaders: C0SECRET",
	).Replace(apptest.DefaultPolicy)
	res, out := check(t, emu, pol, emu.BotToken())
	if doctor.Failures(res)[doctor.CheckChannel] != 3 {
		t.Errorf("channel failures = %d, want 3:\n%s", doctor.Failures(res)[doctor.CheckChannel], out)
	}
	// channel_not_found: a wrong ID, and a private channel without the bot, look alike.
	wantLine(t, out, doctor.CheckChannel, "C0NOSUCH (channels.escalations)", false, "no such channel, or a private one without the bot", "/invite @empowerbot")
	wantLine(t, out, doctor.CheckChannel, "C0SECRET (channels.leaders)", false, "no such channel, or a private one without the bot")
	// A public channel without the bot: Slack says is_member false.
	wantLine(t, out, doctor.CheckChannel, "C0PRAISE (channels.praise)", false, "the bot is not in #praise", "/invite @empowerbot")
}

func TestDoctorUsers(t *testing.T) {
	emu := workspace(t)
	emu.AddUser(slackemu.User{ID: "U0GONE", Name: "gone", Deleted: true})
	emu.AddUser(slackemu.User{ID: "U0ROBOT", Name: "robot", IsBot: true})
	pol := strings.Replace(apptest.DefaultPolicy, "frontline: [S0FRONTLINE, U0DAVE]", "frontline: [S0FRONTLINE, U0DAVE, U0GONE, U0ROBOT, U0NOBODY]", 1)
	res, out := check(t, emu, pol, emu.BotToken())
	if doctor.Failures(res)[doctor.CheckUser] != 3 {
		t.Errorf("user failures = %d, want 3:\n%s", doctor.Failures(res)[doctor.CheckUser], out)
	}
	wantLine(t, out, doctor.CheckUser, "U0GONE", false, "deactivated")
	wantLine(t, out, doctor.CheckUser, "U0ROBOT", false, "a bot, not a person")
	wantLine(t, out, doctor.CheckUser, "U0NOBODY", false, "no such user", "Copy member ID")
	wantLine(t, out, doctor.CheckUser, "U0DAVE", true)
}

func TestDoctorUserGroups(t *testing.T) {
	emu := workspace(t)
	emu.AddUserGroup("S0EMPTY", "empty")
	pol := strings.Replace(apptest.DefaultPolicy, "frontline: [S0FRONTLINE, U0DAVE]", "frontline: [S0FRONTLINE, S0EMPTY, S0NOSUCH, U0DAVE]", 1)
	_, out := check(t, emu, pol, emu.BotToken())
	wantLine(t, out, doctor.CheckUserGroup, "S0NOSUCH", false, "no such user group", "Copy group ID")
	wantLine(t, out, doctor.CheckUserGroup, "S0EMPTY", false, "no members")
	wantLine(t, out, doctor.CheckUserGroup, "S0FRONTLINE", true)

	// A free plan has no user groups at all.
	emu.SetFreePlan(true)
	res, out := check(t, emu, pol, emu.BotToken())
	wantLine(t, out, doctor.CheckPlan, "user groups", false, "plan_upgrade_required", "name the people")
	if doctor.Failures(res)[doctor.CheckUserGroup] != 0 {
		t.Errorf("on a free plan each group failed too:\n%s", out)
	}
	t.Logf("doctor on a broken workspace:\n%s", out)
}
