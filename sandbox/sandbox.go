// Package sandbox runs the whole product locally for `empowerbot sandbox`:
// the Slack emulator (slackemu), the unchanged bot (package app) connected
// to it over Socket Mode, Redis (the deployment's, or a redis-server of its
// own with nothing saved; miniredis in memory with -tags miniredis),
// and a web page that looks and works like a small Slack: pick who you are,
// type /empower commands, click the bot's buttons, fill its modals, open the
// App Home tab, run scheduled jobs now and move the clock.
//
// The page renders whatever Block Kit the bot sends, so every flow the bot
// gains shows up in the sandbox without changes here.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
)

// InMemoryBanner is shown on stderr and on the page when Redis is in memory.
const InMemoryBanner = "Redis is the sandbox's own, in memory: nothing persists; set REDIS_URL to keep state"

// Config configures a Sandbox.
type Config struct {
	// Addr is where the page listens (SANDBOX_ADDR; "127.0.0.1:0" picks a port).
	Addr string
	// Redis, when its URL or Addrs are set, is the Redis to use; otherwise
	// the sandbox starts its own: redis-server from PATH, without saving
	// anything (or miniredis in memory, built with -tags miniredis).
	Redis store.ClientOptions
	// KeyPrefix is REDIS_KEY_PREFIX (default "empower").
	KeyPrefix string
	// Policy is the policy; nil means the built-in sample.
	Policy *domain.Policy
	// PolicySource names where the policy came from (shown on the page).
	PolicySource string
	// HTTPAddr is the bot's operator endpoint address ("" disables it).
	HTTPAddr string
	// Log receives the bot's and the sandbox's logs.
	Log *slog.Logger
}

// Sandbox is a running local workspace with the bot.
type Sandbox struct {
	cfg     Config
	log     *slog.Logger
	Emu     *slackemu.Server
	App     *app.App
	Clock   *clock.Offset
	mem     memRedis // nil when the deployment's Redis is used
	rdb     store.Client
	dir     directory
	ln      net.Listener
	web     *http.Server
	webCtx  context.Context
	stopWeb context.CancelFunc

	jobMu   sync.Mutex
	running map[string]bool // jobs running now

	readMu sync.Mutex
	reads  map[string]map[string]string // person -> channel -> the last ts they read
}

// New builds everything (the emulator, Redis, the bot) and binds the page's
// address, without running yet. Close releases it when Run is not called.
func New(ctx context.Context, cfg Config) (_ *Sandbox, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Addr == "" {
		cfg.Addr = config.DefaultSandboxAddr
	}
	if cfg.Policy == nil {
		p, perr := policy.Parse(SamplePolicy, "sample-policy.yaml")
		if perr != nil {
			return nil, fmt.Errorf("built-in sample policy: %w", perr)
		}
		cfg.Policy, cfg.PolicySource = p, "built-in sample policy"
	}
	s := &Sandbox{cfg: cfg, log: cfg.Log, Clock: &clock.Offset{}, running: map[string]bool{}, reads: map[string]map[string]string{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	s.dir = buildDirectory(cfg.Policy, cfg.Policy.Timezone)
	s.Emu = slackemu.New(slackemu.Options{
		Users:      s.dir.users,
		UserGroups: s.dir.groups,
		Logger:     cfg.Log.With("component", "slackemu"),
		// A person reading a modal takes longer than a test.
		TriggerTTL: 30 * time.Second,
		// The page shows message times in bot time.
		MessageClock: s.Clock.Now,
	})
	for _, r := range s.dir.rooms {
		s.Emu.AddChannel(r.ID, r.Name)
	}
	if err := s.Emu.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}

	ropts := cfg.Redis
	if ropts.URL == "" && len(ropts.Addrs) == 0 {
		if s.mem, err = startMemRedis(); err != nil {
			return nil, err
		}
		ropts = store.ClientOptions{URL: s.mem.URL()}
	}
	if s.rdb, err = store.NewClient(ropts); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if s.mem != nil {
		if h := s.mem.Hook(); h != nil {
			s.rdb.AddHook(h)
		}
	}

	s.App, err = app.New(ctx, app.Options{
		AppToken: s.Emu.AppToken(),
		BotToken: s.Emu.BotToken(),
		APIURL:   s.Emu.URL(),
		Redis:    s.rdb,
		// SLACK_PACING=off: the emulator does not rate-limit.
		Pacing:    false,
		KeyPrefix: cfg.KeyPrefix,
		HTTPAddr:  cfg.HTTPAddr,
		Policy:    cfg.Policy,
		Log:       cfg.Log,
		Clock:     s.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("start the bot: %w", err)
	}

	s.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on SANDBOX_ADDR %s: %w", cfg.Addr, err)
	}
	s.webCtx, s.stopWeb = context.WithCancel(context.Background())
	s.web = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.webCtx },
	}
	return s, nil
}

// InMemory reports whether Redis is the sandbox's own (nothing persists).
func (s *Sandbox) InMemory() bool { return s.mem != nil }

// URL is the page's address, "http://127.0.0.1:3000/".
func (s *Sandbox) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Run runs the bot, waits until it is connected to the emulator, then
// serves the page (ready is called then, with the page's URL) until ctx
// ends; then it shuts everything down.
func (s *Sandbox) Run(ctx context.Context, ready func(url string)) error {
	defer s.Close()
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	botDone := make(chan error, 1)
	go func() { botDone <- s.App.Run(botCtx) }()

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err := s.Emu.WaitConnections(wctx, 1)
	cancel()
	if err != nil {
		stopBot()
		<-botDone
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("the bot did not connect to the emulator: %w", err)
	}

	webDone := make(chan error, 1)
	go func() { webDone <- s.web.Serve(s.ln) }()
	if ready != nil {
		ready(s.URL())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-botDone:
		botDone <- runErr
		if runErr == nil {
			runErr = errors.New("the bot stopped")
		}
	case runErr = <-webDone:
		webDone <- runErr
	}
	s.stopWeb()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = s.web.Shutdown(sctx)
	scancel()
	stopBot()
	if err := <-botDone; err != nil && runErr == nil {
		runErr = err
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

// Close releases what New opened. Run calls it.
func (s *Sandbox) Close() {
	if s.stopWeb != nil {
		s.stopWeb()
	}
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.App != nil {
		s.App.Close()
	}
	if s.rdb != nil {
		_ = s.rdb.Close()
		s.rdb = nil
	}
	if s.mem != nil {
		s.mem.Close()
		s.mem = nil
	}
	if s.Emu != nil {
		s.Emu.Close()
	}
}

// Banner prints what the sandbox is and where to open it.
func (s *Sandbox) Banner(w io.Writer, url string) {
	fmt.Fprintf(w, "empowerbot sandbox: open %s\n", url)
	fmt.Fprintf(w, "  policy: %s\n", s.cfg.PolicySource)
	if s.InMemory() {
		fmt.Fprintf(w, "  %s\n", InMemoryBanner)
	} else {
		fmt.Fprintln(w, "  Redis: REDIS_URL")
	}
	fmt.Fprintln(w, "  stop with Ctrl-C")
}
