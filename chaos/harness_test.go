package chaos

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
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
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

// Policy is the chaos suite's policy: apptest.DefaultPolicy (its people and
// channels, a $500 discount box) with schedules that never fire during a
// test and a praise limit a load does not reach.
var Policy = policyWith(apptest.DefaultPolicy, map[string]string{
	"feedback":             `"0 9 1 1 *"`,
	"feedback_reminder":    `"0 9 2 1 *"`,
	"commitment_reminders": `"0 8 1 1 *"`,
	"escalation_timeouts":  `"0 8 1 1 *"`,
	"outcome_followups":    `"0 10 1 1 *"`,
	"digest":               `"0 16 1 1 *"`,
	"daily_limit":          "100000",
})

// policyWith replaces the value of each indented "  key: value" line of
// policy whose key values names.
func policyWith(policy string, values map[string]string) string {
	lines := strings.Split(policy, "\n")
	for i, l := range lines {
		k, old, ok := strings.Cut(strings.TrimSpace(l), ":")
		if v, found := values[k]; ok && found && strings.HasPrefix(l, " ") && strings.TrimSpace(old) != "" {
			lines[i] = l[:strings.Index(l, k)] + k + ": " + v
		}
	}
	return strings.Join(lines, "\n")
}

// stepTimeout bounds every wait of the harness: a wait ends as soon as its
// condition holds, so this only matters when something never happens.
const stepTimeout = 60 * time.Second

// WorldOptions configures NewWorld. The zero value is Policy, a redis-server
// with AOF and an emulator with Slack's 3 s ack deadline.
type WorldOptions struct {
	// Policy is the policy YAML (default Policy).
	Policy string
	// RedisURL points the bots at a Redis the test runs itself (Sentinel,
	// Cluster); no redis-server is started then. Env carries the rest
	// (REDIS_ADDRS, REDIS_MASTER_NAME, ...).
	RedisURL string
	// NoAOF starts redis-server without the append-only file.
	NoAOF bool
	// Emulator options; apptest's people and channels are always seeded.
	Emulator slackemu.Options
	// Env is added to every bot's environment (KEY=value).
	Env []string
	// Client is how Store connects with RedisURL set (default: that URL).
	Client store.ClientOptions
}

// World is the emulator, Redis and policy that the bot processes of one test
// share.
type World struct {
	T *testing.T
	// Emu is the Slack emulator (Socket Mode and Web API on loopback).
	Emu *slackemu.Server
	// Redis is the redis-server the world started (nil with RedisURL).
	Redis *redistest.Server
	// RedisURL is what the bots get as REDIS_URL.
	RedisURL string
	// Prefix is the bots' REDIS_KEY_PREFIX.
	Prefix string
	// PolicyPath is the bots' POLICY_FILE.
	PolicyPath string
	env        []string
	client     store.ClientOptions

	mu   sync.Mutex
	bots []*Bot
}

// NewWorld starts the emulator and (unless o.RedisURL) a redis-server with
// AOF for t; both stop on t's cleanup, after every bot.
func NewWorld(t *testing.T, o WorldOptions) *World {
	t.Helper()
	w := &World{T: t, env: o.Env, client: o.Client}
	if o.RedisURL == "" {
		w.Redis = redistest.StartOwn(t, redistest.Options{AOF: !o.NoAOF})
		w.RedisURL = w.Redis.URL()
		w.Prefix = w.Redis.Prefix(t)
	} else {
		w.RedisURL = o.RedisURL
		w.Prefix = "chaos:" + strings.ReplaceAll(t.Name(), "/", ":")
	}
	w.Emu = slackemu.Start(t, o.Emulator)
	apptest.Seed(w.Emu)
	policy := o.Policy
	if policy == "" {
		policy = Policy
	}
	w.PolicyPath = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(w.PolicyPath, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// Ctx returns a context for one step, cancelled after stepTimeout or at the
// end of the test.
func (w *World) Ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	w.T.Cleanup(cancel)
	return ctx
}

// Store opens the bots' store (same Redis, same prefix) for checks at rest.
func (w *World) Store() *store.Store {
	w.T.Helper()
	o := w.client
	if o.URL == "" && len(o.Addrs) == 0 {
		o.URL = w.RedisURL
	}
	rdb, err := store.NewClient(o)
	if err != nil {
		w.T.Fatalf("redis client: %v", err)
	}
	w.T.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.NewKeys(w.Prefix))
}

// Bot is one `empowerbot run` process, started and stopped by PID.
type Bot struct {
	// PID is the process ID.
	PID int
	// Logs is the process's standard output and error.
	Logs *apptest.Buffer
	// HTTP is the HTTP_ADDR of its /healthz, /readyz and /metrics.
	HTTP string
	// ErrorsOK: the test makes the bot log errors (Slack or Redis failing on
	// purpose); Stop does not fail the test for them.
	ErrorsOK bool

	w    *World
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's error, once done is closed
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// StartBot starts one more `empowerbot run` with the world's environment,
// then env (KEY=value, later ones win), and waits until its Socket Mode
// connection takes envelopes. It is SIGKILLed on t's cleanup if still
// running.
func (w *World) StartBot(env ...string) *Bot {
	t := w.T
	t.Helper()
	b := w.SpawnBot(env...)
	before := w.Emu.Connections()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	for {
		err := w.Emu.WaitConnections(ctx, before+1)
		if err == nil {
			return b
		}
		select {
		case <-b.done:
			t.Fatalf("empowerbot exited before it connected: %v\n%s", b.err, b.Logs.String())
		default:
		}
		t.Fatalf("empowerbot did not connect to the emulator: %v\n%s", err, b.Logs.String())
	}
}

// SpawnBot starts a bot like StartBot without waiting for its connection
// (a bot that is expected to fail start-up, or several started at once).
func (w *World) SpawnBot(env ...string) *Bot {
	t := w.T
	t.Helper()
	b := &Bot{w: w, Logs: &apptest.Buffer{}, HTTP: freeAddr(t), done: make(chan struct{})}
	b.cmd = exec.Command(binary, "run")
	b.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"SLACK_APP_TOKEN=" + w.Emu.AppToken(),
		"SLACK_BOT_TOKEN=" + w.Emu.BotToken(),
		"SLACK_API_URL=" + w.Emu.URL(),
		"REDIS_URL=" + w.RedisURL,
		"REDIS_KEY_PREFIX=" + w.Prefix,
		"POLICY_FILE=" + w.PolicyPath,
		"HTTP_ADDR=" + b.HTTP,
		"SLACK_PACING=off",
		"LOG_LEVEL=debug",
	}, w.env...)
	b.cmd.Env = append(b.cmd.Env, env...)
	b.cmd.Stdout, b.cmd.Stderr = b.Logs, b.Logs
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start empowerbot: %v", err)
	}
	b.PID = b.cmd.Process.Pid
	go func() { b.err = b.cmd.Wait(); close(b.done) }()
	w.mu.Lock()
	w.bots = append(w.bots, b)
	w.mu.Unlock()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = syscall.Kill(b.PID, syscall.SIGKILL)
			<-b.done
		}
		if os.Getenv("CHAOS_LOGS") != "" {
			t.Logf("logs of bot %d:\n%s", b.PID, b.Logs.String())
		}
	})
	return b
}

// Running reports whether the process has not exited.
func (b *Bot) Running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// Kill ends the bot at once with SIGKILL, as a crash or the OOM killer would,
// and waits until the process is gone and the emulator has dropped its
// connection (so that a StartBot after it counts the new one).
func (b *Bot) Kill() {
	t := b.w.T
	t.Helper()
	if !b.Running() {
		return
	}
	before := b.w.Emu.Connections()
	if err := syscall.Kill(b.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", b.PID, err)
	}
	<-b.done
	if err := apptest.WaitFor(stepTimeout, func() bool { return b.w.Emu.Connections() < before }); err != nil {
		t.Fatalf("the emulator kept the killed bot's connection: %v", err)
	}
}

// Stop sends SIGTERM and waits for a clean exit (20 s at most, then
// SIGKILL). It fails the test when the bot exits with an error, logged an
// error (unless ErrorsOK) or panicked.
func (b *Bot) Stop() {
	t := b.w.T
	t.Helper()
	if b.Running() {
		_ = syscall.Kill(b.PID, syscall.SIGTERM)
		select {
		case <-b.done:
			if b.err != nil {
				t.Errorf("empowerbot %d exited with %v\n%s", b.PID, b.err, b.Logs.String())
			}
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(b.PID, syscall.SIGKILL)
			<-b.done
			t.Errorf("empowerbot %d did not stop within 20s of SIGTERM\n%s", b.PID, b.Logs.String())
		}
	}
	b.CheckLogs()
}

// CheckLogs fails the test when the bot panicked or (unless ErrorsOK)
// logged an error.
func (b *Bot) CheckLogs() {
	t := b.w.T
	t.Helper()
	if lines := b.Logs.Lines(`"level":"ERROR"`); len(lines) > 0 && !b.ErrorsOK {
		t.Errorf("empowerbot %d logged errors:\n%s", b.PID, strings.Join(lines, "\n"))
	}
	if lines := b.Logs.Lines("panic"); len(lines) > 0 {
		t.Errorf("empowerbot %d panicked:\n%s", b.PID, strings.Join(lines, "\n"))
	}
}

// Get fetches path from the bot's HTTP_ADDR.
func (b *Bot) Get(path string) (int, string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + b.HTTP + path)
	if err != nil {
		return 0, "", fmt.Errorf("get %s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// Ready reports whether /readyz answers 200.
func (b *Bot) Ready() bool {
	code, _, err := b.Get("/readyz")
	return err == nil && code == http.StatusOK
}

// WaitReady waits until /readyz answers 200.
func (b *Bot) WaitReady() {
	b.w.T.Helper()
	if err := apptest.WaitFor(stepTimeout, b.Ready); err != nil {
		_, body, _ := b.Get("/readyz")
		b.w.T.Fatalf("bot %d never ready: %v (%s)", b.PID, err, body)
	}
}

// decisionID finds a decision ID in a reply.
var decisionID = regexp.MustCompile(`D-[0-9A-Z]+`)

// Command is one slash command of a load.
type Command struct {
	User, Channel, Text string
	// Above marks a decision above the box (a card is expected).
	Above bool
}

// Result is what became of one command of a load.
type Result struct {
	Command
	// Index is the command's position in the load.
	Index int
	// Sent is when the emulator sent the envelope; EnvelopeID its first attempt.
	Sent       time.Time
	EnvelopeID string
	// Acked: some delivery attempt was acknowledged; Err is why not.
	Acked bool
	Err   error
	// Latency is the acknowledged attempt's time from envelope to ack;
	// Attempt its retry_attempt (> 0: redelivered, e.g. after a crash).
	Latency time.Duration
	Attempt int
	// Total is the time from the first envelope to the ack, across attempts.
	Total time.Duration
	// Reply is the text the person saw; Decision the decision ID in it.
	// Late: the ack was empty and the reply came through response_url.
	Reply    string
	Late     bool
	Decision string
	// Confirmed: the reply confirms that something was saved. TryAgain:
	// the reply says nothing was recorded.
	Confirmed bool
	TryAgain  bool
}

// Load is how a load generator sends commands.
type Load struct {
	// Rate is the commands per second (default 40).
	Rate float64
	// Commands are sent in order, one every 1/Rate.
	Commands []Command
	// AfterSend, when set, is called after command i was sent, on the
	// sender's goroutine (kill a bot at i == n/2, say; start slow work in
	// a goroutine).
	AfterSend func(i int)
	// Confirmed decides whether a reply confirms a save (default: the
	// reply carries a decision ID and is not the try-again text).
	Confirmed func(reply string) bool
}

// Run sends every command of l at its rate through the emulator and waits
// for every ack (each wait bounded by stepTimeout). It returns one Result
// per command, in order.
func (w *World) Run(l Load) []Result {
	t := w.T
	t.Helper()
	rate := l.Rate
	if rate <= 0 {
		rate = 40
	}
	confirmed := l.Confirmed
	if confirmed == nil {
		confirmed = func(reply string) bool {
			return decisionID.MatchString(reply) && !strings.Contains(reply, handlers.SorryText)
		}
	}
	results := make([]Result, len(l.Commands))
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i, c := range l.Commands {
		if i > 0 {
			<-tick.C
		}
		r := &results[i]
		r.Command, r.Index, r.Sent = c, i, time.Now()
		id, err := w.Emu.SendSlashCommand(context.Background(), c.User, c.Channel, c.Text)
		if err != nil {
			r.Err = err
			continue
		}
		r.EnvelopeID = id
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
			defer cancel()
			res, err := w.Emu.WaitSlashResult(ctx, id)
			r.Total = time.Since(r.Sent)
			if err != nil {
				r.Err = err
				return
			}
			r.Acked = true
			r.Latency, r.Attempt = res.Ack.Latency, res.Ack.Attempt
			r.Reply = res.AllText()
			if strings.TrimSpace(r.Reply) == "" && res.ResponseURL != "" {
				// Acked empty within the 3 s, answered through response_url.
				if m, err := w.Emu.WaitResponse(ctx, res.ResponseURL); err == nil {
					r.Reply, r.Late = m.AllText(), true
				}
			}
			r.Decision = decisionID.FindString(r.Reply)
			r.TryAgain = strings.Contains(r.Reply, "try again")
			r.Confirmed = confirmed(r.Reply)
		})
		if l.AfterSend != nil {
			l.AfterSend(i)
		}
	}
	wg.Wait()
	return results
}

// Decisions returns n commands logging decisions as the front-line people,
// every third above the box ($1,000 to $1,999: a card for the team lead),
// the rest inside it; each has a unique customer (Customer(i)) so that a
// decision can be told from every other.
func Decisions(n int) []Command {
	users := []string{apptest.Dave, apptest.Alice, apptest.Erin}
	out := make([]Command, n)
	for i := range out {
		c := Command{User: users[i%len(users)], Channel: apptest.General}
		if i%3 == 0 {
			c.Above = true
			c.Text = fmt.Sprintf("discount %d for %s chaos run", 1000+i%1000, Customer(i))
		} else {
			c.Text = fmt.Sprintf("discount %d for %s chaos run", 10+i%490, Customer(i))
		}
		out[i] = c
	}
	return out
}

// Customer is the unique customer name of command i of Decisions.
func Customer(i int) string { return fmt.Sprintf("CUST%05d", i) }

// Cards returns the escalation cards (top-level messages of the
// escalations channel) that name decision id.
func (w *World) Cards(channel, id string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.Emu.Messages(channel) {
		if m.ThreadTS == "" && strings.Contains(m.AllText(), id) {
			out = append(out, m)
		}
	}
	return out
}

// CardsByDecision counts, for every decision ID named by a top-level message
// of channel, how many messages name it.
func (w *World) CardsByDecision(channel string) map[string]int {
	n := map[string]int{}
	for _, m := range w.Emu.Messages(channel) {
		if m.ThreadTS != "" {
			continue
		}
		for _, id := range uniq(decisionID.FindAllString(m.AllText(), -1)) {
			n[id]++
		}
	}
	return n
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// DMsWith returns the DMs to user whose text contains substr.
func (w *World) DMsWith(user, substr string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.Emu.DMs(user) {
		if strings.Contains(m.AllText(), substr) {
			out = append(out, m)
		}
	}
	return out
}

// HasButton reports whether m has a button labelled text.
func HasButton(m slackemu.Message, text string) bool {
	for _, b := range m.Buttons() {
		if b.Text == text {
			return true
		}
	}
	return false
}

// Figures are what a chaos test reports and fails on.
type Figures struct {
	Sent, Acked, Confirmed, TryAgain int
	// Lost: confirmed but not found at rest. Duplicates: saved or posted
	// twice. Unanswered: acknowledged without a reply (or never).
	Lost, Duplicates, Unanswered int
	// Redelivered: acknowledged on a retry_attempt > 0. Late: answered
	// through response_url after an empty ack.
	Redelivered, Late int
	// MaxAck is the slowest acknowledged attempt; MaxTotal the slowest
	// from first envelope to ack, across attempts.
	MaxAck, MaxTotal time.Duration
	// Extra are the test's own figures, printed after the others.
	Extra []string
}

// Tally fills the load figures of results (not Lost or Duplicates, which
// need the state at rest).
func Tally(results []Result) Figures {
	var f Figures
	for _, r := range results {
		f.Sent++
		if !r.Acked {
			f.Unanswered++
			continue
		}
		f.Acked++
		if r.Confirmed {
			f.Confirmed++
		}
		if r.TryAgain {
			f.TryAgain++
		}
		if strings.TrimSpace(r.Reply) == "" {
			f.Unanswered++
		}
		if r.Attempt > 0 {
			f.Redelivered++
		}
		if r.Late {
			f.Late++
		}
		f.MaxAck = max(f.MaxAck, r.Latency)
		f.MaxTotal = max(f.MaxTotal, r.Total)
	}
	return f
}

// Report prints f as one FIGURES line of the test's output (the CI log
// keeps it) and fails t on any loss, duplicate or unanswered command.
func (f Figures) Report(t *testing.T) {
	t.Helper()
	line := fmt.Sprintf("FIGURES %s: sent=%d acked=%d confirmed=%d try_again=%d lost=%d duplicates=%d unanswered=%d redelivered=%d late=%d max_ack=%v max_total=%v",
		t.Name(), f.Sent, f.Acked, f.Confirmed, f.TryAgain, f.Lost, f.Duplicates, f.Unanswered, f.Redelivered, f.Late,
		f.MaxAck.Round(time.Millisecond), f.MaxTotal.Round(time.Millisecond))
	if len(f.Extra) > 0 {
		line += " " + strings.Join(f.Extra, " ")
	}
	t.Log(line)
	if f.Lost > 0 || f.Duplicates > 0 || f.Unanswered > 0 {
		t.Errorf("%d lost, %d duplicates, %d unanswered; want none", f.Lost, f.Duplicates, f.Unanswered)
	}
}

// ackBound is Slack's deadline: an envelope not acknowledged within it is
// redelivered, and the person sees an error.
const ackBound = 3 * time.Second

// CheckAckBound fails t when an acknowledged first attempt took longer than
// Slack's 3 s (the contract; every other wait of the suite is on a signal).
func CheckAckBound(t *testing.T, results []Result) {
	t.Helper()
	for _, r := range results {
		if r.Acked && r.Latency > ackBound {
			t.Errorf("command %d (%q) acked after %v, beyond Slack's %v", r.Index, r.Text, r.Latency, ackBound)
		}
	}
}

// WaitCard waits for the card (a top-level message of channel) of decision
// id that pred accepts (nil: any).
func (w *World) WaitCard(channel, id string, pred func(slackemu.Message) bool) (slackemu.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	m, err := w.Emu.WaitMessage(ctx, channel, func(m slackemu.Message) bool {
		return m.ThreadTS == "" && strings.Contains(m.AllText(), id) && (pred == nil || pred(m))
	})
	if err != nil {
		return m, fmt.Errorf("card of %s in %s: %w", id, channel, err)
	}
	return m, nil
}

// Team is the emulated workspace's team ID, the bots' team in Redis.
const Team = slackemu.DefaultTeamID

// StoredDecisions returns every decision the bots stored (created in the
// last day), keyed by customer (Decisions gives each command its own).
func (w *World) StoredDecisions() map[string][]*domain.DecisionRecord {
	w.T.Helper()
	st := w.Store()
	ctx := w.Ctx()
	now := time.Now()
	ids, err := st.DecisionsBetween(ctx, Team, now.Add(-24*time.Hour), now.Add(time.Hour))
	if err != nil {
		w.T.Fatal(err)
	}
	ds, err := st.GetDecisions(ctx, Team, ids)
	if err != nil {
		w.T.Fatal(err)
	}
	out := map[string][]*domain.DecisionRecord{}
	for _, d := range ds {
		out[d.Customer] = append(out[d.Customer], d)
	}
	return out
}
