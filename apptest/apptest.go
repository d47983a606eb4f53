// Package apptest starts the real product for end-to-end tests: a real
// redis-server, the local Slack emulator seeded with the people and channels
// of a test policy, and one or more bot replicas wired by package app exactly
// as `empowerbot run` wires them. Tests then act as people through the
// emulator (slash commands, clicks, modal submissions) and assert on what
// Slack would show.
package apptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// People and channels of DefaultPolicy, seeded into the emulator.
const (
	Team        = "T0EMU"
	Alice       = "U0ALICE" // front line, through the S0FRONTLINE group
	Dave        = "U0DAVE"  // front line, named directly
	Erin        = "U0ERIN"  // front line, through the group
	Bob         = "U0BOB"   // team lead
	Carol       = "U0CAROL" // manager
	Mallory     = "U0MALLORY"
	Frontline   = "S0FRONTLINE"
	Praise      = "C0PRAISE"
	Escalations = "C0ESCALATE"
	Leaders     = "C0LEADERS"
	General     = "C0GENERAL"
)

// DefaultPolicy is PRODUCT.md's example policy with the schedules off (tests
// run jobs with RunNow or set their own specs).
const DefaultPolicy = `
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
    respond_within: 4h
  - name: manager
    approvers: [U0CAROL]
    respond_within: 24h
activities:
  - name: discount
    summary: Invoice discount to keep a customer relationship
    unit: USD
    frontline_limit: 500
    level_limits: {team-lead: 2000, manager: 10000}
  - name: travel-waiver
    unit: USD
    frontline_limit: 250
always_escalate:
  safety: manager
  legal: manager
schedules:
  feedback: "0 9 * * MON"
  feedback_reminder: "0 9 * * WED"
  commitment_reminders: "0 8 * * *"
  escalation_timeouts: "*/5 * * * *"
  outcome_followups: "0 10 * * *"
  digest: "0 16 * * FRI"
outcomes:
  ask_after: 72h
praise:
  show_amounts: false
  daily_limit: 10
commitments:
  remind_before: 24h
feedback:
  anonymous_allowed: true
`

// Options configures Start. The zero value is one replica on DefaultPolicy.
type Options struct {
	// Policy is the policy YAML (default DefaultPolicy).
	Policy string
	// PolicyFile, when set, is written with Policy and given to every
	// replica as its POLICY_FILE, so that tests can reload it
	// (App.ReloadPolicy).
	PolicyFile string
	// PolicyWatch is passed to every replica (reload when PolicyFile changes).
	PolicyWatch time.Duration
	// Replicas is how many bots to start (default 1; 0 is 1, use NoBot for none).
	Replicas int
	// NoBot starts no replica (the test starts them with StartBot).
	NoBot bool
	// Redis is a server to share (for tests that stop Redis: StartOwn).
	Redis *redistest.Server
	// Emulator options (users, groups and channels of the default set are
	// always seeded).
	Emulator slackemu.Options
	// CatchUpGrace is passed to every replica (default: 0, no catch-up).
	CatchUpGrace time.Duration
	// HTTP starts the operator endpoints on a loopback port.
	HTTP bool
	// SlackLimits turns client-side pacing on with these per-method paces.
	SlackLimits map[string]rate.Limit
	// AckBudget overrides the bot's ack budget.
	AckBudget time.Duration
	// ExtraRoutes adds test-only routes to every replica.
	ExtraRoutes func(r *bot.Router, h *handlers.Handlers)
	// ShutdownGrace overrides the replicas' shutdown grace (default 10s).
	ShutdownGrace time.Duration
	// WaitReplicas is every replica's REDIS_WAIT_REPLICAS.
	WaitReplicas int
	// MaxInFlight, AfterWorkers and AfterQueue are every replica's bounds
	// of envelopes in flight and of the work after the answers (0: the
	// bot's defaults).
	MaxInFlight, AfterWorkers, AfterQueue int
	// RedisURL, when set, is where the replicas connect instead of Redis
	// (a redistest.Proxy in front of it); the test's own clients still
	// reach Redis directly.
	RedisURL string
}

// Env is a running product for one test.
type Env struct {
	T      testing.TB
	Emu    *slackemu.Server
	Redis  *redistest.Server
	Prefix string
	Policy *domain.Policy
	// Clock is shared by every replica; tests move it.
	Clock *clock.Offset
	// Logs collects every replica's log lines (JSON).
	Logs *Buffer
	opts Options

	mu   sync.Mutex
	bots []*Bot
}

// Bot is one running replica.
type Bot struct {
	App    *app.App
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Start starts Redis (unless given), the emulator and the replicas, and
// waits until every replica is connected. When the test ends, after every
// replica, the emulator and Redis are stopped, it fails if a goroutine
// started during the test is still running (see CheckLeaks).
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	leakOpts := []goleak.Option{goleak.IgnoreCurrent()}
	if o.Redis != nil {
		// A Redis the test owns is stopped after this env's cleanups, and
		// the test may restart it meanwhile: its process's goroutines are
		// the test's, not the app's (the app starts no process).
		leakOpts = append(leakOpts, goleak.IgnoreAnyFunction("github.com/empowerbot/empowerbot/redisproc.(*Proc).start.func1"),
			goleak.IgnoreAnyFunction("os/exec.(*Cmd).writerDescriptor.func1"))
	}
	t.Cleanup(func() { CheckLeaks(t, leakOpts...) }) // first registered: runs last
	if o.Policy == "" {
		o.Policy = DefaultPolicy
	}
	pol, err := policy.Parse([]byte(o.Policy), "test-policy.yaml")
	if err != nil {
		t.Fatalf("test policy: %v", err)
	}
	if o.PolicyFile != "" {
		if err := os.WriteFile(o.PolicyFile, []byte(o.Policy), 0o600); err != nil {
			t.Fatalf("write the test policy: %v", err)
		}
	}
	rs := o.Redis
	if rs == nil {
		rs = redistest.Start(t)
	}
	emu := slackemu.Start(t, o.Emulator)
	Seed(emu)
	e := &Env{
		T: t, Emu: emu, Redis: rs, Prefix: rs.Prefix(t), Policy: pol,
		Clock: &clock.Offset{}, Logs: &Buffer{}, opts: o,
	}
	t.Cleanup(e.StopAll)
	if !o.NoBot {
		n := o.Replicas
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			e.StartBot()
		}
	}
	return e
}

// Seed adds the people, group and channels of DefaultPolicy to emu.
func Seed(emu *slackemu.Server) {
	for _, u := range []slackemu.User{
		{ID: Alice, Name: "alice", RealName: "Alice Adams", TZ: "America/Chicago"},
		{ID: Dave, Name: "dave", RealName: "Dave Diaz", TZ: "America/Chicago"},
		{ID: Erin, Name: "erin", RealName: "Erin Evans", TZ: "America/Chicago"},
		{ID: Bob, Name: "bob", RealName: "Bob Brown", TZ: "America/Chicago"},
		{ID: Carol, Name: "carol", RealName: "Carol Chen", TZ: "America/Chicago"},
		{ID: Mallory, Name: "mallory", RealName: "Mallory Moss", TZ: "America/Chicago"},
	} {
		emu.AddUser(u)
	}
	emu.AddUserGroup(Frontline, "frontline", Alice, Erin)
	emu.AddChannel(Praise, "praise")
	emu.AddChannel(Escalations, "escalations")
	emu.AddChannel(Leaders, "leaders")
	emu.AddChannel(General, "general")
}

// StartBot starts one more replica and waits until it is connected.
func (e *Env) StartBot() *Bot {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := app.Options{
		AppToken:      e.Emu.AppToken(),
		BotToken:      e.Emu.BotToken(),
		APIURL:        e.Emu.URL(),
		RedisOptions:  store.ClientOptions{URL: e.Redis.URL()},
		WaitReplicas:  e.opts.WaitReplicas,
		KeyPrefix:     e.Prefix,
		Policy:        e.Policy,
		PolicyFile:    e.opts.PolicyFile,
		PolicyWatch:   e.opts.PolicyWatch,
		Log:           log,
		Clock:         e.Clock,
		CatchUpGrace:  e.opts.CatchUpGrace,
		PingInterval:  10 * time.Second,
		AckBudget:     e.opts.AckBudget,
		ExtraRoutes:   e.opts.ExtraRoutes,
		ShutdownGrace: e.opts.ShutdownGrace,
		MaxInFlight:   e.opts.MaxInFlight,
		AfterWorkers:  e.opts.AfterWorkers,
		AfterQueue:    e.opts.AfterQueue,
	}
	if e.opts.RedisURL != "" {
		o.RedisOptions.URL = e.opts.RedisURL
	}
	if e.opts.HTTP {
		o.HTTPAddr = "127.0.0.1:0"
	}
	if e.opts.SlackLimits != nil {
		o.Pacing, o.SlackLimits = true, e.opts.SlackLimits
	}
	a, err := app.New(ctx, o)
	if err != nil {
		cancel()
		e.T.Fatalf("start bot: %v", err)
	}
	b := &Bot{App: a, cancel: cancel, done: make(chan error, 1)}
	go func() { b.done <- a.Run(ctx) }()
	e.mu.Lock()
	e.bots = append(e.bots, b)
	e.mu.Unlock()
	if err := WaitFor(10*time.Second, a.Bot.Connected); err != nil {
		e.T.Fatalf("bot did not connect to the emulator: %v", err)
	}
	return b
}

// Bots returns the replicas started so far (stopped ones included).
func (e *Env) Bots() []*Bot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Bot(nil), e.bots...)
}

// Stop shuts the replica down as SIGTERM would and returns Run's error.
func (b *Bot) Stop() error {
	b.once.Do(func() {
		b.cancel()
		select {
		case b.err = <-b.done:
		case <-time.After(20 * time.Second):
			b.err = errors.New("bot did not stop within 20s")
		}
	})
	return b.err
}

// StopAll stops every replica (cleanup).
func (e *Env) StopAll() {
	for _, b := range e.Bots() {
		if err := b.Stop(); err != nil {
			e.T.Errorf("stop bot: %v", err)
		}
	}
}

// stepTimeout bounds one step of a test. It is generous because waits end
// as soon as their condition holds: on a loaded machine under the race
// detector one step (a digest drawing its chart, say) can take many times
// longer than on an idle one, and a step that never ends still fails.
const stepTimeout = 60 * time.Second

// Ctx returns a context for one step of a test, cancelled after stepTimeout.
func (e *Env) Ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	e.T.Cleanup(cancel)
	return ctx
}

// Command sends `/empower text` as user in #general and returns the result.
func (e *Env) Command(user, text string) slackemu.SlashResult {
	e.T.Helper()
	res, err := e.Emu.SlashCommand(e.Ctx(), user, General, text)
	if err != nil {
		e.T.Fatalf("/empower %s as %s: %v", text, user, err)
	}
	return res
}

// WaitFor polls cond every 10ms until it is true or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Buffer is a concurrency-safe log sink.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the lines containing substr.
func (b *Buffer) Lines(substr string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// LeakOptions are the goroutines a leak check never counts. goleak itself
// ignores the Go runtime's and the testing package's own goroutines (and
// os/signal's watcher); the app uses no library that keeps a goroutine for
// the whole process, so nothing else is ignored: a Redis client, an HTTP
// connection or a goroutine of the app left behind is a leak.
func LeakOptions() []goleak.Option { return nil }

// leakDeadline is how long CheckLeaks waits for goroutines that are on
// their way out (a connection the other side just closed) before it
// reports them.
const leakDeadline = 5 * time.Second

// CheckLeaks fails t when a goroutine is running other than LeakOptions'
// and those opts ignore (typically goleak.IgnoreCurrent() taken when the
// test began). It polls until leakDeadline before reporting.
func CheckLeaks(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	opts = append(LeakOptions(), opts...)
	deadline := time.Now().Add(leakDeadline)
	for {
		err := goleak.Find(opts...) // retries for up to about 2s itself
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines left running after the test:\n%v", err)
			return
		}
	}
}
