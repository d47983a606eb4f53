package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/empowerbot/empowerbot/slackemu"
)

type mode int

const (
	openMode   mode = iota // -rate for -duration
	closedMode             // -inflight for -duration
	soakMode               // -rate for -soak, RSS and goroutines at start and end
)

// sendFunc sends the i-th command of a phase and returns its ack latency.
// k is what answers: the bot's answers are checked, and the store floor's
// confirmations; the bare floor's empty acks are not.
type sendFunc func(ctx context.Context, e *env, i int, k kind) (time.Duration, error)

// scenario is one kind of load.
type scenario struct {
	name string
	what string
	mode mode
	// prepare, when set, runs on the bot before warm-up (not measured), for
	// n commands.
	prepare func(ctx context.Context, e *env, n int) error
	send    sendFunc
}

var scenarios = map[string]*scenario{
	"inside": {name: "inside", what: "inside-the-box decision (`/empower discount 250 for ACME`), stored and confirmed in the ack",
		mode: openMode, send: slash("discount 250 for ACME", "yours to make")},
	"above": {name: "above", what: "above-the-box decision (`discount 900`): stored, confirmed in the ack, card posted after it",
		mode: openMode, send: slash("discount 900 for ACME", "above your box")},
	"button": {name: "button", what: "a lead's Approve click on an escalation card",
		mode: openMode, prepare: prepareCards, send: clickApprove},
	"modal": {name: "modal", what: "the log-a-decision modal submitted (inside the box), answered in the ack",
		mode: openMode, send: submitLogModal},
	"closed": {name: "closed", what: "closed loop of inside-the-box decisions",
		mode: closedMode, send: slash("discount 250 for ACME", "yours to make")},
	"soak": {name: "soak", what: "soak of inside-the-box decisions",
		mode: soakMode, send: slash("discount 250 for ACME", "yours to make")},
}

// slash sends `/empower text` as Dave in #general; the bot's reply must
// contain want, the store floor's must say it logged the text.
func slash(text, want string) sendFunc {
	return func(ctx context.Context, e *env, _ int, k kind) (time.Duration, error) {
		res, err := e.emu.SlashCommand(ctx, dave, general, text)
		if err != nil {
			return 0, err
		}
		w := want
		if k == storeKind {
			w = "Logged: " + text
		}
		if k != floorKind && !strings.Contains(res.Text, w) {
			return res.Ack.Latency, fmt.Errorf("reply lacks %q: %.200q", w, res.Text)
		}
		return res.Ack.Latency, nil
	}
}

// prepareCards logs n above-the-box decisions through the bot and keeps
// their escalation cards for the clicks.
func prepareCards(ctx context.Context, e *env, n int) error {
	before := len(e.emu.Messages(escalations))
	send := slash("discount 900 for ACME", "above your box")
	if _, _, err := closedLoop(ctx, e, 32, 0, n, send, botKind); err != nil {
		return fmt.Errorf("log the decisions to approve: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		msgs := e.emu.Messages(escalations)
		if len(msgs)-before >= n {
			e.cards = msgs[before:]
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d escalation cards posted within a minute", len(msgs)-before, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clickApprove clicks Approve on the i-th card as Bob.
func clickApprove(ctx context.Context, e *env, i int, _ kind) (time.Duration, error) {
	if len(e.cards) == 0 {
		return 0, errors.New("no escalation card to click")
	}
	ack, err := e.emu.Click(ctx, bob, e.cards[i%len(e.cards)], "Approve")
	return ack.Latency, err
}

// logView is the log-a-decision modal as Slack sends it back on submit.
func logView(i int) map[string]any {
	input := func(block, action, typ string) map[string]any {
		return map[string]any{"type": "input", "block_id": block, "label": map[string]any{"type": "plain_text", "text": block},
			"element": map[string]any{"type": typ, "action_id": action}}
	}
	return map[string]any{
		"id": fmt.Sprintf("VLOAD%06d", i), "team_id": slackemu.DefaultTeamID, "type": "modal",
		"callback_id": "decision_log", "private_metadata": "", "hash": "1.load",
		"title":  map[string]any{"type": "plain_text", "text": "Log a decision"},
		"blocks": []any{input("activity", "activity", "static_select"), input("amount", "amount", "plain_text_input"), input("customer", "customer", "plain_text_input")},
		"state": map[string]any{"values": map[string]any{
			"activity": map[string]any{"activity": map[string]any{"type": "static_select",
				"selected_option": map[string]any{"value": "discount", "text": map[string]any{"type": "plain_text", "text": "discount"}}}},
			"amount":   map[string]any{"amount": map[string]any{"type": "plain_text_input", "value": "250"}},
			"customer": map[string]any{"customer": map[string]any{"type": "plain_text_input", "value": "ACME"}},
		}},
	}
}

// submitLogModal submits the log modal as Dave; the bot must answer with
// the updated modal.
func submitLogModal(ctx context.Context, e *env, i int, k kind) (time.Duration, error) {
	ack, err := e.emu.SendViewSubmission(ctx, dave, logView(i))
	if err != nil {
		return 0, err
	}
	if k == botKind && ack.ResponseAction != "update" {
		return ack.Latency, fmt.Errorf("modal answered %q %v, want update", ack.ResponseAction, ack.Errors)
	}
	return ack.Latency, nil
}

// result is one phase's figures.
type result struct {
	kind       kind
	lat        []time.Duration
	errs       int
	firstErr   string
	wall       time.Duration
	cpu        time.Duration
	hwm        int64
	hwmFromRun bool  // the peak was reset after warm-up
	rtts       int64 // Redis round trips
	cmds       int64 // top-level Redis commands (counted by the proxy; -1 without it)
	redisCPU   time.Duration
	cmdstats   map[string]int64
	grStart    int
	grEnd      int
	rssStart   int64
	rssEnd     int64
	// soak only: the bot sampled along the way, and once idle after it.
	samples    []sample
	sampleStep time.Duration
	settled    *sample
	load       string
	profiles   []string
}

// pool is r with the figures of a later round of the same scenario, next,
// added: latencies, counts and CPU summed, the peak the higher, the start
// r's, the end next's. A nil r pools to next.
func (r *result) pool(next *result) *result {
	if r == nil {
		return next
	}
	r.lat = append(r.lat, next.lat...)
	r.errs += next.errs
	if r.firstErr == "" {
		r.firstErr = next.firstErr
	}
	r.wall += next.wall
	r.cpu += next.cpu
	r.hwm = max(r.hwm, next.hwm)
	r.hwmFromRun = r.hwmFromRun && next.hwmFromRun
	r.rtts += next.rtts
	if r.cmds < 0 || next.cmds < 0 {
		r.cmds = -1
	} else {
		r.cmds += next.cmds
	}
	r.redisCPU += next.redisCPU
	for k, v := range next.cmdstats {
		r.cmdstats[k] += v
	}
	r.grEnd, r.rssEnd = next.grEnd, next.rssEnd
	r.samples, r.sampleStep, r.settled = next.samples, next.sampleStep, next.settled
	r.load = next.load
	for _, p := range next.profiles {
		if !slices.Contains(r.profiles, p) {
			r.profiles = append(r.profiles, p)
		}
	}
	return r
}

// sample is the bot's RSS and goroutines at one moment.
type sample struct {
	rss int64
	gr  int
}

// soakSamples is how many times the soak samples the bot along the way;
// settleAfter is how long the bot idles after the soak before its last
// sample: longer than its envelope workers wait for the next envelope
// (10s), so that what is left running is what a leak would be.
const (
	soakSamples = 10
	settleAfter = 12 * time.Second
)

// sampleBot samples t's RSS and goroutines every step until stop is
// closed, then sends what it saw.
func sampleBot(t *target, step time.Duration, stop <-chan struct{}, out chan<- []sample) {
	var got []sample
	tick := time.NewTicker(step)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			out <- got
			return
		case <-tick.C:
			got = append(got, sample{rss: readProc(t.pid()).rss, gr: goroutines(t.httpURL)})
		}
	}
}

// measure runs one scenario on the bot or a floor.
func (e *env) measure(ctx context.Context, sc *scenario, k kind) (*result, error) {
	bot := k == botKind
	t, err := e.start(ctx, k)
	if err != nil {
		return nil, err
	}
	defer e.stop(t)
	cfg := e.cfg
	dur := cfg.duration
	if sc.mode == soakMode {
		dur = cfg.soak
	}
	n := int(cfg.rate * dur.Seconds())
	if bot && sc.prepare != nil {
		e.logf("%s: preparing %d", sc.name, n+cfg.warmup)
		if err := sc.prepare(ctx, e, min(n+cfg.warmup, 20000)); err != nil {
			return nil, err
		}
	}
	e.logf("%s: warm-up", sc.name)
	for i := range cfg.warmup {
		if _, err := sc.send(ctx, e, i, k); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}

	r := &result{kind: k}
	var profWG sync.WaitGroup
	if bot && cfg.pprofDir != "" {
		secs := int(dur.Seconds() + 0.999)
		file := filepath.Join(cfg.pprofDir, sc.name+"-cpu.pprof")
		r.profiles = append(r.profiles, file)
		profWG.Add(1)
		go func() {
			defer profWG.Done()
			if err := fetch(t.httpURL+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), file); err != nil {
				e.logf("cpu profile: %v", err)
			}
		}()
	}
	p0 := readProc(t.pid())
	r.hwmFromRun = resetPeak(t.pid())
	rt0, c0 := e.proxy.counts()
	rs0, _ := e.redis.snapshot(ctx)
	if bot {
		r.grStart = goroutines(t.httpURL)
		r.rssStart = p0.rss
	}

	var stopSampling chan struct{}
	sampled := make(chan []sample, 1)
	if bot && sc.mode == soakMode {
		r.sampleStep = max(dur/soakSamples, 100*time.Millisecond)
		stopSampling = make(chan struct{})
		go sampleBot(t, r.sampleStep, stopSampling, sampled)
	}

	e.logf("%s: measuring", sc.name)
	switch sc.mode {
	case closedMode:
		r.lat, r.wall, err = closedLoop(ctx, e, cfg.inflight, dur, 0, sc.send, k)
	default:
		r.lat, r.wall, err = openLoop(ctx, e, cfg.rate, dur, sc.send, k)
	}
	var le *loadErrors
	if errors.As(err, &le) {
		r.errs, r.firstErr = le.n, le.first
	} else if err != nil {
		return nil, err
	}
	p1 := readProc(t.pid())
	rt1, c1 := e.proxy.counts()
	rs1, _ := e.redis.snapshot(ctx)
	r.cpu = p1.cpu - p0.cpu
	r.hwm = p1.hwm
	r.redisCPU = rs1.cpu - rs0.cpu
	if e.proxy != nil {
		r.rtts, r.cmds = rt1-rt0, c1-c0
	} else {
		// redis-server's read events, less the second snapshot's own.
		r.rtts, r.cmds = max(rs1.reads-rs0.reads-1, 0), -1
	}
	r.cmdstats = map[string]int64{}
	for k, v := range rs1.calls {
		if d := v - rs0.calls[k]; d > 0 && !strings.HasPrefix(k, "info") {
			r.cmdstats[k] = d
		}
	}
	if bot {
		r.grEnd = goroutines(t.httpURL)
		r.rssEnd = p1.rss
	}
	if stopSampling != nil {
		close(stopSampling)
		r.samples = <-sampled
		e.logf("%s: letting the bot idle for %s", sc.name, settleAfter)
		select {
		case <-ctx.Done():
		case <-time.After(settleAfter):
		}
		r.settled = &sample{rss: readProc(t.pid()).rss, gr: goroutines(t.httpURL)}
	}
	r.load = uptime()
	if bot && cfg.pprofDir != "" {
		profWG.Wait()
		file := filepath.Join(cfg.pprofDir, sc.name+"-allocs.pprof")
		if err := fetch(t.httpURL+"/debug/pprof/allocs", file); err != nil {
			e.logf("allocs profile: %v", err)
		} else {
			r.profiles = append(r.profiles, file)
		}
	}
	return r, nil
}

// loadErrors says how many commands failed.
type loadErrors struct {
	n     int
	first string
}

func (l *loadErrors) Error() string {
	return fmt.Sprintf("%d commands failed, first: %s", l.n, l.first)
}

// collector gathers latencies from many goroutines.
type collector struct {
	mu    sync.Mutex
	lat   []time.Duration
	errs  loadErrors
	last  time.Time
	start time.Time
}

func (c *collector) add(d time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = time.Now()
	if err != nil {
		if c.errs.n == 0 {
			c.errs.first = err.Error()
		}
		c.errs.n++
		return
	}
	c.lat = append(c.lat, d)
}

// done returns the latencies, the time from the first send to the last
// ack, and the failures.
func (c *collector) done() ([]time.Duration, time.Duration, error) {
	wall := c.last.Sub(c.start)
	if c.errs.n > 0 {
		return c.lat, wall, &c.errs
	}
	return c.lat, wall, nil
}

// openLoop sends at rate for dur, each command on its own goroutine, then
// waits for every ack (at most 30s more).
func openLoop(ctx context.Context, e *env, rate float64, dur time.Duration, send sendFunc, k kind) ([]time.Duration, time.Duration, error) {
	n := int(rate * dur.Seconds())
	c := &collector{lat: make([]time.Duration, 0, n), start: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, dur+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sent := 0
	for sent < n && ctx.Err() == nil {
		due := min(n, int(time.Since(c.start).Seconds()*rate)+1)
		for ; sent < due; sent++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				d, err := send(ctx, e, i, k)
				c.add(d, err)
			}(sent)
		}
		time.Sleep(500 * time.Microsecond)
	}
	wg.Wait()
	return c.done()
}

// closedLoop keeps inflight commands in flight for dur (or until count
// commands when count > 0).
func closedLoop(ctx context.Context, e *env, inflight int, dur time.Duration, count int, send sendFunc, k kind) ([]time.Duration, time.Duration, error) {
	c := &collector{start: time.Now()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if count > 0 && next >= count {
			return 0, false
		}
		if count == 0 && time.Since(c.start) >= dur {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var wg sync.WaitGroup
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i, ok := take()
				if !ok {
					return
				}
				d, err := send(ctx, e, i, k)
				c.add(d, err)
			}
		}()
	}
	wg.Wait()
	return c.done()
}

// fetch GETs url into file.
func fetch(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s %s", url, resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// goroutines reads go_goroutines from the bot's /metrics (-1 when it cannot).
func goroutines(base string) int {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}
