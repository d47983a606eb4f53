// Package slackapi builds the slack-go Web API client the bot uses, with an
// HTTP transport that paces calls to Slack's rate-limit tiers, honours 429 +
// Retry-After for every method (pausing all calls to that method and retrying
// the call rather than dropping it) and counts every call in the metrics. It
// drops the copy of the message that chat.postMessage and chat.update
// answer with, which the bot never reads, before slack-go decodes it.
//
// It is also the one place that reads Slack's errors: Classify says whether
// a failed call is Retryable, Permanent for its target or an Auth failure of
// the bot's token (errors.go). It may import slack-go; the domain and the
// services must not import it.
package slackapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/metrics"
)

// Per-minute budgets of Slack's tiers (see slack_platform.md section 3).
const (
	tier1 = rate.Limit(1.0 / 60)
	tier2 = rate.Limit(20.0 / 60)
	tier3 = rate.Limit(50.0 / 60)
	tier4 = rate.Limit(100.0 / 60)
)

// DefaultLimits are the client-side paces per Web API method when pacing is
// on. Methods not listed use tier 3. chat.postMessage is Slack's "special"
// tier: about one message per second per channel with bursts allowed; the
// workspace-wide budget set here keeps fan-outs well under it.
func DefaultLimits() map[string]rate.Limit {
	return map[string]rate.Limit{
		"apps.connections.open":        tier1,
		"auth.test":                    tier4,
		"chat.postMessage":             rate.Limit(20),
		"chat.postEphemeral":           tier4,
		"chat.update":                  tier3,
		"chat.delete":                  tier3,
		"conversations.open":           tier3,
		"conversations.info":           tier3,
		"views.open":                   tier4,
		"views.update":                 tier4,
		"views.push":                   tier4,
		"views.publish":                tier4,
		"users.info":                   tier4,
		"users.list":                   tier2,
		"usergroups.users.list":        tier2,
		"usergroups.list":              tier2,
		"files.getUploadURLExternal":   tier4,
		"files.completeUploadExternal": tier4,
		"chat.getPermalink":            tier4,
		"upload":                       rate.Inf,
		"hooks.response_url":           rate.Inf,
		"conversations.members":        tier4,
	}
}

// Transport is an http.RoundTripper for Slack's Web API. It is safe for
// concurrent use.
type Transport struct {
	base       http.RoundTripper
	metrics    *metrics.Metrics
	pacing     bool
	limits     map[string]rate.Limit
	maxRetries int

	// Idempotent calls (chat.update, views.publish, views.update) are
	// tried up to tries times on a 5xx, a network error or a timeout of
	// one attempt (attemptTimeout), backing off from backoff.
	tries          int
	attemptTimeout time.Duration
	backoff        time.Duration

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // guarded by mu
	paused   map[string]time.Time     // method -> no calls before; guarded by mu
}

// Options configures a Transport.
type Options struct {
	// Base is the underlying transport; nil means a clone of
	// http.DefaultTransport with more idle connections per host.
	Base http.RoundTripper
	// Metrics receives one count per call; nil disables counting.
	Metrics *metrics.Metrics
	// Pacing turns client-side pacing to the tiers on (SLACK_PACING=tiers).
	Pacing bool
	// Limits overrides DefaultLimits per method.
	Limits map[string]rate.Limit
	// MaxRetries bounds the retries of one call after 429s (default 8).
	MaxRetries int
	// Tries bounds the attempts of an idempotent call (IdempotentMethods)
	// on a 5xx, a network error or a timeout (default 3).
	Tries int
	// AttemptTimeout bounds one attempt of an idempotent call (default 5s).
	AttemptTimeout time.Duration
	// Backoff is the wait before the second attempt; it doubles after
	// (default 200ms).
	Backoff time.Duration
}

// IdempotentMethods are the Web API methods whose call may be repeated with
// the same effect (they set a message or a view to given content, or only
// read; conversations.open answers the same DM channel every time): the
// transport retries them on 5xx answers and timeouts. Posting methods
// (chat.postMessage, chat.postEphemeral, views.open, ...) are never retried
// on those: the first call may have posted.
var IdempotentMethods = map[string]bool{
	"chat.update":           true,
	"views.publish":         true,
	"views.update":          true,
	"conversations.open":    true,
	"conversations.info":    true,
	"conversations.history": true,
	"chat.getPermalink":     true,
	"users.info":            true,
	"users.list":            true,
	"usergroups.list":       true,
	"usergroups.users.list": true,
	"auth.test":             true,
}

// NewTransport returns a Transport with o's settings.
func NewTransport(o Options) *Transport {
	limits := DefaultLimits()
	for m, l := range o.Limits {
		limits[m] = l
	}
	if o.Base == nil {
		// Fan-outs send many calls to one host at once: keep enough idle
		// connections for them (Go's default keeps 2 per host).
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.MaxIdleConns = 256
		base.MaxIdleConnsPerHost = 64
		o.Base = base
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 8
	}
	if o.Tries == 0 {
		o.Tries = 3
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = 5 * time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 200 * time.Millisecond
	}
	return &Transport{
		base:           o.Base,
		metrics:        o.Metrics,
		pacing:         o.Pacing,
		limits:         limits,
		maxRetries:     o.MaxRetries,
		tries:          o.Tries,
		attemptTimeout: o.AttemptTimeout,
		backoff:        o.Backoff,
		limiters:       make(map[string]*rate.Limiter),
		paused:         make(map[string]time.Time),
	}
}

// CloseIdleConnections closes the kept-alive connections of the base
// transport, and so their goroutines (the process calls it on shutdown).
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// MethodOf names the Web API method of a request URL: the last path element
// ("chat.postMessage"); URLs that are not API methods (file uploads,
// response_url) get a stable pseudo name.
func MethodOf(u string) string {
	m := path.Base(u)
	if i := bytes.IndexByte([]byte(m), '?'); i >= 0 {
		m = m[:i]
	}
	switch {
	case bytes.Contains([]byte(u), []byte("/upload/")):
		return "upload"
	case bytes.Contains([]byte(u), []byte("/response/")), bytes.Contains([]byte(u), []byte("hooks.slack.com")):
		return "hooks.response_url"
	}
	return m
}

func (t *Transport) limiter(method string) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.limiters[method]
	if !ok {
		lim, ok := t.limits[method]
		if !ok {
			lim = tier3
		}
		burst := int(math.Max(1, math.Min(float64(lim), 20)))
		l = rate.NewLimiter(lim, burst)
		t.limiters[method] = l
	}
	return l
}

// pause makes every call to method wait until until.
func (t *Transport) pause(method string, until time.Time) {
	t.mu.Lock()
	if until.After(t.paused[method]) {
		t.paused[method] = until
	}
	t.mu.Unlock()
}

func (t *Transport) waitPause(ctx context.Context, method string) error {
	for {
		t.mu.Lock()
		until := t.paused[method]
		t.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// RoundTrip sends req, waiting for the method's pace and any 429 pause, and
// retries after a 429 once its Retry-After has passed; an idempotent call
// (IdempotentMethods) is also retried, a bounded number of times with
// back-off, after a 5xx, a network error or a timeout.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	method := MethodOf(req.URL.String())
	idem := IdempotentMethods[method]
	failures := 0 // 5xx, network errors and timeouts so far
	for attempt := 0; ; attempt++ {
		waitStart := time.Now()
		if err := t.waitPause(ctx, method); err != nil {
			return nil, err
		}
		if t.pacing {
			if err := t.limiter(method).Wait(ctx); err != nil {
				return nil, fmt.Errorf("slack pacing %s: %w", method, err)
			}
		}
		if t.metrics != nil {
			t.metrics.SlackPacerWait.WithLabelValues(method).Observe(time.Since(waitStart).Seconds())
		}
		r := req
		if attempt > 0 {
			if req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
				return nil, fmt.Errorf("slack %s: cannot retry a request whose body cannot be replayed", method)
			}
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("slack %s: replay body: %w", method, err)
				}
				r.Body = body
			}
		}
		var resp *http.Response
		var err error
		sent := time.Now()
		if idem {
			resp, err = t.attempt(r)
		} else {
			resp, err = t.base.RoundTrip(r)
		}
		if t.metrics != nil {
			t.metrics.SlackLatency.WithLabelValues(method).Observe(time.Since(sent).Seconds())
		}
		transient := err != nil || resp.StatusCode >= 500
		if transient && idem && ctx.Err() == nil && failures+1 < t.tries {
			failures++
			if err != nil {
				t.count(method, "http_error")
			} else {
				t.count(method, "http_"+strconv.Itoa(resp.StatusCode))
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				_ = resp.Body.Close()
			}
			if err := sleepCtx(ctx, t.backoff<<(failures-1)); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			t.count(method, "http_error")
			return nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := retryAfter(resp.Header.Get("Retry-After"))
			t.count(method, "rate_limited")
			t.pause(method, time.Now().Add(wait))
			if attempt >= t.maxRetries {
				return resp, nil // slack-go turns it into *slack.RateLimitedError
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			_ = resp.Body.Close()
			continue
		}
		t.inspect(method, resp)
		return resp, nil
	}
}

// attempt sends one attempt of an idempotent call under attemptTimeout,
// with its body read, so that a slow answer is retried rather than waited
// for until the whole call times out.
func (t *Transport) attempt(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), t.attemptTimeout)
	defer cancel()
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	body, err := readBody(resp)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// maxAnswer bounds what is read of one answer.
const maxAnswer = 8 << 20

// readBody reads resp's body, at most maxAnswer bytes, into a buffer sized
// from Content-Length when Slack gives it (io.ReadAll would grow one from
// 512 bytes, copying a card's echo five times).
func readBody(resp *http.Response) ([]byte, error) {
	r := io.LimitReader(resp.Body, maxAnswer)
	n := resp.ContentLength
	if n <= 0 || n >= maxAnswer {
		return io.ReadAll(r)
	}
	buf := make([]byte, n)
	if k, err := io.ReadFull(r, buf); err != nil {
		return buf[:k], err
	}
	// net/http stops at Content-Length; another transport might not.
	var more [1]byte
	if k, _ := r.Read(more[:]); k == 0 {
		return buf, nil
	}
	rest, err := io.ReadAll(r)
	return append(append(buf, more[0]), rest...), err
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func retryAfter(h string) time.Duration {
	secs, err := strconv.ParseFloat(h, 64)
	if err != nil || secs < 0 {
		return time.Second
	}
	return time.Duration(secs * float64(time.Second))
}

func (t *Transport) count(method, result string) {
	if t.metrics != nil {
		t.metrics.SlackCalls.WithLabelValues(method, result).Inc()
	}
}

// echoesMessage lists the methods whose answer repeats the whole message
// that was sent ("message": text, blocks, attachments). slack-go decodes it
// block by block, which was more than half of the CPU of posting a card,
// and the bot never reads it: it needs channel and ts.
var echoesMessage = map[string]bool{
	"chat.postMessage": true,
	"chat.update":      true,
}

// inspect reads resp's JSON body once: it records ok or Slack's error code
// in the metrics, and drops the echoed "message" of the answers that
// repeat it (echoesMessage) before slack-go decodes them.
func (t *Transport) inspect(method string, resp *http.Response) {
	trim := echoesMessage[method]
	if t.metrics == nil && !trim {
		return
	}
	if resp.StatusCode != http.StatusOK {
		t.count(method, "http_"+strconv.Itoa(resp.StatusCode))
		return
	}
	body, err := readBody(resp)
	_ = resp.Body.Close()
	if err != nil {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		t.count(method, "read_error")
		return
	}
	if trim {
		body = dropMessage(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	var r struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &r) != nil || r.OK == nil || *r.OK {
		t.count(method, "ok")
		return
	}
	t.count(method, r.Error)
}

// Config is what New needs to build a client.
type Config struct {
	BotToken string
	AppToken string
	// APIURL is the Web API base ending in "/" (SLACK_API_URL).
	APIURL  string
	Metrics *metrics.Metrics
	// Pacing is true for SLACK_PACING=tiers.
	Pacing bool
	// Limits overrides the per-method paces.
	Limits map[string]rate.Limit
	// Timeout bounds one HTTP call (default 15s).
	Timeout time.Duration
	// Logger receives slack-go's own debug logs; nil discards them.
	Logger interface{ Output(int, string) error }
}

// New returns a slack-go client whose calls go through a Transport, and the
// transport itself (so tests can inspect pauses).
func New(c Config) (*slack.Client, *Transport) {
	tr := NewTransport(Options{Metrics: c.Metrics, Pacing: c.Pacing, Limits: c.Limits})
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
	opts := []slack.Option{
		slack.OptionHTTPClient(&http.Client{Transport: tr, Timeout: c.Timeout}),
		slack.OptionAPIURL(c.APIURL),
	}
	if c.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(c.AppToken))
	}
	if c.Logger != nil {
		opts = append(opts, slack.OptionLog(c.Logger))
	}
	return slack.New(c.BotToken, opts...), tr
}
