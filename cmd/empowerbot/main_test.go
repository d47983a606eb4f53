package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/export"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// TestMain lets a test run the real program: the test binary re-executes
// itself with EMPOWERBOT_TEST_MAIN=1 and main() takes over, signals included.
func TestMain(m *testing.M) {
	if os.Getenv("EMPOWERBOT_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestCheckPolicy(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"check-policy", "../../deploy/policy.example.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("check-policy example = %d (%s%s), want 0", code, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "ok" {
		t.Errorf("check-policy output = %q, want ok first", out.String())
	}
	for _, want := range []string{"levels: team-lead (1 approver, answers within 4h) > manager", "activities: discount (alone up to $500)", "schedules (America/Chicago):", "feedback ", "next "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-policy summary lacks %q:\n%s", want, out.String())
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("timezone: Mars/Olympus\nfrontline: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(t.Context(), []string{"check-policy", bad}, &out, &errb); code == 0 {
		t.Fatalf("check-policy on a bad file = 0, want non-zero")
	}
	for _, want := range []string{"bad.yaml:1:", "bad.yaml:3:"} {
		if !strings.Contains(out.String()+errb.String(), want) {
			t.Errorf("check-policy output lacks %q:\n%s%s", want, out.String(), errb.String())
		}
	}
}

func TestCheckPolicySummaryNamesTheNextRuns(t *testing.T) {
	pol, err := policy.Parse([]byte(apptest.DefaultPolicy), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, chicago) // a Wednesday
	got := policySummary(pol, now)
	for _, want := range []string{
		"levels: team-lead (1 approver, answers within 4h) > manager (1 approver, answers within 1d)",
		"teams: one (2 front-line entries)",
		"activities: discount (alone up to $500), travel-waiver (alone up to $250)",
		`digest                 "0 16 * * FRI"   next Fri 2026-12-04 16:00 CST`,
		`feedback               "0 9 * * MON"    next Mon 2026-12-07 09:00 CST`,
		`escalation_timeouts    "*/5 * * * *"    next Wed 2026-12-02 10:35 CST`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestCLIManners(t *testing.T) {
	// No environment at all: a command that started would fail on it.
	for _, k := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "POLICY_FILE"} {
		t.Setenv(k, "")
	}
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			var out, errb bytes.Buffer
			args := []string{c.name, flag}
			if c.name == "check-policy" {
				args = []string{c.name, "some.yaml", flag}
			}
			code := run(t.Context(), args, &out, &errb)
			if code != 0 || errb.Len() > 0 {
				t.Errorf("%v = %d, stderr %q; want 0 and help, nothing started", args, code, errb.String())
			}
			if !strings.HasPrefix(out.String(), "usage: empowerbot "+c.name) || !strings.Contains(out.String(), "README") {
				t.Errorf("%v printed:\n%s", args, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"run", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "SLACK_BOT_TOKEN_FILE") || !strings.Contains(out.String(), "SIGHUP") {
		t.Errorf("run --help = %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"help", "doctor"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "usage: empowerbot doctor") {
		t.Errorf("help doctor = %d:\n%s", code, out.String())
	}
	for _, v := range []string{"--version", "-v", "version"} {
		out.Reset()
		if code := run(t.Context(), []string{v}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "empowerbot ") || !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("%s = %d %q, want the version and Go version", v, code, out.String())
		}
	}
	out.Reset()
	if code := run(t.Context(), []string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "check-policy FILE") || strings.Contains(out.String(), "healthcheck") {
		t.Errorf("--help = %d:\n%s", code, out.String())
	}
	errb.Reset()
	if code := run(t.Context(), []string{"chek-policy"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `did you mean "check-policy"?`) {
		t.Errorf("a misspelt command = %d:\n%s", code, errb.String())
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "empowerbot") {
		t.Errorf("version = %d %q", code, out.String())
	}
	if code := run(t.Context(), []string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command = %d %q", code, errb.String())
	}
}

func TestRunReportsEveryBadVariableAtOnce(t *testing.T) {
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "xapp-secret-wrong-kind")
	t.Setenv("SLACK_API_URL", "http://localhost/api")
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"run"}, &out, &errb); code != 1 {
		t.Fatalf("run with bad env = %d, want 1", code)
	}
	msg := errb.String()
	for _, v := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL"} {
		if !strings.Contains(msg, v) {
			t.Errorf("error does not name %s:\n%s", v, msg)
		}
	}
	if strings.Contains(msg, "secret-wrong-kind") {
		t.Errorf("error prints a token:\n%s", msg)
	}
}

// syncWriter collects a child process's output safely.
type syncWriter struct {
	buf apptest.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

// startRun starts the real program's `run` against a fresh Redis and
// emulator, with the policy file at policyPath, and waits until it is
// connected.
func startRun(t *testing.T, policyPath string, prepare ...func(*slackemu.Server)) (*exec.Cmd, *syncWriter, *slackemu.Server) {
	t.Helper()
	return startRunOn(t, redistest.Start(t), policyPath, prepare...)
}

// startRunOn is startRun against the Redis rs.
func startRunOn(t *testing.T, rs *redistest.Server, policyPath string, prepare ...func(*slackemu.Server)) (*exec.Cmd, *syncWriter, *slackemu.Server) {
	t.Helper()
	emu := slackemu.Start(t, slackemu.Options{})
	apptest.Seed(emu)
	for _, p := range prepare {
		p(emu)
	}
	// The bot token comes from a file, as Docker and Kubernetes secrets do.
	botToken := filepath.Join(t.TempDir(), "slack_bot_token")
	if err := os.WriteFile(botToken, []byte(emu.BotToken()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run")
	cmd.Env = append(os.Environ(),
		"EMPOWERBOT_TEST_MAIN=1",
		"SLACK_APP_TOKEN="+emu.AppToken(),
		"SLACK_BOT_TOKEN_FILE="+botToken,
		"SLACK_API_URL="+emu.URL(),
		"REDIS_URL="+rs.URL(),
		"REDIS_KEY_PREFIX="+rs.Prefix(t),
		"POLICY_FILE="+policyPath,
		"HTTP_ADDR=127.0.0.1:0",
		"SLACK_PACING=off",
	)
	logs := &syncWriter{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := emu.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("the program did not connect: %v\n%s", err, logs.buf.String())
	}
	return cmd, logs, emu
}

func writePolicy(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSIGTERMExitsCleanly(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policy, apptest.DefaultPolicy)
	cmd, logs, emu := startRun(t, policy)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res, err := emu.SlashCommand(ctx, apptest.Dave, apptest.General, "help")
	if err != nil || !strings.Contains(res.AllText(), "/empower box") {
		t.Fatalf("help through the real program = %q, %v", res.AllText(), err)
	}
	if err := apptest.WaitFor(20*time.Second, func() bool { return len(logs.buf.Lines("workspace checks passed")) > 0 }); err != nil {
		t.Errorf("the start-up workspace checks did not pass:\n%s", logs.buf.String())
	}
	stopWithSIGTERM(t, cmd, logs)
	if !strings.Contains(logs.buf.String(), "empowerbot stopped") {
		t.Errorf("no shutdown log line:\n%s", logs.buf.String())
	}
	if strings.Contains(logs.buf.String(), emu.BotToken()) {
		t.Errorf("logs contain the bot token")
	}
}

func TestSIGHUPReloadsThePolicy(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policy, apptest.DefaultPolicy)
	cmd, logs, emu := startRun(t, policy)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	decide := func() string {
		t.Helper()
		res, err := emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 100 for ACME")
		if err != nil {
			t.Fatal(err)
		}
		return res.AllText()
	}
	waitLog := func(want string, n int) {
		t.Helper()
		if err := apptest.WaitFor(20*time.Second, func() bool { return len(logs.buf.Lines(want)) >= n }); err != nil {
			t.Fatalf("no log line %q after SIGHUP:\n%s", want, logs.buf.String())
		}
	}
	if txt := decide(); !strings.Contains(txt, "yours to make") {
		t.Fatalf("before the reload $100 is not inside the box: %s", txt)
	}

	writePolicy(t, policy, strings.Replace(apptest.DefaultPolicy, "frontline_limit: 500", "frontline_limit: 50", 1))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(`"msg":"policy reloaded"`, 1)
	if txt := decide(); !strings.Contains(txt, "above your box") {
		t.Fatalf("after SIGHUP $100 is not above the new $50 box: %s", txt)
	}

	writePolicy(t, policy, "timezone: Mars/Olympus\nfrontline: []\nbogus: 1\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("policy reload refused", 1)
	line := logs.buf.Lines("policy reload refused")[0]
	for _, want := range []string{"policy.yaml:1:", "policy.yaml:3:"} {
		if !strings.Contains(line, want) {
			t.Errorf("the refusal does not name line %q: %s", want, line)
		}
	}
	if txt := decide(); !strings.Contains(txt, "above your box") {
		t.Fatalf("after a refused reload the policy in force changed: %s", txt)
	}
	stopWithSIGTERM(t, cmd, logs)
}

func TestHealthcheckAsksReadiness(t *testing.T) {
	ready := true
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/healthz":
			_, _ = w.Write([]byte("ok\n"))
		case r.URL.Path == "/readyz" && ready:
			_, _ = w.Write([]byte(`{"redis":"ok","slack":"ok"}`))
		case r.URL.Path == "/readyz":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"redis":"dial tcp: connection refused","slack":"ok"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("HTTP_ADDR", strings.TrimPrefix(srv.URL, "http://"))
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"healthcheck"}, &out, &errb); code != 0 {
		t.Fatalf("healthcheck while ready = %d (%s), want 0", code, errb.String())
	}
	mu.Lock()
	ready = false
	mu.Unlock()
	errb.Reset()
	if code := run(t.Context(), []string{"healthcheck"}, &out, &errb); code != 1 {
		t.Fatalf("healthcheck with Redis down = %d, want 1 (the process is alive but not ready)", code)
	}
	if !strings.Contains(errb.String(), "503") || !strings.Contains(errb.String(), "redis") {
		t.Errorf("healthcheck output %q does not say what is not ready", errb.String())
	}
}

func TestDoctorCommand(t *testing.T) {
	emu := slackemu.Start(t, slackemu.Options{})
	apptest.Seed(emu)
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policyPath, apptest.DefaultPolicy)
	t.Setenv("SLACK_APP_TOKEN", emu.AppToken())
	t.Setenv("SLACK_BOT_TOKEN", emu.BotToken())
	t.Setenv("SLACK_API_URL", emu.URL())
	t.Setenv("POLICY_FILE", policyPath)
	t.Setenv("SLACK_PACING", "off")
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"doctor"}, &out, &errb); code != 0 {
		t.Fatalf("doctor on a correct workspace = %d:\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "checks passed") {
		t.Errorf("doctor output:\n%s", out.String())
	}
	t.Logf("empowerbot doctor, a correct workspace:\n%s", out.String())

	emu.SetBotMember(apptest.Leaders, false)
	emu.SetFreePlan(true)
	out.Reset()
	if code := run(t.Context(), []string{"doctor"}, &out, &errb); code != 1 {
		t.Fatalf("doctor on a broken workspace = %d, want 1:\n%s", code, out.String())
	}
	for _, want := range []string{"FAIL channel C0LEADERS (channels.leaders): the bot is not in #leaders", "FAIL plan user groups:", "2 of "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), emu.BotToken()) {
		t.Errorf("doctor prints the token")
	}
	t.Logf("empowerbot doctor, a broken workspace:\n%s", out.String())
}

func TestRunWarnsAboutTheWorkspaceAtStartUp(t *testing.T) {
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policyPath, apptest.DefaultPolicy)
	cmd, logs, _ := startRun(t, policyPath, func(emu *slackemu.Server) { emu.SetBotMember(apptest.Leaders, false) })
	if err := apptest.WaitFor(20*time.Second, func() bool { return len(logs.buf.Lines("workspace check failed")) > 0 }); err != nil {
		t.Fatalf("no start-up warning:\n%s", logs.buf.String())
	}
	l := logs.buf.Lines("workspace check failed")[0]
	if !strings.Contains(l, `"level":"WARN"`) || !strings.Contains(l, "the bot is not in #leaders") {
		t.Errorf("warning = %s", l)
	}
	stopWithSIGTERM(t, cmd, logs)
}

func TestExportCommand(t *testing.T) {
	rs := redistest.Start(t)
	prefix := rs.Prefix(t)
	st := store.New(rs.Client(t), store.NewKeys(prefix))
	day := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	for i, text := range []string{"before the window", "thanks for the save", "great install", "after the window"} {
		ev := domain.Event{Actor: "U0BOB", Subject: "U0DAVE", At: day.Add(time.Duration(i-1) * 48 * time.Hour), Payload: domain.PraiseGivenData{Text: text}}
		if _, err := st.Audit(t.Context(), "T0EXP", ev); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("REDIS_URL", rs.URL())
	t.Setenv("REDIS_KEY_PREFIX", prefix)
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("POLICY_FILE", filepath.Join(t.TempDir(), "none.yaml"))
	os.Unsetenv("POLICY_FILE")
	var out, errb bytes.Buffer
	// The workspace is the only one in Redis; days are inclusive.
	if code := run(t.Context(), []string{"export", "--from", "2026-11-03", "--to", "2026-11-05", "--format", "json"}, &out, &errb); code != 0 {
		t.Fatalf("export = %d: %s", code, errb.String())
	}
	var rows []export.Row
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(rows) != 2 || rows[0].Text != "thanks for the save" || rows[1].Text != "great install" || rows[0].Actor != "U0BOB" {
		t.Errorf("rows = %+v, want the two in the window", rows)
	}
	if !strings.Contains(errb.String(), "2 events") {
		t.Errorf("stderr = %q", errb.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"export", "--from", "2026-11-01", "--team", "T0EXP"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "time,event,subject") || strings.Count(out.String(), "praise.given") != 4 {
		t.Errorf("CSV export = %d:\n%s", code, out.String())
	}
	for _, bad := range [][]string{{"export"}, {"export", "--from", "yesterday"}, {"export", "--from", "2026-11-01", "--format", "xml"}, {"export", "--from", "2026-11-05", "--to", "2026-11-01"}} {
		errb.Reset()
		if code := run(t.Context(), bad, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v = %d %q, want a usage error", bad, code, errb.String())
		}
	}
}

func TestLogsStayJSONThroughARedisOutage(t *testing.T) {
	rs := redistest.StartOwn(t, redistest.Options{})
	policyPath := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, policyPath, apptest.DefaultPolicy)
	cmd, logs, emu := startRunOn(t, rs, policyPath)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rs.Stop()
	res, err := emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 900 for ACME during the outage")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.AllText(), "try again") {
		t.Errorf("during the outage: %q, want a try-again", res.AllText())
	}
	rs.Restart()
	if err := apptest.WaitFor(30*time.Second, func() bool {
		r, err := emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 100 for ACME after the outage")
		return err == nil && strings.Contains(r.AllText(), "Logged")
	}); err != nil {
		t.Fatalf("the bot did not recover after Redis came back:\n%s", logs.buf.String())
	}
	stopWithSIGTERM(t, cmd, logs)
	n := 0
	for _, l := range strings.Split(logs.buf.String(), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n++
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Errorf("a log line that is not JSON: %q", l)
		}
	}
	t.Logf("%d log lines through the outage, every one JSON", n)
}
