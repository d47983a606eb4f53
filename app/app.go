// Package app wires the product into one running process: the Redis store,
// the Slack Web API client, the Socket Mode bot with its routes, the
// scheduled jobs and the operator HTTP endpoints. `empowerbot run`, the
// sandbox and the end-to-end tests all start the bot through it, so what is
// tested is the real wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/buildinfo"
	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/ops"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/autonomy"
	"github.com/empowerbot/empowerbot/service/away"
	"github.com/empowerbot/empowerbot/service/commitments"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/service/recognition"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/zones"
)

// rosterWarmUp bounds how long Run waits for the policy's user groups
// before it takes envelopes.
const rosterWarmUp = 20 * time.Second

// Options is everything the process needs. Zero values get the defaults of
// PRODUCT.md's configuration table.
type Options struct {
	AppToken string
	BotToken string
	// APIURL is the Web API base ending in "/".
	APIURL string
	// Redis is a ready client; when nil one is built from RedisOptions.
	Redis        store.Client
	RedisOptions store.ClientOptions
	// WaitReplicas is REDIS_WAIT_REPLICAS: every change waits for that many
	// replicas (Store.WaitForReplicas).
	WaitReplicas int
	KeyPrefix    string
	// HTTPAddr is where /healthz, /readyz and /metrics listen ("" disables).
	HTTPAddr string
	// Pprof serves net/http/pprof on HTTPAddr (DEBUG_PPROF).
	Pprof bool
	// Pacing paces Web API calls to Slack's tiers (SLACK_PACING=tiers).
	Pacing bool
	// SlackLimits overrides per-method paces (benchmarks, tests).
	SlackLimits map[string]rate.Limit
	// CatchUpGrace is CATCHUP_GRACE.
	CatchUpGrace time.Duration
	Policy       *domain.Policy
	// PolicyFile is where Policy was read from (POLICY_FILE); ReloadPolicy
	// reads it again. Empty: no reloads.
	PolicyFile string
	// Reload, when set, asks for a reload of PolicyFile on each value
	// (SIGHUP in `empowerbot run`).
	Reload <-chan os.Signal
	// PolicyWatch, when set, checks PolicyFile this often and reloads it
	// when its content changed (a Kubernetes ConfigMap update).
	PolicyWatch time.Duration
	// CheckWorkspace runs the checks of `empowerbot doctor` once at start-up
	// and logs each failure as a warning (`empowerbot run` sets it).
	CheckWorkspace bool
	Log            *slog.Logger
	// Clock defaults to the system clock.
	Clock clock.Clock
	// PingInterval overrides slack-go's dead-man interval (tests).
	PingInterval time.Duration
	// AckBudget overrides the bot's ack budget (tests).
	AckBudget time.Duration
	// ShutdownGrace is how long a stop waits for running handlers, and then
	// for running App Home refreshes, before cancelling them (default 10s).
	ShutdownGrace time.Duration
	// RosterRefresh is how often the user groups of the policy are listed
	// again (default roster.DefaultRefresh).
	RosterRefresh time.Duration
	// ExtraRoutes, when set, may add routes after the product's own (tests
	// add a handler that panics, for example).
	ExtraRoutes func(r *bot.Router, h *handlers.Handlers)
	// MaxInFlight, AfterWorkers and AfterQueue override the bot's bounds
	// of envelopes in flight and of the work after the answers (tests; 0
	// keeps the bot's defaults, see bot.Config).
	MaxInFlight, AfterWorkers, AfterQueue int
}

// App is a wired, not yet running process. Create it with New, then Run.
type App struct {
	opts    Options
	log     *slog.Logger
	Metrics *metrics.Metrics
	// Policies holds the policy in force; Set applies a reloaded one to
	// what comes next.
	Policies *domain.Policies
	Redis    store.Client
	Store    *store.Store
	Slack    *slack.Client
	Handlers *handlers.Handlers
	Bot      *bot.Bot
	Jobs     *jobs.Scheduler
	Insights *insights.Service
	// Roster tells who is in which policy team and who approves where,
	// resolved once per policy; Run keeps its user groups current.
	Roster *roster.Roster
	// Zones is the time-zone directory (each person's Slack zone).
	Zones    *zones.Directory
	home     *insights.Homes
	http     *ops.Server
	slackTr  *slackapi.Transport
	ownRedis bool
	ran      bool // Run was called: it owns the HTTP listener

	replica    string // this process, in logs: host name and a random suffix
	reloadMu   sync.Mutex
	policySeen []byte // the policy file's content as last read
	policyNext []byte // a changed content seen once, reloaded when seen again
}

// New builds every part and checks the bot token with auth.test; it returns
// a clear error when Slack refuses the token.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Policy == nil {
		return nil, errors.New("app: no policy")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "empower"
	}
	if o.ShutdownGrace == 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	a := &App{opts: o, log: o.Log, Metrics: metrics.New(), Policies: domain.NewPolicies(o.Policy), replica: replicaID()}
	bi := buildinfo.Get()
	a.Metrics.BuildInfo(bi.Version, bi.ShortCommit(), bi.GoVersion)
	a.zeroWorkspaceChecks()

	if o.PolicyFile != "" {
		a.policySeen, _ = os.ReadFile(o.PolicyFile)
	}

	a.Redis = o.Redis
	if a.Redis == nil {
		rc, err := store.NewClient(o.RedisOptions)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		a.Redis, a.ownRedis = rc, true
	}
	a.Redis.AddHook(metrics.RedisHook{M: a.Metrics})
	a.Store = store.New(a.Redis, store.NewKeys(o.KeyPrefix))
	a.Store.WaitForReplicas(o.WaitReplicas, 0)

	a.Slack, a.slackTr = slackapi.New(slackapi.Config{
		BotToken: o.BotToken,
		AppToken: o.AppToken,
		APIURL:   o.APIURL,
		Metrics:  a.Metrics,
		Pacing:   o.Pacing,
		Limits:   o.SlackLimits,
		Logger:   slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug),
	})
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	auth, err := a.Slack.AuthTestContext(actx)
	cancel()
	if err != nil {
		a.Close()
		if slackapi.Classify(err) == slackapi.Auth {
			return nil, fmt.Errorf("slack refused SLACK_BOT_TOKEN (%s): check the bot token of the installed app", slackapi.Code(err))
		}
		return nil, fmt.Errorf("slack auth.test: %w", err)
	}

	a.Zones = zones.New(zones.Config{
		Store: a.Store, Slack: handlers.ZoneLookup{Slack: a.Slack},
		Policy: a.Policies.Current, Now: o.Clock.Now, Log: o.Log,
	})
	a.Handlers = &handlers.Handlers{
		Zones:       a.Zones,
		Slack:       a.Slack,
		Store:       a.Store,
		Policies:    a.Policies,
		Clock:       o.Clock,
		Log:         o.Log,
		Metrics:     a.Metrics,
		TeamID:      auth.TeamID,
		BotUserID:   auth.UserID,
		CommandName: "/empower",
	}
	a.Roster = roster.New(auth.TeamID, handlers.RosterGroups{H: a.Handlers}, o.Log)
	a.Handlers.Decisions = decisions.New(a.Policies, a.Store, handlers.DecisionNotifier{H: a.Handlers}, a.Roster, a.Handlers, o.Clock, o.Log)
	a.Handlers.Autonomy = autonomy.New(a.Policies, a.Store, handlers.AutonomyNotifier{H: a.Handlers}, a.Roster, o.Clock, o.Log)
	a.Handlers.Recognition = recognition.New(a.Store,
		handlers.RecognitionNotifier{H: a.Handlers}, handlers.RecognitionDirectory{H: a.Handlers}, o.Clock, o.Log,
		recognition.Config{BotUserID: auth.UserID, Policies: a.Policies, Streaks: a.Handlers.Autonomy})
	// A leader's last day away is a day in their own zone.
	a.Handlers.Away = away.New(a.Policies, a.Store, a.Handlers, o.Clock, a.Zones.Location)
	commitmentsSlack := handlers.NewCommitmentsSlack(a.Handlers)
	a.Handlers.Commitments = commitments.New(commitments.Config{
		Store:     a.Store,
		Notifier:  commitmentsSlack,
		Directory: commitmentsSlack,
		Clock:     o.Clock,
		Policies:  a.Policies,
		BotUserID: auth.UserID,
		Log:       o.Log,
		Zones:     a.Zones,
		Away:      a.Handlers,
	})
	// The feedback DMs go out through the jobs' paced fan-out.
	// A DM whose claim it takes over is looked for in the DM's history
	// before it is sent again (exactly one DM per run across crashes).
	fanout := &jobs.Fanout{Store: a.Store, Finder: a.Handlers, Metrics: a.Metrics, Log: o.Log, Now: o.Clock.Now}
	a.Handlers.Feedback = feedback.New(a.Store, handlers.FeedbackNotifier{H: a.Handlers},
		handlers.FeedbackDirectory{Slack: a.Slack}, fanout, o.Clock, o.Log, feedback.Config{
			Team:     auth.TeamID,
			Policies: a.Policies,
			Teams:    a.Handlers.Decisions,
			Away:     a.Handlers,
			Leaders:  a.Handlers.Commitments, // who may reply to an answer or commit to it
		})
	a.Insights = insights.New(insights.Config{
		Store:     a.Store,
		Approvers: a.Handlers.Decisions,
		Teams:     rosterTeams(a.Roster, o.Log),
		Notifier:  a.Handlers,
		Policies:  a.Policies,
		Team:      auth.TeamID,
		Now:       o.Clock.Now,
		Log:       o.Log,
	})
	a.Handlers.Insights = a.Insights
	a.home = a.Insights.Homes()
	a.Handlers.Home = a.home
	router, err := bot.Routes(a.Handlers)
	if err != nil {
		a.Close()
		return nil, err
	}
	if o.ExtraRoutes != nil {
		o.ExtraRoutes(router, a.Handlers)
	}
	a.Bot = bot.New(bot.Config{
		Client:        a.Slack,
		Router:        router,
		Dedupe:        a.Store,
		Metrics:       a.Metrics,
		Log:           o.Log,
		PingInterval:  o.PingInterval,
		AckBudget:     o.AckBudget,
		ShutdownGrace: o.ShutdownGrace,
		MaxInFlight:   o.MaxInFlight,
		AfterWorkers:  o.AfterWorkers,
		AfterQueue:    o.AfterQueue,
	})
	a.Jobs = jobs.New(jobs.Config{
		Location: o.Policy.Location,
		Team:     auth.TeamID,
		Claimer:  a.Store,
		Metrics:  a.Metrics,
		Log:      o.Log,
		Grace:    o.CatchUpGrace,
		Now:      o.Clock.Now,
		Zones:    a.Zones,
	})
	if err := jobs.Register(a.Jobs, jobs.Deps{
		Decisions: a.Handlers.Decisions, Recognition: a.Handlers.Recognition, Feedback: a.Handlers.Feedback, Insights: a.Insights,
		Commitments: a.Handlers.Commitments, Team: auth.TeamID,
		Schedules: o.Policy.Schedules, Metrics: a.Metrics,
	}); err != nil {
		a.Close()
		return nil, err
	}
	if o.HTTPAddr != "" {
		a.http, err = ops.New(o.HTTPAddr, a.Metrics.Registry, map[string]ops.Check{
			"slack": func(context.Context) error {
				if !a.Bot.Connected() {
					return errors.New("socket mode not connected")
				}
				return nil
			},
			// The team's slot answers a write: on a Cluster, a keyless
			// PING would answer while the team's master is down.
			"redis": func(ctx context.Context) error { return a.Store.CheckWrite(ctx, auth.TeamID, a.replica) },
		}, o.Pprof)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("listen on HTTP_ADDR %s: %w", o.HTTPAddr, err)
		}
	}
	return a, nil
}

// HTTPAddr is the operator endpoint's address ("" when disabled).
func (a *App) HTTPAddr() string {
	if a.http == nil {
		return ""
	}
	return a.http.Addr()
}

// Run runs the bot, the jobs and the HTTP endpoints until ctx ends or one of
// them fails, then shuts everything down in order:
//
//  1. the socket stops taking envelopes and the HTTP endpoints stop;
//     handlers in flight get ShutdownGrace, then are cancelled;
//  2. App Home refreshes the handlers started get ShutdownGrace to finish;
//  3. the scheduler stops and its running jobs finish (they are told to
//     stop, and give their leases back);
//  4. no more App Home refreshes start; the running ones (started by jobs)
//     get ShutdownGrace, then are cancelled;
//  5. Redis is closed, and the idle connections to Slack.
//
// Every goroutine the app starts is awaited: when Run returns, nothing it
// started is still running. Run must be called at most once.
func (a *App) Run(ctx context.Context) error {
	a.ran = true
	defer a.Close()
	// The bot and the HTTP endpoints stop when ctx ends or one of them (or
	// the scheduler) fails; the scheduler has its own context, ended in
	// step 3 only.
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	var jobsErr error
	var jobsWG sync.WaitGroup
	jobsWG.Go(func() {
		jobsErr = a.Jobs.Run(jobsCtx)
		stopServing()
	})

	// Resolve the policy's user groups before taking envelopes, so that
	// the first decision finds its team without asking Slack; a Slack too
	// slow for that leaves the rest to the roster's background refresh.
	rctx, cancel := context.WithTimeout(serveCtx, rosterWarmUp)
	if err := a.Roster.Resolve(rctx, a.Policies.Current()); err != nil {
		a.log.Warn("could not resolve every user group of the policy yet", "error", err.Error())
	}
	cancel()
	g, gctx := errgroup.WithContext(serveCtx)
	g.Go(func() error { a.Roster.Run(gctx, a.Policies.Current, a.opts.RosterRefresh); return nil })
	g.Go(func() error { return a.Bot.Run(gctx) })
	if a.http != nil {
		g.Go(func() error { return a.http.Serve(gctx) })
	}
	g.Go(func() error { a.watchPolicy(gctx); return nil })
	g.Go(func() error { a.keepRetention(gctx); return nil })
	if a.opts.CheckWorkspace {
		g.Go(func() error { a.checkWorkspace(gctx); return nil })
	}
	bi := buildinfo.Get()
	a.log.Info("empowerbot running", "version", bi.Version, "commit", bi.ShortCommit(), "go", bi.GoVersion,
		"replica", a.replica, "team", a.Handlers.TeamID, "http", a.HTTPAddr(), "policy", Summary(a.Policies.Current()))
	err := g.Wait() // 1
	a.log.Info("empowerbot stopping")

	wctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownGrace)
	if werr := a.home.Wait(wctx); werr != nil { // 2
		a.log.Warn("shutdown grace over with App Home refreshes still running", "grace", a.opts.ShutdownGrace)
	}
	cancel()

	stopJobs() // 3
	jobsWG.Wait()

	cctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownGrace)
	a.home.Close(cctx) // 4
	cancel()
	a.log.Info("empowerbot stopped")
	if jobsErr != nil {
		err = errors.Join(err, fmt.Errorf("scheduler: %w", jobsErr))
	}
	return err
}

// Close releases what New opened: the Redis client when New made it, the
// HTTP listener when Run was not called, and the idle connections to Slack.
// Run calls it when it returns.
func (a *App) Close() {
	if a.http != nil && !a.ran {
		_ = a.http.Close()
	}
	if a.ownRedis && a.Redis != nil {
		_ = a.Redis.Close()
		a.ownRedis = false
	}
	if a.slackTr != nil {
		a.slackTr.CloseIdleConnections()
	}
}

// rosterTeams gives the insights service the roster's views of the policy's
// teams; a view missing some user groups is used as it is (they count as
// empty until listed), with a warning.
func rosterTeams(r *roster.Roster, log *slog.Logger) insights.Teams {
	return insights.TeamsFunc(func(ctx context.Context, p *domain.Policy) (insights.TeamView, error) {
		v, err := r.View(ctx, p)
		if v == nil {
			return nil, err
		}
		if err != nil {
			log.Warn("team figures without some user groups", "error", err.Error())
		}
		return v, nil
	})
}
