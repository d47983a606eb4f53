package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/slackemu"
)

// Limits: every run is bounded.
const (
	maxRate     = 5000
	maxDuration = 15 * time.Minute
	maxInFlight = 1024
	maxCommands = 2_000_000
	maxRounds   = 10
)

// The workspace: the people and channels of the load policy.
const (
	dave        = "U0DAVE" // front line
	bob         = "U0BOB"  // team lead
	carol       = "U0CAROL"
	alice       = "U0ALICE"
	general     = "C0GENERAL"
	escalations = "C0ESCALATE"
)

// loadPolicy is the policy the bot runs with: the product's example (a
// $500 box for discounts, a lead above it) with rare schedules.
//
//go:embed policy.yaml
var loadPolicy []byte

// config is the command line.
type config struct {
	bin         string
	scenarios   []string
	rate        float64
	duration    time.Duration
	inflight    int
	soak        time.Duration
	warmup      int
	pprofDir    string
	botLogLevel string
	noFloor     bool
	verbose     bool
	redisProxy  bool
	selfProfile string
	rounds      int
	storeFloor  bool
}

// kind is what answers the load: the bot, the floor, or the store floor.
type kind int

const (
	botKind   kind = iota
	floorKind      // a bare slack-go app acking at once
	storeKind      // the floor with one Redis round trip before a confirming ack
)

// String is the kind's row name in the report.
func (k kind) String() string {
	return [...]string{"empowerbot", "floor", "floor+store"}[k]
}

// allScenarios in the order they run.
var allScenarios = []string{"inside", "above", "button", "modal", "closed", "soak"}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("empowerload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: "+strings.Join(allScenarios, ", "))
	fs.StringVar(&c.bin, "bin", "", "the empowerbot binary (default: go build ./cmd/empowerbot into a temporary directory)")
	fs.Float64Var(&c.rate, "rate", 200, "commands per second of the open-loop scenarios")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each scenario sends")
	fs.IntVar(&c.inflight, "inflight", 32, "commands in flight in the closed loop")
	fs.DurationVar(&c.soak, "soak", 30*time.Second, "how long the soak sends (at -rate)")
	fs.IntVar(&c.warmup, "warmup", 50, "commands sent before measuring (connections, scripts, caches)")
	fs.StringVar(&c.pprofDir, "pprof", "", "directory for the bot's CPU and allocation profiles of each scenario (DEBUG_PPROF)")
	fs.StringVar(&c.botLogLevel, "bot-log-level", "info", "the bot's LOG_LEVEL (its logs are discarded)")
	fs.BoolVar(&c.noFloor, "no-floor", false, "measure the bot only")
	fs.BoolVar(&c.verbose, "v", false, "say what is happening on stderr")
	fs.IntVar(&c.rounds, "rounds", 1, "runs of each scenario, the bot and the floors taking turns, every other round in reverse (bot, floor, floor, bot, …); the figures pool them all")
	fs.StringVar(&c.selfProfile, "self-profile", "", "write the load tool's own CPU profile (the emulator's side) to this file")
	fs.BoolVar(&c.storeFloor, "store-floor", false, "measure the store floor too: the floor making, before each ack, the one Redis round trip the contract allows (a script that keeps the command) and confirming a slash command in its ack; the least any app that stores and confirms in the ack can do")
	fs.BoolVar(&c.redisProxy, "redis-proxy", false, "put a counting proxy between the bot and redis-server, for its top-level Redis commands per command (the proxy's hops then add to the bot's latency and CPU)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return c, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(allScenarios, ", "))
		}
		c.scenarios = append(c.scenarios, s)
	}
	switch {
	case len(c.scenarios) == 0:
		return c, errors.New("no scenario")
	case c.rate <= 0 || c.rate > maxRate:
		return c, fmt.Errorf("-rate must be in (0, %d]", maxRate)
	case c.duration <= 0 || c.duration > maxDuration || c.soak <= 0 || c.soak > maxDuration:
		return c, fmt.Errorf("-duration and -soak must be in (0, %s]", maxDuration)
	case c.inflight <= 0 || c.inflight > maxInFlight:
		return c, fmt.Errorf("-inflight must be in [1, %d]", maxInFlight)
	case c.rate*max(c.duration, c.soak).Seconds() > maxCommands:
		return c, fmt.Errorf("at most %d commands per scenario", maxCommands)
	case c.rounds < 1 || c.rounds > maxRounds:
		return c, fmt.Errorf("-rounds must be in [1, %d]", maxRounds)
	case c.rate*max(c.duration, c.soak).Seconds()*float64(c.rounds) > maxCommands:
		return c, fmt.Errorf("at most %d commands per scenario, all rounds together", maxCommands)
	case c.warmup < 0 || c.warmup > 10000:
		return c, errors.New("-warmup must be in [0, 10000]")
	}
	return c, nil
}

// env is what one run shares: redis, the proxy (with -redis-proxy), the
// emulator, the bot.
type env struct {
	cfg     config
	redis   *redisServer
	proxy   *redisProxy // nil without -redis-proxy
	emu     *slackemu.Server
	bin     string
	self    string
	policy  string
	dir     string
	log     io.Writer
	prefixN int
	// cards are the escalation cards the button scenario clicks.
	cards []slackemu.Message
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "empowerload: "+format+"\n", args...)
}

func runLoad(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "empowerload-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	e := &env{cfg: cfg, dir: dir, log: io.Discard}
	if cfg.verbose {
		e.log = stderr
	}
	if e.self, err = os.Executable(); err != nil {
		return fmt.Errorf("find this binary for the floor: %w", err)
	}
	e.bin = cfg.bin
	if e.bin == "" {
		e.bin = filepath.Join(dir, "empowerbot")
		e.logf("building ./cmd/empowerbot")
		b := exec.CommandContext(ctx, "go", "build", "-o", e.bin, "github.com/empowerbot/empowerbot/cmd/empowerbot")
		b.Stderr = stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("build empowerbot (or give -bin): %w", err)
		}
	}
	e.policy = filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(e.policy, loadPolicy, 0o600); err != nil {
		return fmt.Errorf("write the policy: %w", err)
	}
	if cfg.pprofDir != "" {
		if err := os.MkdirAll(cfg.pprofDir, 0o755); err != nil {
			return fmt.Errorf("pprof directory: %w", err)
		}
	}
	if e.redis, err = startRedis(); err != nil {
		return err
	}
	defer e.redis.stop()
	if cfg.redisProxy {
		if e.proxy, err = startProxy(e.redis.addr); err != nil {
			return fmt.Errorf("redis proxy: %w", err)
		}
		defer e.proxy.close()
	}
	e.emu = slackemu.New(slackemu.Options{NoRedelivery: true, AckTimeout: 10 * time.Second})
	seed(e.emu)
	if err := e.emu.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer e.emu.Close()

	fmt.Fprintf(stdout, "empowerload: %s, GOMAXPROCS %s, load average at start %s\n", time.Now().UTC().Format(time.RFC3339), gomaxprocs(), uptime())
	fmt.Fprintf(stdout, "bot: %s; floor: bare slack-go Socket Mode app acking at once", e.bin)
	if cfg.storeFloor {
		fmt.Fprint(stdout, "; floor+store: the floor making one Redis round trip (a script keeping the command) before a confirming ack")
	}
	fmt.Fprintf(stdout, "; rate %g/s, %s per scenario, closed loop %d in flight, soak %s", cfg.rate, cfg.duration, cfg.inflight, cfg.soak)
	if cfg.rounds > 1 {
		fmt.Fprintf(stdout, "; %d rounds each, pooled", cfg.rounds)
	}
	fmt.Fprint(stdout, "\n\n")
	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sc := scenarios[name]
		e.logf("scenario %s", name)
		kinds := []kind{botKind}
		if !cfg.noFloor {
			kinds = append(kinds, floorKind)
		}
		if cfg.storeFloor {
			kinds = append(kinds, storeKind)
		}
		res := map[kind]*result{}
		for round := range cfg.rounds {
			// Every other round runs in the reverse order, so that no side
			// always runs first.
			order := slices.Clone(kinds)
			if round%2 == 1 {
				slices.Reverse(order)
			}
			for _, k := range order {
				r, err := e.measure(ctx, sc, k)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", name, k, err)
				}
				res[k] = res[k].pool(r)
			}
		}
		report(stdout, sc, e.describe(sc), res[botKind], res[floorKind], res[storeKind])
	}
	return nil
}

// describe says what a scenario sends.
func (e *env) describe(sc *scenario) string {
	switch sc.mode {
	case closedMode:
		return fmt.Sprintf("%s, %d in flight for %s", sc.what, e.cfg.inflight, e.cfg.duration)
	case soakMode:
		return fmt.Sprintf("%s, %g/s for %s", sc.what, e.cfg.rate, e.cfg.soak)
	}
	return fmt.Sprintf("%s, %g/s for %s", sc.what, e.cfg.rate, e.cfg.duration)
}

// target is a running bot or floor process.
type target struct {
	kind    kind
	cmd     *exec.Cmd
	httpURL string // the bot's HTTP_ADDR
}

func (t *target) pid() int { return t.cmd.Process.Pid }

// start starts the bot or a floor and waits until it is connected.
func (e *env) start(ctx context.Context, k kind) (*target, error) {
	t := &target{kind: k}
	bot := k == botKind
	switch k {
	case botKind:
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		e.prefixN++
		t.httpURL = fmt.Sprintf("http://127.0.0.1:%d", port)
		t.cmd = exec.Command(e.bin, "run")
		t.cmd.Env = append(cleanEnv(),
			"SLACK_APP_TOKEN="+e.emu.AppToken(), "SLACK_BOT_TOKEN="+e.emu.BotToken(), "SLACK_API_URL="+e.emu.URL(),
			"REDIS_URL=redis://"+e.redisAddr()+"/0", fmt.Sprintf("REDIS_KEY_PREFIX=load%d", e.prefixN),
			"POLICY_FILE="+e.policy, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port),
			"LOG_LEVEL="+e.cfg.botLogLevel, "SLACK_PACING=off")
		if e.cfg.pprofDir != "" {
			t.cmd.Env = append(t.cmd.Env, "DEBUG_PPROF=1")
		}
	default:
		args := []string{"floor", "-api", e.emu.URL(), "-app-token", e.emu.AppToken(), "-bot-token", e.emu.BotToken()}
		if k == storeKind {
			e.prefixN++
			args = append(args, "-redis", e.redis.addr, "-prefix", fmt.Sprintf("loadfloor%d", e.prefixN))
		}
		t.cmd = exec.Command(e.self, args...)
		t.cmd.Env = cleanEnv()
	}
	if e.cfg.verbose {
		t.cmd.Stderr = e.log
	}
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.emu.WaitConnections(wctx, 1); err != nil {
		stopProcess(t.cmd, 5*time.Second)
		return nil, fmt.Errorf("no Socket Mode connection within 30s: %w", err)
	}
	if bot {
		for {
			resp, err := http.Get(t.httpURL + "/readyz")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if wctx.Err() != nil {
				stopProcess(t.cmd, 5*time.Second)
				return nil, errors.New("the bot was not ready within 30s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return t, nil
}

// stop stops the process and waits until the emulator has lost its
// connection, so that the next process gets every envelope.
func (e *env) stop(t *target) {
	stopProcess(t.cmd, 15*time.Second)
	for i := 0; i < 500 && e.emu.Connections() > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// cleanEnv is this process's environment without the bot's variables.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "SLACK_"), strings.HasPrefix(k, "REDIS_"), k == "POLICY_FILE", k == "HTTP_ADDR",
			k == "LOG_LEVEL", k == "LOG_FORMAT", k == "DEBUG_PPROF", k == "SANDBOX_ADDR", k == "CATCHUP_GRACE":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func gomaxprocs() string {
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		return v
	}
	return fmt.Sprint(runtime.NumCPU())
}

// seed adds the load policy's people and channels to the emulator.
func seed(emu *slackemu.Server) {
	for _, u := range []slackemu.User{
		{ID: alice, Name: "alice", RealName: "Alice Adams", TZ: "America/Chicago"},
		{ID: dave, Name: "dave", RealName: "Dave Diaz", TZ: "America/Chicago"},
		{ID: bob, Name: "bob", RealName: "Bob Brown", TZ: "America/Chicago"},
		{ID: carol, Name: "carol", RealName: "Carol Chen", TZ: "America/Chicago"},
	} {
		emu.AddUser(u)
	}
	emu.AddUserGroup("S0FRONTLINE", "frontline", alice)
	emu.AddChannel("C0PRAISE", "praise")
	emu.AddChannel(escalations, "escalations")
	emu.AddChannel("C0LEADERS", "leaders")
	emu.AddChannel(general, "general")
}

// redisAddr is where the bot connects to Redis: the proxy when there is
// one, else redis-server itself.
func (e *env) redisAddr() string {
	if e.proxy != nil {
		return e.proxy.addr()
	}
	return e.redis.addr
}
