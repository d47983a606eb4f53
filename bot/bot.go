// Package bot is the Socket Mode runtime: it keeps the connection to Slack,
// acknowledges every envelope well within Slack's 3 seconds, hands the work
// to the handlers listed in router.go with a bounded number of envelopes in
// flight (when all are taken the socket is not read: back-pressure), runs
// the work left for after the acknowledgements on a few workers of their
// own, recovers panics, drops redelivered envelopes and logs one line per
// envelope.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/slackapi"
)

// Deduper remembers envelopes already handled. Dedupe reports whether id of
// this kind is seen for the first time.
type Deduper interface {
	Dedupe(ctx context.Context, team, kind, id string, ttl time.Duration) (bool, error)
	EnvelopeClaimer
}

// EnvelopeClaimer records a slash command "in progress" under a lease while
// a replica handles it and "done" with its reply once handled, so that a
// redelivery after a crash is handled again and a redelivery of a finished
// command gets the same reply (see store.ClaimEnvelope).
type EnvelopeClaimer interface {
	ClaimEnvelope(ctx context.Context, team, kind, id, token string, lease, ttl time.Duration) (first, finished bool, reply []byte, err error)
	RenewEnvelope(ctx context.Context, team, kind, id, token string, lease time.Duration) error
	FinishEnvelope(ctx context.Context, team, kind, id string, reply []byte, ttl time.Duration) error
	ReleaseEnvelope(ctx context.Context, team, kind, id, token string) error
}

// Config configures a Bot.
type Config struct {
	// Client is the Web API client, built with the app-level token.
	Client *slack.Client
	Router *Router
	Dedupe Deduper
	// Metrics must not be nil.
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// AckBudget is how long a slash command or modal handler may take before
	// the envelope is acknowledged without its answer (default 2s; Slack
	// allows 3s).
	AckBudget time.Duration
	// HandlerTimeout bounds one handler run (default 30s).
	HandlerTimeout time.Duration
	// MaxInFlight bounds the envelopes being handled at once (default 64):
	// while every slot is taken the bot reads nothing more from the socket,
	// so an overload waits in Slack (which redelivers an envelope left
	// unacknowledged) instead of in memory.
	MaxInFlight int
	// AfterWorkers is how many goroutines run the work handlers leave for
	// after their answer, such as posting an escalation card (default
	// twice GOMAXPROCS: that work waits on Slack and Redis half the time):
	// few, so that it never takes the CPU or the Redis connections from
	// the acknowledgements.
	AfterWorkers int
	// AfterQueue is how many pieces of that work may wait for a worker
	// (default 4096, at most about 20 MiB: five seconds of above-the-box
	// decisions at 1,000/s on 2 cores, which post about 800 cards/s). When
	// the queue is full, the envelope that leaves one waits for room,
	// holding its slot: the work is never dropped, and the back-pressure
	// reaches the socket.
	AfterQueue int
	// ShutdownGrace is how long Run waits for in-flight handlers after its
	// context ends (default 10s).
	ShutdownGrace time.Duration
	// DedupeTTL is how long envelopes are remembered (default 1h).
	DedupeTTL time.Duration
	// PingInterval is slack-go's dead-man interval (default: slack-go's 30s).
	PingInterval time.Duration
	// ClaimLease is how long a slash command stays "in progress" without
	// its handler renewing the claim (default 3s): a redelivery after the
	// handling replica died is handled again once it has passed.
	ClaimLease time.Duration
}

// Bot runs the Socket Mode connection. Create it with New.
type Bot struct {
	cfg       Config
	sm        *socketmode.Client
	connected atomic.Bool
	connects  atomic.Int64   // Socket Mode connections made
	slots     chan struct{}  // envelopes being handled (MaxInFlight)
	afterQ    chan afterJob  // work after the answers, for the AfterWorkers (AfterQueue)
	inflight  sync.WaitGroup // envelopes being handled and work after the answers not yet run
	idle      chan func()    // to a worker waiting for an envelope (spawn)
	quit      chan struct{}  // closed when Run ends: the idle workers end
	workers   sync.WaitGroup // the workers running
	// The metrics' children each envelope observes.
	ackLatency labelCache[prometheus.Observer]
	envelopes  labelCache[prometheus.Counter]
}

// New returns a Bot for cfg.
func New(cfg Config) *Bot {
	if cfg.AckBudget == 0 {
		cfg.AckBudget = 2 * time.Second
	}
	if cfg.HandlerTimeout == 0 {
		cfg.HandlerTimeout = 30 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.AfterWorkers <= 0 {
		cfg.AfterWorkers = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.AfterQueue <= 0 {
		cfg.AfterQueue = 4096
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.DedupeTTL == 0 {
		cfg.DedupeTTL = time.Hour
	}
	if cfg.ClaimLease == 0 {
		cfg.ClaimLease = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opts := []socketmode.Option{
		socketmode.OptionLog(slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug)),
	}
	if cfg.PingInterval > 0 {
		opts = append(opts, socketmode.OptionPingInterval(cfg.PingInterval))
	}
	return &Bot{
		cfg:   cfg,
		sm:    socketmode.New(cfg.Client, opts...),
		slots: make(chan struct{}, cfg.MaxInFlight),
		idle:  make(chan func()),
	}
}

// Connected reports whether the Socket Mode connection is up (for /readyz).
func (b *Bot) Connected() bool { return b.connected.Load() }

// ErrInvalidAuth is returned by Run when Slack refuses the tokens.
var ErrInvalidAuth = errors.New("slack refused the app-level token (invalid_auth): check SLACK_APP_TOKEN")

// Run connects and handles envelopes until ctx ends, then stops taking
// envelopes and waits up to ShutdownGrace for handlers in flight; handlers
// still running then are cancelled, and Run returns once they and the
// Socket Mode client have stopped, so nothing Run started outlives it. It
// returns nil after a clean shutdown, or the error that made the connection
// impossible (for example invalid_auth).
func (b *Bot) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Handlers outlive the shutdown signal (work in flight finishes) but not
	// the grace: work is the parent of every handler's context.
	work, kill := context.WithCancel(context.WithoutCancel(ctx))
	defer kill()
	runErr := make(chan error, 1)
	go func() { runErr <- b.sm.RunContext(runCtx) }()
	b.afterQ = make(chan afterJob, b.cfg.AfterQueue)
	var workers sync.WaitGroup
	for range b.cfg.AfterWorkers {
		workers.Go(func() {
			for j := range b.afterQ {
				b.runAfterJob(work, j)
			}
		})
	}
	b.quit = make(chan struct{})
	defer func() { close(b.quit); b.workers.Wait() }()

	var err error
	smDone := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case e := <-runErr:
			smDone = true
			if ctx.Err() == nil {
				err = fmt.Errorf("socket mode: %w", e)
				if slackapi.Classify(e) == slackapi.Auth {
					err = ErrInvalidAuth
				}
			}
			break loop
		case evt := <-b.sm.Events:
			if !b.onEvent(ctx, work, evt) {
				break loop
			}
		}
	}
	b.setConnected(false)
	cancel()
	if !smDone {
		<-runErr
	}
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.cfg.ShutdownGrace):
		b.cfg.Log.Warn("shutdown grace over with handlers still running: cancelling them", "grace", b.cfg.ShutdownGrace)
		kill()
		<-done
	}
	// Every envelope is handled and every piece of work after the answers
	// has run: no one sends to the queue any more.
	close(b.afterQ)
	workers.Wait()
	return err
}

// onEvent runs on the event loop: it never does I/O itself. An envelope
// waits there for a slot (see MaxInFlight), unless stop ends first: then
// it is left unacknowledged, for Slack to send again, and onEvent reports
// false.
func (b *Bot) onEvent(stop, ctx context.Context, evt socketmode.Event) bool {
	recv := time.Now()
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI,
		socketmode.EventTypeErrorBadMessage:
		if !b.takeSlot(stop) {
			return false
		}
	}
	switch evt.Type {
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect,
		socketmode.EventTypeConnected, socketmode.EventTypeHello:
		b.lifecycle(evt)
	case socketmode.EventTypeInvalidAuth:
		b.setConnected(false)
		b.cfg.Log.Error("slack refused the app-level token", "event", string(evt.Type))
	case socketmode.EventTypeSlashCommand:
		b.spawn(func() { b.onSlash(ctx, evt, recv) })
	case socketmode.EventTypeInteractive:
		b.spawn(func() { b.onInteractive(ctx, evt, recv) })
	case socketmode.EventTypeEventsAPI:
		b.spawn(func() { b.onEventsAPI(ctx, evt, recv) })
	case socketmode.EventTypeErrorBadMessage:
		b.spawn(func() { b.onBadMessage(ctx, evt, recv) })
	case socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeIncomingError:
		b.cfg.Log.Warn("socket mode error", "event", string(evt.Type), "error", fmt.Sprint(evt.Data))
	}
	return true
}

// takeSlot takes one of the MaxInFlight slots of envelopes being handled,
// waiting while all are taken (the socket is not read meanwhile); it
// reports false when stop ends first.
func (b *Bot) takeSlot(stop context.Context) bool {
	select {
	case b.slots <- struct{}{}:
		return true
	default:
	}
	b.cfg.Metrics.EnvelopeSlotWaits.Inc()
	select {
	case b.slots <- struct{}{}:
		return true
	case <-stop.Done():
		return false
	}
}

// lifecycle logs the Socket Mode connection's changes at info (errors at
// warn) and keeps the connection gauges.
func (b *Bot) lifecycle(evt socketmode.Event) {
	log := b.cfg.Log
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.setConnected(false)
		log.Info("socket mode connecting")
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		attrs := []any{"error", fmt.Sprint(evt.Data)}
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			attrs = []any{"error", fmt.Sprint(ce.ErrorObj), "attempt", ce.Attempt, "backoff", ce.Backoff.String()}
		}
		log.Warn("socket mode connection error", attrs...)
	case socketmode.EventTypeDisconnect:
		b.setConnected(false)
		log.Info("socket mode disconnected")
	case socketmode.EventTypeConnected:
		b.setConnected(true)
		if b.connects.Add(1) > 1 && b.cfg.Metrics != nil {
			b.cfg.Metrics.SocketReconnects.Inc()
		}
		log.Info("socket mode connected", "connection", b.connects.Load())
	case socketmode.EventTypeHello:
		b.setConnected(true)
		n := 0
		if evt.Request != nil {
			n = evt.Request.NumConnections
		}
		if b.cfg.Metrics != nil {
			b.cfg.Metrics.SocketConnections.Set(float64(n))
		}
		log.Info("socket mode hello", "num_connections", n)
	}
}

// setConnected records whether the socket is up, for /readyz and the gauge.
func (b *Bot) setConnected(up bool) {
	b.connected.Store(up)
	if b.cfg.Metrics != nil {
		v := 0.0
		if up {
			v = 1
		}
		b.cfg.Metrics.SocketConnected.Set(v)
	}
}

// spawn runs f, the handling of an envelope that took a slot, on a
// goroutine of its own, counted for the shutdown wait: an idle worker when
// there is one, else a new one; the slot is given back when f returns.
func (b *Bot) spawn(f func()) {
	b.inflight.Add(1)
	select {
	case b.idle <- f:
	default:
		b.workers.Add(1)
		go b.worker(f)
	}
}

// workerIdle is how long a worker waits for the next envelope before it
// ends.
const workerIdle = 10 * time.Second

// worker runs f, then the envelopes spawn hands it, until it has waited
// workerIdle for one or Run ends. An envelope's handling goes deep (the
// handler, the store, JSON, Redis): a fresh goroutine's stack grew and was
// copied several times for each one (7% of the bot's CPU under load); a
// worker's stack stays grown from one envelope to the next.
func (b *Bot) worker(f func()) {
	defer b.workers.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		<-b.slots // the envelope's slot
		b.inflight.Done()
		idle.Reset(workerIdle)
		select {
		case f = <-b.idle:
		case <-idle.C:
			return
		case <-b.quit:
			return
		}
	}
}

// ack sends the acknowledgement of one envelope, with payload when not nil.
func (b *Bot) ack(req *socketmode.Request, payload any, kind string, recv time.Time) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if !req.AcceptsResponsePayload {
		payload = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := b.sm.AckCtx(ctx, req.EnvelopeID, payload); err != nil && payload != nil {
		// Too large or otherwise refused: acknowledge at least.
		b.cfg.Log.Warn("ack with payload failed; sending bare ack", "envelope_id", req.EnvelopeID, "error", err.Error())
		_ = b.sm.AckCtx(ctx, req.EnvelopeID, nil)
	}
	b.ackLatency.of(b.cfg.Metrics.AckLatency, kind).Observe(time.Since(recv).Seconds())
}

// handlerCtx returns the context one handler runs in, under work (Run's
// context for handlers, which outlives the shutdown signal until the grace
// is over); it is bounded by HandlerTimeout.
func (b *Bot) handlerCtx(work context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(work, b.cfg.HandlerTimeout)
}

// guarded runs f, turning a panic into an error.
func (b *Bot) guarded(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return f()
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("handler panic: %v", p.value) }

// outcome classifies a handler error for logs and metrics.
func outcome(err error) string {
	var pe *panicError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &pe):
		return "panic"
	case domain.IsRefusal(err):
		return "refused"
	default:
		return "error"
	}
}

// logEnvelope writes the one log line of an envelope; it never logs text or tokens.
func (b *Bot) logEnvelope(kind string, req *socketmode.Request, team, user, route string, recv time.Time, ackAt time.Time, err error, dup bool) {
	res := outcome(err)
	if dup {
		res = "duplicate"
	}
	if b.cfg.Router != nil && b.cfg.Router.anonymous[route] {
		user = "" // anonymous feedback: the person is never logged
	}
	b.envelopes.of2(b.cfg.Metrics.Envelopes, kind, res).Inc()
	var pe *panicError
	isPanic := errors.As(err, &pe)
	level := slog.LevelInfo
	if isPanic || res == "error" {
		level = slog.LevelError
	}
	ctx := context.Background()
	if !b.cfg.Log.Enabled(ctx, level) {
		return
	}
	// Typed attributes in one slice: the line is written for every envelope.
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("type", kind), slog.String("team", team), slog.String("user", user), slog.String("route", route),
		slog.Float64("ack_ms", float64(ackAt.Sub(recv).Microseconds())/1000),
		slog.Float64("duration_ms", float64(time.Since(recv).Microseconds())/1000),
		slog.String("outcome", res),
	)
	if req != nil {
		attrs = append(attrs, slog.String("envelope_id", req.EnvelopeID), slog.Int("retry_attempt", req.RetryAttempt))
	}
	if err != nil {
		attrs = append(attrs, slog.String("code", string(domain.ErrorCode(err))))
	}
	switch {
	case isPanic:
		attrs = append(attrs, slog.String("error", pe.Error()), slog.String("stack", string(pe.stack)))
	case res == "error":
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	b.cfg.Log.LogAttrs(ctx, level, "envelope", attrs...)
}

// labelCache keeps the children of a metric vector of one or two labels
// by their values, looked up once: an envelope observes two.
type labelCache[T any] struct {
	mu sync.RWMutex
	m  map[[2]string]T
}

// of returns vec's child for the value of its one label, from the cache.
func (c *labelCache[T]) of(vec labeled[T], value string) T {
	return c.lookup(vec, [2]string{value}, 1)
}

// of2 returns vec's child for the values of its two labels, from the cache.
func (c *labelCache[T]) of2(vec labeled[T], a, b string) T {
	return c.lookup(vec, [2]string{a, b}, 2)
}

// labeled is a metric vector.
type labeled[T any] interface{ WithLabelValues(...string) T }

func (c *labelCache[T]) lookup(vec labeled[T], key [2]string, n int) T {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = vec.WithLabelValues(key[:n]...)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[[2]string]T)
	}
	c.m[key] = v
	c.mu.Unlock()
	return v
}

// firstTime asks the deduper, with a short timeout; when Redis cannot answer
// the envelope is handled (the handlers' own atomic state changes still
// prevent double effects).
func (b *Bot) firstTime(ctx context.Context, team, kind, id string) bool {
	if b.cfg.Dedupe == nil || id == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	first, err := b.cfg.Dedupe.Dedupe(ctx, team, kind, id, b.cfg.DedupeTTL)
	if err != nil {
		b.cfg.Metrics.RedisErrors.WithLabelValues("dedupe").Inc()
		return true
	}
	return first
}

type cmdResult struct {
	reply *handlers.Reply
	err   error
	dup   bool
	// replay is the reply recorded when the command was first handled
	// (a redelivery of a finished command), JSON of a slack.Msg.
	replay []byte
	// encoded is the reply's JSON when the handler's state change recorded
	// it already (domain.ClaimFinished).
	encoded []byte
}

// claim is an envelope's claim (see EnvelopeClaimer): a slash command's,
// a button click's or a modal submission's.
type claim struct {
	b           *Bot
	team, kind  string
	id          string
	token       string
	first, done bool
	reply       []byte
	held        bool // the claim is recorded in Redis
}

// claimEnvelope claims envelope id of kind ("slash", "action", "view"). It
// waits while another replica holds a live claim (it renews it while it
// handles the envelope) until that one finishes or its lease runs out (it
// died), so that a redelivery is handled once: again when the handling it
// repeats died before it finished, and answered with the recorded reply
// when it finished. When Redis cannot answer, the envelope is handled (the
// handlers' state changes are idempotent: they derive their IDs from the
// request key and recognise their own earlier change).
func (b *Bot) claimEnvelope(ctx context.Context, team, kind, id string) claim {
	c := claim{b: b, team: team, kind: kind, id: id, token: newToken(), first: true}
	if b.cfg.Dedupe == nil || id == "" {
		return c
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		first, done, reply, err := b.cfg.Dedupe.ClaimEnvelope(cctx, team, kind, id, c.token, b.cfg.ClaimLease, b.cfg.DedupeTTL)
		cancel()
		switch {
		case err != nil:
			b.cfg.Metrics.RedisErrors.WithLabelValues("dedupe").Inc()
			return c
		case first:
			c.held = true
			return c
		case done:
			c.first, c.done, c.reply = false, true, reply
			return c
		}
		select {
		case <-ctx.Done():
			c.first = false
			return c
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// claimInHandler runs h for slash command key with the claim of its
// envelope handed to the handler's first state change (a decision's
// script, domain.EnvelopeClaim), so that the dedupe costs no round trip of
// its own. While another replica holds a live claim it waits and runs h
// again, like claimEnvelope; when the command was handled it returns the
// recorded reply (claim.first false). A handler that changes nothing (a
// refusal) takes no claim: a redelivery gets the same refusal.
func (b *Bot) claimInHandler(ctx context.Context, c *handlers.Command, key string, h handlers.CommandFunc) (claim, *handlers.Reply, error) {
	cl := claim{b: b, team: c.TeamID, kind: "slash", id: key, token: newToken(), first: true}
	for {
		ec := &domain.EnvelopeClaim{Team: c.TeamID, Kind: "slash", ID: key, Token: cl.token,
			Lease: b.cfg.ClaimLease, TTL: b.cfg.DedupeTTL}
		hctx := domain.WithEnvelopeClaim(domain.WithRequestKey(ctx, "slash:"+key), ec)
		r, err := h(hctx, c)
		switch ec.Outcome {
		case domain.Claimed:
			cl.held = true
			return cl, r, err
		case domain.ClaimFinished:
			// Recorded handled with its answer in the same step.
			cl.reply = ec.Reply
			return cl, r, err
		case domain.ClaimDone:
			cl.first, cl.done, cl.reply = false, true, ec.Reply
			return cl, nil, nil
		case domain.ClaimBusy:
			select {
			case <-ctx.Done():
				cl.first = false
				return cl, nil, nil
			case <-time.After(50 * time.Millisecond):
			}
		default:
			return cl, r, err
		}
	}
}

// keepAlive renews the claim's lease until the returned stop is called.
func (c *claim) keepAlive(ctx context.Context) (stop func()) {
	if !c.held {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(c.b.cfg.ClaimLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				if err := c.b.cfg.Dedupe.RenewEnvelope(rctx, c.team, c.kind, c.id, c.token, c.b.cfg.ClaimLease); err != nil {
					c.b.cfg.Log.Warn("could not renew an envelope claim", "id", c.id, "error", err.Error())
				}
				cancel()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// finish records the envelope handled with reply (what a redelivery is
// answered with), or, when its handling failed (failure not nil), drops
// the claim so that a redelivery handles it again.
func (c *claim) finish(ctx context.Context, reply []byte, failure error) {
	if !c.held {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	var err error
	if failure != nil {
		err = c.b.cfg.Dedupe.ReleaseEnvelope(ctx, c.team, c.kind, c.id, c.token)
	} else {
		err = c.b.cfg.Dedupe.FinishEnvelope(ctx, c.team, c.kind, c.id, reply, c.b.cfg.DedupeTTL)
	}
	if err != nil {
		c.b.cfg.Metrics.RedisErrors.WithLabelValues("dedupe").Inc()
		c.b.cfg.Log.Warn("could not record an envelope handled", "kind", c.kind, "id", c.id, "error", err.Error())
	}
}

// newToken returns a random claim token.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (b *Bot) onSlash(ctx context.Context, evt socketmode.Event, recv time.Time) {
	const kind = "slash_commands"
	sc, _ := evt.Data.(slack.SlashCommand)
	c := handlers.NewCommand(sc)
	h, route := b.cfg.Router.command(c)
	hctx, cancel := b.handlerCtx(ctx)
	defer cancel()
	hctx, after := domain.WithAfterReply(hctx)

	// The handler runs on this goroutine; when it takes longer than the
	// budget, the timer acknowledges the envelope bare, and the answer goes
	// to the response_url.
	var late time.Time // when the timer acknowledged; read once it is done
	lateDone := make(chan struct{})
	timer := time.AfterFunc(b.cfg.AckBudget-time.Since(recv), func() {
		defer close(lateDone)
		late = time.Now()
		b.ack(evt.Request, nil, kind, recv)
	})

	var res cmdResult
	key := firstNonEmpty(c.TriggerID, evt.Request.EnvelopeID)
	var cl claim
	res.err = b.guarded(func() error {
		if route == routeDecision && h != nil && b.cfg.Dedupe != nil && key != "" {
			// The decision's script claims the envelope itself: one
			// Redis round trip for both (see claimInHandler).
			var err error
			cl, res.reply, err = b.claimInHandler(hctx, c, key, h)
			if !cl.first {
				res.dup, res.replay = true, cl.reply
				return nil
			}
			res.encoded = cl.reply // the answer recorded with the decision
			return err
		}
		cl = b.claimEnvelope(hctx, c.TeamID, "slash", key)
		if !cl.first {
			res.dup, res.replay = true, cl.reply
			return nil
		}
		if h == nil {
			return domain.Invalidf("%s", command.Usage())
		}
		stop := cl.keepAlive(hctx)
		defer stop()
		r, err := h(domain.WithRequestKey(hctx, "slash:"+key), c)
		res.reply = r
		return err
	})
	payload := b.slashJSON(&res)

	if timer.Stop() {
		ackAt := time.Now()
		var p any
		if payload != nil {
			p = json.RawMessage(payload)
		}
		b.ack(evt.Request, p, kind, recv)
		b.logEnvelope(kind, evt.Request, c.TeamID, c.UserID, route, recv, ackAt, res.err, res.dup)
	} else {
		<-lateDone
		if payload != nil && c.ResponseURL != "" {
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			err := postResponse(rctx, c.ResponseURL, payload)
			rcancel()
			if err != nil {
				b.cfg.Log.Warn("response_url post failed", "envelope_id", evt.Request.EnvelopeID, "error", err.Error())
			}
		}
		b.logEnvelope(kind, evt.Request, c.TeamID, c.UserID, route, recv, late, res.err, res.dup)
	}
	// What the handler left for after its answer (an escalation card),
	// then the claim recorded done with the reply: neither delays the ack.
	var then func(context.Context)
	if cl.held { // not when the decision's script recorded it handled
		failure := res.err
		then = func(ctx context.Context) { cl.finish(ctx, payload, failure) }
	}
	b.afterAck(hctx, after, route, then)
}

// afterJob is the work an envelope's handler left for after its answer
// (after), and then what closes the envelope's handling (then: its claim
// recorded).
type afterJob struct {
	ctx   context.Context // the handler's values, not its end
	after *domain.AfterReply
	route string
	then  func(context.Context)
}

// afterAck runs, once the envelope is acknowledged, the work its handler
// left for after its answer (see domain.Later) and then then, on the
// AfterWorkers: the envelope's goroutine only queues it, waiting for room
// while the queue is full (back-pressure: it keeps its slot meanwhile), so
// the work is never dropped and never runs on more goroutines than the
// workers. With no such work, then runs at once on the envelope's goroutine.
func (b *Bot) afterAck(ctx context.Context, after *domain.AfterReply, route string, then func(context.Context)) {
	if after.Empty() {
		if then != nil {
			then(ctx)
		}
		return
	}
	j := afterJob{ctx: context.WithoutCancel(ctx), after: after, route: route, then: then}
	b.inflight.Add(1) // done by runAfterJob
	select {
	case b.afterQ <- j:
		return
	default:
	}
	b.cfg.Metrics.AfterReplyWaits.Inc()
	b.afterQ <- j
}

// runAfterJob runs j on a worker, with the handler's values and a timeout
// of its own (HandlerTimeout), cancelled when work ends (the shutdown
// grace is over); a panic is logged.
func (b *Bot) runAfterJob(work context.Context, j afterJob) {
	defer b.inflight.Done()
	ctx, cancel := context.WithTimeout(j.ctx, b.cfg.HandlerTimeout)
	defer cancel()
	stop := context.AfterFunc(work, cancel)
	defer stop()
	err := b.guarded(func() error {
		j.after.Run(ctx)
		return nil
	})
	var pe *panicError
	if errors.As(err, &pe) {
		b.cfg.Log.Error("work after the reply", "route", j.route, "error", pe.Error(), "stack", string(pe.stack))
	}
	if j.then != nil {
		j.then(ctx)
	}
}

// slashPayload turns a handler result into the message for the person.
func (b *Bot) slashPayload(res cmdResult) *slack.Msg {
	if res.dup {
		if len(res.replay) == 0 {
			return nil
		}
		var m slack.Msg
		if err := json.Unmarshal(res.replay, &m); err != nil {
			b.cfg.Log.Warn("could not read a recorded reply", "error", err.Error())
			return nil
		}
		return &m
	}
	r := res.reply
	if res.err != nil {
		r = handlers.ErrorReply(res.err)
	}
	if r == nil {
		return nil
	}
	m := r.Message()
	return &m
}

// slashJSON is slashPayload as JSON (nil for none), encoded once for the
// ack and the record of the answer: a recorded answer is sent as it is.
func (b *Bot) slashJSON(res *cmdResult) []byte {
	switch {
	case res.dup && len(res.replay) > 0 && json.Valid(res.replay):
		return res.replay
	case !res.dup && res.err == nil && len(res.encoded) > 0:
		return res.encoded
	}
	var out []byte
	var err error
	if res.dup {
		m := b.slashPayload(*res)
		if m == nil {
			return nil
		}
		out, err = json.Marshal(m)
	} else {
		r := res.reply
		if res.err != nil {
			r = handlers.ErrorReply(res.err)
		}
		if r == nil {
			return nil
		}
		out, err = r.Encode() // the bytes json.Marshal(r.Message()) writes
	}
	if err != nil {
		b.cfg.Log.Warn("could not encode a reply", "error", err.Error())
		return nil
	}
	return out
}

// postResponse posts msg, the JSON of a slack.Msg, to a response_url.
func postResponse(ctx context.Context, url string, msgJSON []byte) error {
	var msg slack.Msg
	if err := json.Unmarshal(msgJSON, &msg); err != nil {
		return fmt.Errorf("read the reply: %w", err)
	}
	wm := &slack.WebhookMessage{Text: msg.Text, ResponseType: msg.ResponseType}
	if len(msg.Blocks.BlockSet) > 0 {
		wm.Blocks = &msg.Blocks
	}
	return slack.PostWebhookContext(ctx, url, wm)
}

func (b *Bot) onInteractive(ctx context.Context, evt socketmode.Event, recv time.Time) {
	const kind = "interactive"
	cb, _ := evt.Data.(slack.InteractionCallback)
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		b.onActions(ctx, evt, &cb, recv)
	case slack.InteractionTypeViewSubmission:
		b.onSubmission(ctx, evt, &cb, recv)
	default:
		ackAt := time.Now()
		b.ack(evt.Request, nil, kind, recv)
		b.logEnvelope(kind, evt.Request, cb.Team.ID, cb.User.ID, string(cb.Type), recv, ackAt, nil, false)
	}
}

// interactiveKey is the identity of an interactive envelope across its
// redeliveries: its trigger_id.
func interactiveKey(evt socketmode.Event, cb *slack.InteractionCallback) string {
	return firstNonEmpty(cb.TriggerID, evt.Request.EnvelopeID)
}

// onActions handles the clicks of a block_actions envelope like a slash
// command: each under the claim of its envelope ("action", the trigger and
// the action ID), so that a redelivery after a crash is handled again and
// one of a finished click changes nothing; the envelope is acknowledged
// once the handlers answered, or at the ack budget. The person is told of
// an error after the ack.
func (b *Bot) onActions(ctx context.Context, evt socketmode.Event, cb *slack.InteractionCallback, recv time.Time) {
	const kind = "interactive"
	type actResult struct {
		route string
		err   error
		dup   bool
	}
	done := make(chan actResult, 1)
	acked := make(chan struct{})    // closed once the envelope is acknowledged
	finished := make(chan struct{}) // closed when the handlers' goroutine ends
	defer func() { <-finished }()
	go func() {
		defer close(finished)
		hctx, cancel := b.handlerCtx(ctx)
		defer cancel()
		hctx, after := domain.WithAfterReply(hctx)
		var res actResult
		type failed struct {
			a   *handlers.Action
			err error
		}
		var claims []claim
		var fails []failed
		for _, ba := range cb.ActionCallback.BlockActions {
			a := newAction(cb, ba)
			res.route = a.ActionID
			h := b.cfg.Router.actions[a.ActionID]
			if h == nil {
				continue
			}
			key := interactiveKey(evt, cb) + ":" + a.ActionID
			var cl claim
			err := b.guarded(func() error {
				cl = b.claimEnvelope(hctx, a.TeamID, "action", key)
				if !cl.first {
					return errDuplicate
				}
				stop := cl.keepAlive(hctx)
				defer stop()
				return h(domain.WithRequestKey(hctx, "action:"+key), a)
			})
			if errors.Is(err, errDuplicate) {
				res.dup = true
				continue
			}
			claims = append(claims, cl)
			if err != nil {
				fails = append(fails, failed{a, err})
				if res.err == nil {
					res.err = err
				}
			}
		}
		done <- res
		<-acked
		for _, f := range fails {
			b.tellActionError(hctx, f.a, f.err)
		}
		b.afterAck(hctx, after, res.route, func(ctx context.Context) {
			for i := range claims {
				claims[i].finish(ctx, nil, res.err)
			}
		})
	}()
	timer := time.NewTimer(b.cfg.AckBudget - time.Since(recv))
	defer timer.Stop()
	var res actResult
	var ackAt time.Time
	select {
	case res = <-done:
		ackAt = time.Now()
		b.ack(evt.Request, nil, kind, recv)
		close(acked)
	case <-timer.C:
		ackAt = time.Now()
		b.ack(evt.Request, nil, kind, recv)
		close(acked)
		res = <-done
	}
	b.logEnvelope(kind, evt.Request, cb.Team.ID, cb.User.ID, res.route, recv, ackAt, res.err, res.dup && res.err == nil)
}

// subResult is the outcome of a modal submission's handler.
type subResult struct {
	resp *slack.ViewSubmissionResponse
	err  error
	dup  bool
	// replay is the answer recorded when the submission was first handled
	// (a redelivery of a finished one), JSON of its ack payload.
	replay []byte
}

// onSubmission handles a view_submission envelope like a slash command:
// under the claim of its envelope ("view", its trigger), so that a
// redelivery after a crash is handled again and one of a finished
// submission gets the same answer (the same errors or view, or a bare ack
// that closes the modal).
func (b *Bot) onSubmission(ctx context.Context, evt socketmode.Event, cb *slack.InteractionCallback, recv time.Time) {
	const kind = "interactive"
	s := &handlers.Submission{
		TeamID: cb.Team.ID, UserID: cb.User.ID, CallbackID: cb.View.CallbackID, ViewID: cb.View.ID,
		PrivateMetadata: cb.View.PrivateMetadata, TriggerID: cb.TriggerID, Callback: cb,
	}
	if cb.View.State != nil {
		s.Values = cb.View.State.Values
	}
	h := b.cfg.Router.views[s.CallbackID]
	done := make(chan subResult, 1)
	acked := make(chan struct{})    // closed once the envelope is acknowledged
	finished := make(chan struct{}) // closed when the handler's goroutine ends
	defer func() { <-finished }()
	go func() {
		defer close(finished)
		hctx, cancel := b.handlerCtx(ctx)
		defer cancel()
		hctx, after := domain.WithAfterReply(hctx)
		var res subResult
		var cl claim
		key := interactiveKey(evt, cb)
		res.err = b.guarded(func() error {
			if h == nil {
				return nil
			}
			cl = b.claimEnvelope(hctx, s.TeamID, "view", key)
			if !cl.first {
				res.dup, res.replay = true, cl.reply
				return nil
			}
			stop := cl.keepAlive(hctx)
			defer stop()
			r, err := h(domain.WithRequestKey(hctx, "view:"+key), s)
			res.resp = r
			return err
		})
		done <- res
		<-acked
		var reply []byte
		if p := submissionPayload(cb.View, res); p != nil {
			reply, _ = json.Marshal(p)
		}
		b.afterAck(hctx, after, s.CallbackID, func(ctx context.Context) { cl.finish(ctx, reply, res.err) })
	}()
	timer := time.NewTimer(b.cfg.AckBudget - time.Since(recv))
	defer timer.Stop()
	select {
	case res := <-done:
		ackAt := time.Now()
		b.ack(evt.Request, submissionPayload(cb.View, res), kind, recv)
		close(acked)
		b.logEnvelope(kind, evt.Request, s.TeamID, s.UserID, s.CallbackID, recv, ackAt, res.err, res.dup)
	case <-timer.C:
		ackAt := time.Now()
		b.ack(evt.Request, nil, kind, recv)
		close(acked)
		res := <-done
		if res.err != nil && !b.cfg.Router.anonymous[s.CallbackID] {
			hctx, cancel := b.handlerCtx(ctx)
			b.tellUser(hctx, s.UserID, "", handlers.ErrorReply(res.err).Text)
			cancel()
		}
		b.logEnvelope(kind, evt.Request, s.TeamID, s.UserID, s.CallbackID, recv, ackAt, res.err, res.dup)
	}
}

// submissionPayload is the ack payload answering a submission of view
// with res: the recorded answer of a redelivery, the handler's response,
// or the error shown in the modal; nil for a bare ack.
func submissionPayload(view slack.View, res subResult) any {
	switch {
	case res.dup:
		if len(res.replay) == 0 {
			return nil
		}
		return json.RawMessage(res.replay)
	case res.err != nil:
		return errorView(view, res.err)
	case res.resp != nil:
		return res.resp
	}
	return nil
}

var errDuplicate = errors.New("duplicate envelope")

// errorView answers a failed submission: the modal stays open with the
// message on its first input block, or is replaced by a notice.
func errorView(v slack.View, err error) *slack.ViewSubmissionResponse {
	msg := handlers.ErrorReply(err).Text
	for _, blk := range v.Blocks.BlockSet {
		if in, ok := blk.(*slack.InputBlock); ok && in.BlockID != "" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{in.BlockID: msg})
		}
	}
	return slack.NewUpdateViewSubmissionResponse(&slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: slack.NewTextBlockObject(slack.PlainTextType, "empowerbot", false, false),
		Close: slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, msg, false, false), nil, nil),
		}},
	})
}

func newAction(cb *slack.InteractionCallback, ba *slack.BlockAction) *handlers.Action {
	a := &handlers.Action{
		TeamID: cb.Team.ID, UserID: cb.User.ID, ActionID: ba.ActionID, BlockID: ba.BlockID, Value: ba.Value,
		TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL, Container: cb.Container.Type, Callback: cb,
		ChannelID: firstNonEmpty(cb.Container.ChannelID, cb.Channel.ID), MessageTS: cb.Container.MessageTs,
	}
	if a.MessageTS == "" {
		a.MessageTS = cb.Message.Timestamp
	}
	if cb.View.ID != "" {
		a.ViewID = cb.View.ID
	}
	if a.Value == "" && ba.SelectedOption.Value != "" {
		a.Value = ba.SelectedOption.Value
	}
	return a
}

// tellActionError shows the person why their click did nothing.
func (b *Bot) tellActionError(ctx context.Context, a *handlers.Action, err error) {
	b.tellUser(ctx, a.UserID, a.ChannelID, handlers.ErrorReply(err).Text)
}

// tellUser posts an ephemeral message in channel, or a DM when there is none.
func (b *Bot) tellUser(ctx context.Context, user, channel, text string) {
	var err error
	if channel != "" {
		_, err = b.cfg.Client.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false))
	}
	if channel == "" || err != nil {
		p := slackapi.Poster{API: b.cfg.Client, Log: b.cfg.Log}
		_, _, err = p.Post(ctx, user, slackapi.Tag{}, slack.MsgOptionText(text, false))
	}
	if err != nil {
		b.cfg.Log.Warn("could not tell the user about an error", "user", user, "error", err.Error())
	}
}

func (b *Bot) onEventsAPI(ctx context.Context, evt socketmode.Event, recv time.Time) {
	const kind = "events_api"
	ackAt := time.Now()
	b.ack(evt.Request, nil, kind, recv)
	ev, _ := evt.Data.(slackevents.EventsAPIEvent)
	e := &handlers.Event{TeamID: ev.TeamID, Type: ev.InnerEvent.Type, Data: ev.InnerEvent.Data}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		e.EventID = cb.EventID
	}
	if msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok {
		e.UserID = msg.User
	}
	if home, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		e.UserID = home.User
	}
	if r, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent); ok {
		e.UserID = r.User
	}
	h := b.cfg.Router.events[e.Type]
	if h == nil {
		b.logEnvelope(kind, evt.Request, e.TeamID, e.UserID, e.Type, recv, ackAt, nil, false)
		return
	}
	hctx, cancel := b.handlerCtx(ctx)
	defer cancel()
	dup := false
	err := b.guarded(func() error {
		if !b.firstTime(hctx, e.TeamID, "event", firstNonEmpty(e.EventID, evt.Request.EnvelopeID)) {
			dup = true
			return nil
		}
		return h(hctx, e)
	})
	b.logEnvelope(kind, evt.Request, e.TeamID, e.UserID, e.Type, recv, ackAt, err, dup)
}

// onBadMessage acknowledges an envelope slack-go could not parse, so Slack
// stops redelivering it.
func (b *Bot) onBadMessage(_ context.Context, evt socketmode.Event, recv time.Time) {
	const kind = "bad_message"
	bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
	var env struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	if bad != nil {
		_ = json.Unmarshal(bad.Message, &env)
	}
	ackAt := time.Now()
	if env.EnvelopeID != "" {
		b.ack(&socketmode.Request{EnvelopeID: env.EnvelopeID}, nil, kind, recv)
	}
	b.envelopes.of2(b.cfg.Metrics.Envelopes, kind, "bad_message").Inc()
	b.cfg.Log.Warn("envelope", "type", kind, "envelope_id", env.EnvelopeID, "envelope_type", env.Type,
		"ack_ms", float64(ackAt.Sub(recv).Microseconds())/1000, "outcome", "bad_message")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
