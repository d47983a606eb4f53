// Package blackbox tests the real `empowerbot run` binary as the acceptance
// tests see it: a child process configured only through environment
// variables and a policy file with short durations and "@every" schedules,
// against the local Slack emulator and a real redis-server, waiting in real
// time (the binary's clock cannot be moved).
package blackbox

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// binary is the empowerbot binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	bin, cleanup, err := apptest.BuildBinary("../cmd/empowerbot")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// fastPolicy is PRODUCT.md's example policy with the short durations and
// fast schedules of the acceptance tests.
const fastPolicy = `
timezone: America/Chicago
currency: USD
channels:
  praise: C0PRAISE
  escalations: C0ESCALATE
  leaders: C0LEADERS
values: [customer-first, ownership, courage]
frontline: [S0FRONTLINE, U0DAVE]
levels:
  - name: team-lead
    approvers: [U0BOB]
    respond_within: 3s
  - name: manager
    approvers: [U0CAROL]
    respond_within: 1h
activities:
  - name: discount
    summary: Invoice discount to keep a customer relationship
    unit: USD
    frontline_limit: 500
    level_limits: {team-lead: 2000, manager: 10000}
always_escalate:
  safety: manager
schedules:
  feedback: "@every 2s"
  feedback_reminder: "@every 2s"
  commitment_reminders: "@every 2s"
  escalation_timeouts: "@every 1s"
  outcome_followups: "@every 2s"
  digest: "@every 2s"
outcomes:
  ask_after: 2s
praise:
  show_amounts: false
  daily_limit: 10
commitments:
  remind_before: 48h
feedback:
  anonymous_allowed: true
`

// proc is one running `empowerbot run`.
type proc struct {
	// errorsOK: the test makes the bot log errors (Redis down).
	errorsOK bool
	cmd      *exec.Cmd
	logs     *apptest.Buffer
	http     string
	done     chan error
}

// world is the emulator, Redis and policy that the processes share.
type world struct {
	t      *testing.T
	emu    *slackemu.Server
	redis  *redistest.Server
	prefix string
	policy string
}

func newWorld(t *testing.T, policy string) *world {
	rs := redistest.Start(t)
	emu := slackemu.Start(t, slackemu.Options{})
	apptest.Seed(emu)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, emu: emu, redis: rs, prefix: rs.Prefix(t), policy: path}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// start runs one more replica with only the environment PRODUCT.md names.
func (w *world) start() *proc {
	t := w.t
	t.Helper()
	p := &proc{logs: &apptest.Buffer{}, http: freeAddr(t), done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "run")
	p.cmd.Env = []string{
		"SLACK_APP_TOKEN=" + w.emu.AppToken(),
		"SLACK_BOT_TOKEN=" + w.emu.BotToken(),
		"SLACK_API_URL=" + w.emu.URL(),
		"REDIS_URL=" + w.redis.URL(),
		"REDIS_KEY_PREFIX=" + w.prefix,
		"POLICY_FILE=" + w.policy,
		"HTTP_ADDR=" + p.http,
		"SLACK_PACING=off",
		"LOG_LEVEL=debug",
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("empowerbot exited with %v\n%s", err, p.logs.String())
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("empowerbot did not stop within 20s of SIGTERM\n%s", p.logs.String())
	}
	if lines := p.logs.Lines(`"level":"ERROR"`); len(lines) > 0 && !p.errorsOK {
		t.Errorf("empowerbot logged errors:\n%s", strings.Join(lines, "\n"))
	}
	if lines := p.logs.Lines("panic"); len(lines) > 0 {
		t.Errorf("empowerbot panicked:\n%s", strings.Join(lines, "\n"))
	}
}

func (p *proc) get(path string) (int, string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + p.http + path)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

var decisionID = regexp.MustCompile(`D-[0-9A-Z]+`)

func hasButton(m slackemu.Message, text string) bool {
	for _, b := range m.Buttons() {
		if b.Text == text {
			return true
		}
	}
	return false
}

func buttonValue(m slackemu.Message, text string) string {
	for _, b := range m.Buttons() {
		if b.Text == text {
			return b.Value
		}
	}
	return ""
}

func isReminder(m slackemu.Message) bool {
	job, _ := fanoutTag(m)
	return job == "feedback_reminder"
}

// fanoutTag returns the fan-out job and run a DM is tagged with (its
// metadata), which it keeps once answered and without its buttons.
func fanoutTag(m slackemu.Message) (job, run string) {
	if m.Metadata == nil {
		return "", ""
	}
	job, _ = m.Metadata.EventPayload["job"].(string)
	run, _ = m.Metadata.EventPayload["run"].(string)
	return job, run
}

func count(ms []slackemu.Message, pred func(slackemu.Message) bool) int {
	n := 0
	for _, m := range ms {
		if pred(m) {
			n++
		}
	}
	return n
}

func TestBlackboxOneReplica(t *testing.T) {
	t.Parallel()
	runScenario(t, 1)
}

func TestBlackboxTwoReplicas(t *testing.T) {
	t.Parallel()
	runScenario(t, 2)
}

// runScenario starts replicas processes and checks, in real time, every
// scheduled promise: escalation timeouts, outcome follow-ups, commitment
// reminders, feedback DMs and the digest, each done once per tick.
func runScenario(t *testing.T, replicas int) {
	w := newWorld(t, fastPolicy)
	var procs []*proc
	for range replicas {
		procs = append(procs, w.start())
	}
	emu := w.emu
	ctx := ctxFor(t, 40*time.Second)
	if err := emu.WaitConnections(ctx, replicas); err != nil {
		t.Fatalf("the binaries did not connect: %v\n%s", err, procs[0].logs.String())
	}

	// /healthz and /readyz of every replica.
	for i, p := range procs {
		if code, body, err := p.get("/healthz"); err != nil || code != http.StatusOK {
			t.Errorf("replica %d /healthz = %d %q %v", i, code, body, err)
		}
		if err := apptest.WaitFor(10*time.Second, func() bool {
			code, _, err := p.get("/readyz")
			return err == nil && code == http.StatusOK
		}); err != nil {
			code, body, gerr := p.get("/readyz")
			t.Errorf("replica %d /readyz = %d %q %v", i, code, body, gerr)
		}
	}

	// Every family is on /metrics from start-up.
	checkMetrics(t, procs)

	// Above the box, nobody answers: moved to the manager after 3s.
	res, err := emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 1500 for ACME the big renewal")
	if err != nil {
		t.Fatal(err)
	}
	bigID := decisionID.FindString(res.AllText())
	if bigID == "" {
		t.Fatalf("no decision ID in the reply %q", res.AllText())
	}
	// Inside the box: the follow-up DM comes after 2s.
	res, err = emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 100 for Globex kept them happy #courage")
	if err != nil {
		t.Fatal(err)
	}
	smallID := decisionID.FindString(res.AllText())
	if smallID == "" {
		t.Fatalf("no decision ID in the reply %q", res.AllText())
	}
	// Above the box, approved by the manager at once: followed up too.
	res, err = emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 800 for Initech rush order")
	if err != nil {
		t.Fatal(err)
	}
	okID := decisionID.FindString(res.AllText())
	if okID == "" {
		t.Fatalf("no decision ID in the reply %q", res.AllText())
	}
	esc, err := emu.WaitMessage(ctx, apptest.Escalations, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), okID) && hasButton(m, "Approve")
	})
	if err != nil {
		t.Fatalf("no escalation message for %s: %v", okID, err)
	}
	if _, err := emu.Click(ctx, apptest.Carol, esc, "Approve"); err != nil {
		t.Fatal(err)
	}
	// A commitment due tomorrow: reminded within remind_before (48h).
	res, err = emu.SlashCommand(ctx, apptest.Bob, apptest.General, "commit <@U0DAVE|dave> fix the van schedule by tomorrow")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(res.AllText()), "van") {
		t.Fatalf("commit reply = %q", res.AllText())
	}
	// Due beyond remind_before: no reminder yet.
	res, err = emu.SlashCommand(ctx, apptest.Bob, apptest.General, "commit <@U0DAVE|dave> a training budget by in 2 weeks")
	if err != nil || !strings.Contains(strings.ToLower(res.AllText()), "training") {
		t.Fatalf("commit reply = %q, %v", res.AllText(), err)
	}

	mentionsCarol := func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "<@U0CAROL>") && strings.Contains(m.AllText(), bigID) && m.ThreadTS == ""
	}
	moved, err := emu.WaitMessage(ctx, apptest.Escalations, mentionsCarol)
	if err != nil {
		t.Fatalf("decision %s was not escalated to the manager after respond_within: %v\n%v", bigID, err, emu.Messages(apptest.Escalations))
	}
	if !hasButton(moved, "Approve") || !hasButton(moved, "Decline") || hasButton(moved, "Escalate") {
		t.Errorf("the manager's message has buttons %v, want Approve and Decline (top level: no Escalate)", moved.Buttons())
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		return count(emu.Messages(apptest.Escalations), func(m slackemu.Message) bool {
			return strings.Contains(m.AllText(), bigID) && strings.Contains(m.AllText(), "Now with the *manager*") && len(m.Buttons()) == 0
		}) == 1
	}); err != nil {
		t.Errorf("the team lead's message of %s still has buttons after the timeout: %v", bigID, err)
	}
	followUp := func(m slackemu.Message) bool {
		return hasButton(m, "It worked") && strings.Contains(m.AllText(), smallID)
	}
	fu, err := emu.WaitDM(ctx, apptest.Dave, followUp)
	if err != nil {
		t.Fatalf("no follow-up DM for %s after ask_after: %v", smallID, err)
	}
	if _, err := emu.Click(ctx, apptest.Dave, fu, "It worked"); err != nil {
		t.Fatal(err)
	}
	praise, err := emu.WaitMessage(ctx, apptest.Praise, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "<@U0DAVE>")
	})
	if err != nil {
		t.Fatalf("It worked posted no praise: %v", err)
	}
	if !strings.Contains(praise.AllText(), "courage") || strings.Contains(praise.AllText(), "$100") {
		t.Errorf("praise = %q, want the value tagged and no amount", praise.AllText())
	}
	reminder := func(m slackemu.Message) bool {
		return hasButton(m, "Done") && strings.Contains(strings.ToLower(m.AllText()), "van")
	}
	if _, err := emu.WaitDM(ctx, apptest.Bob, reminder); err != nil {
		t.Fatalf("no commitment reminder DM to Bob: %v", err)
	}
	feedbackDM := func(m slackemu.Message) bool {
		job, _ := fanoutTag(m)
		return job == "feedback" || job == "feedback_reminder"
	}
	for _, u := range []string{apptest.Alice, apptest.Dave, apptest.Erin} {
		if _, err := emu.WaitDM(ctx, u, feedbackDM); err != nil {
			t.Fatalf("no feedback DM to %s: %v", u, err)
		}
	}
	approvedFollowUp := func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), okID) && strings.Contains(m.AllText(), "turn out")
	}
	if _, err := emu.WaitDM(ctx, apptest.Dave, approvedFollowUp); err != nil {
		t.Fatalf("no follow-up DM for the approved %s: %v", okID, err)
	}
	// Dave answers a round: the reminder leaves him out of it from then on.
	question, err := emu.WaitDM(ctx, apptest.Dave, func(m slackemu.Message) bool {
		return feedbackDM(m) && !isReminder(m) && hasButton(m, "Answer")
	})
	if err != nil {
		t.Fatal(err)
	}
	_, answeredRound := fanoutTag(question)
	if _, err := emu.Click(ctx, apptest.Dave, question, "Answer"); err != nil {
		t.Fatal(err)
	}
	modal, err := emu.WaitView(ctx, apptest.Dave, func(v slackemu.View) bool { return v.CallbackID == "feedback" && v.Open })
	if err != nil {
		t.Fatalf("no feedback modal: %v", err)
	}
	if _, err := emu.SubmitView(ctx, apptest.Dave, modal.ID, slackemu.Values{}.Set("feedback_text", "text", "more training on the new vans")); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.WaitMessage(ctx, apptest.Leaders, func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "more training on the new vans")
	}); err != nil {
		t.Errorf("the answer did not reach the leaders channel: %v", err)
	}
	answeredAt := time.Now() // the answer is saved before it is posted
	digest := func(m slackemu.Message) bool { return len(m.Files) > 0 }
	if _, err := emu.WaitMessage(ctx, apptest.Leaders, digest); err != nil {
		t.Fatalf("no digest with a chart in the leaders channel: %v", err)
	}

	// A replica restarts (SIGTERM, then a new process): its catch-up run
	// at start-up repeats nothing.
	if replicas > 1 {
		procs[0].stop(t)
		procs[0] = w.start()
		if err := emu.WaitConnections(ctx, replicas); err != nil {
			t.Fatalf("the restarted binary did not connect: %v", err)
		}
	}
	// Let several more ticks pass (polling the job counters, not sleeping a
	// fixed time), then stop and count.
	if err := apptest.WaitFor(20*time.Second, func() bool {
		return count(emu.Messages(apptest.Leaders), digest) >= 4
	}); err != nil {
		t.Fatalf("fewer than 4 digests: %v", err)
	}
	checkMetrics(t, procs)
	for _, p := range procs {
		p.stop(t)
		if os.Getenv("BLACKBOX_LOGS") != "" {
			t.Logf("logs:\n%s", p.logs.String())
		}
	}

	var slowest time.Duration
	for _, l := range emu.AckLatencies() {
		slowest = max(slowest, l)
	}
	t.Logf("%d envelopes, slowest ack %v", len(emu.AckLatencies()), slowest)

	// DM channels are opened once per person, across replicas and restarts.
	opened := map[string]int{}
	for _, c := range emu.Calls("conversations.open") {
		opened[c.Param("users")]++
	}
	for u, n := range opened {
		if n > 1 {
			t.Errorf("conversations.open called %d times for %s, want once", n, u)
		}
	}

	// Exactly once, counted at rest.
	if n := count(emu.Messages(apptest.Escalations), mentionsCarol); n != 1 {
		t.Errorf("%d messages moved %s to the manager, want 1", n, bigID)
	}
	asked := func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), smallID)
	}
	if n := count(emu.DMs(apptest.Dave), asked); n != 1 {
		t.Errorf("%d follow-up DMs for %s, want 1", n, smallID)
		for _, m := range emu.DMs(apptest.Dave) {
			t.Logf("DM to Dave: %s", m.AllText())
		}
	}
	if n := count(emu.DMs(apptest.Dave), approvedFollowUp); n != 1 {
		t.Errorf("%d follow-up DMs for the approved %s, want 1", n, okID)
	}
	if n := count(emu.Messages(apptest.Praise), func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "<@U0DAVE>") }); n != 1 {
		t.Errorf("%d praise posts, want 1", n)
	}
	if n := count(emu.DMs(apptest.Bob), reminder); n != 1 {
		t.Errorf("%d commitment reminders to Bob today, want 1", n)
	}
	if n := count(emu.DMs(apptest.Bob), func(m slackemu.Message) bool {
		return strings.Contains(m.AllText(), "training") && hasButton(m, "Done")
	}); n != 0 {
		t.Errorf("%d reminders of a commitment due in 2 weeks (remind_before 48h), want 0", n)
		for _, m := range emu.DMs(apptest.Bob) {
			t.Logf("DM to Bob: %s %v", m.AllText(), m.Buttons())
		}
	}
	// Feedback: one question DM per person and round, every round reaching
	// everyone; at most one reminder per person and round.
	rounds := map[string]map[string]int{}
	reminders := map[string]int{}
	for _, u := range []string{apptest.Alice, apptest.Dave, apptest.Erin} {
		for _, m := range emu.DMs(u) {
			if feedbackDM(m) && isReminder(m) {
				_, r := fanoutTag(m)
				reminders[u+" "+r]++
				if u == apptest.Dave && r == answeredRound && m.Time.After(answeredAt) {
					t.Errorf("Dave was reminded of round %s after answering it", r)
				}
				continue
			}
			if !feedbackDM(m) {
				continue
			}
			_, r := fanoutTag(m)
			if rounds[r] == nil {
				rounds[r] = map[string]int{}
			}
			rounds[r][u]++
		}
	}
	if len(rounds) < 3 {
		t.Errorf("only %d feedback rounds ran", len(rounds))
	}
	for r, per := range rounds {
		for _, u := range []string{apptest.Alice, apptest.Dave, apptest.Erin} {
			if per[u] != 1 {
				t.Errorf("round %s: %s got %d feedback DMs, want 1", r, u, per[u])
			}
		}
	}
	for k, n := range reminders {
		if n != 1 {
			t.Errorf("%d reminders for %s, want at most 1 per person and round", n, k)
		}
	}
	// Digest: one post per tick.
	rdb := w.redis.Client(t)
	keys, err := rdb.Keys(context.Background(), w.prefix+"*:tick:digest:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	ticks := 0
	for _, k := range keys {
		if v, _ := rdb.Get(context.Background(), k).Result(); v == "done" {
			ticks++
		}
	}
	t.Logf("digest keys: %v", keys)
	if n := count(emu.Messages(apptest.Leaders), digest); n != ticks {
		t.Errorf("%d digests posted for %d digest ticks", n, ticks)
	}
}

// checkMetrics checks that /metrics of every replica has every family.
func checkMetrics(t *testing.T, procs []*proc) {
	t.Helper()
	for i, p := range procs {
		code, body, err := p.get("/metrics")
		if err != nil || code != http.StatusOK {
			t.Errorf("replica %d /metrics = %d %v", i, code, err)
			continue
		}
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "empowerbot_redis_errors_total{") && !strings.HasSuffix(l, " 0") {
				t.Errorf("replica %d counts Redis errors with Redis up: %s", i, l)
			}
		}
		for _, fam := range []string{"empowerbot_envelopes_total", "empowerbot_ack_latency_seconds", "empowerbot_slack_api_calls_total", "empowerbot_redis_errors_total", "empowerbot_job_runs_total", "empowerbot_fanout_deliveries_total", "go_goroutines", "process_cpu_seconds_total"} {
			if !strings.Contains(body, "# TYPE "+fam+" ") {
				t.Errorf("replica %d /metrics lacks %s", i, fam)
			}
		}
	}
}

// Redis not up yet when the binary starts (a compose file starting both at
// once): the bot comes up, /readyz says why it is not ready, and it recovers
// when Redis appears.
func TestBlackboxRedisLateAtStartUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, fastPolicy)
	w.redis.Stop()
	p := w.start()
	p.errorsOK = true
	ctx := ctxFor(t, 40*time.Second)
	if err := w.emu.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("the binary did not connect to Slack with Redis down: %v\n%s", err, p.logs.String())
	}
	if err := apptest.WaitFor(10*time.Second, func() bool {
		code, _, err := p.get("/readyz")
		return err == nil && code == http.StatusServiceUnavailable
	}); err != nil {
		t.Errorf("/readyz with Redis down: %v", err)
	}
	res, err := w.emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 100 for ACME")
	if err != nil || !strings.Contains(strings.ToLower(res.AllText()), "nothing was recorded") {
		t.Errorf("a decision with Redis down = %q, %v; want nothing was recorded", res.AllText(), err)
	}
	w.redis.Restart()
	if err := apptest.WaitFor(20*time.Second, func() bool {
		code, _, err := p.get("/readyz")
		return err == nil && code == http.StatusOK
	}); err != nil {
		t.Fatalf("/readyz did not recover: %v", err)
	}
	res, err = w.emu.SlashCommand(ctx, apptest.Dave, apptest.General, "discount 100 for ACME")
	if err != nil || decisionID.FindString(res.AllText()) == "" {
		t.Fatalf("a decision after Redis came back = %q, %v", res.AllText(), err)
	}
	if _, err := w.emu.WaitDM(ctx, apptest.Dave, func(m slackemu.Message) bool { return hasButton(m, "Answer") }); err != nil {
		t.Errorf("the schedules did not run after Redis came back: %v", err)
	}
}
