package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

func newFanoutStore(t *testing.T) *store.Store {
	t.Helper()
	srv := redistest.Start(t)
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.NewKeys(srv.Prefix(t)))
}

func people(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("U%04d", i)
	}
	return out
}

// counterValue reads the fan-out counter of (job, result).
func counterValue(t *testing.T, m *metrics.Metrics, job, result string) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Fanout.WithLabelValues(job, result).Write(&out); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	return out.GetCounter().GetValue()
}

// recorder is a SendFunc that counts the DMs each person got.
type recorder struct {
	mu    sync.Mutex
	got   map[string]int
	total atomic.Int64
	// fail, when set, decides the error of a send (nil: delivered).
	fail  func(person string, attempt int) error
	tries map[string]int
	// onSend runs after each delivered send.
	onSend func(n int64)
}

func newRecorder() *recorder {
	return &recorder{got: make(map[string]int), tries: make(map[string]int)}
}

func (r *recorder) send(_ context.Context, person string) (string, string, error) {
	r.mu.Lock()
	attempt := r.tries[person]
	r.tries[person]++
	r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(person, attempt); err != nil {
			return "", "", err
		}
	}
	r.mu.Lock()
	r.got[person]++
	r.mu.Unlock()
	n := r.total.Add(1)
	if r.onSend != nil {
		r.onSend(n)
	}
	return "D" + person, "1.1", nil
}

// checkOnce fails t unless every person got exactly one DM.
func (r *recorder) checkOnce(t *testing.T, all []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range all {
		if r.got[p] != 1 {
			t.Errorf("%s got %d DMs; want 1", p, r.got[p])
		}
	}
	if len(r.got) != len(all) {
		t.Errorf("%d people got DMs; want %d", len(r.got), len(all))
	}
}

func TestFanoutOncePerRun(t *testing.T) {
	st := newFanoutStore(t)
	m := metrics.New()
	f := &Fanout{Store: st, Metrics: m}
	all := people(40)
	rec := newRecorder()
	run := FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: append(all, all[:5]...), Excluded: 2, Send: rec.send}

	tot, err := f.Run(t.Context(), run)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := (Totals{Audience: 40, Excluded: 2, Sent: 40}); tot != want {
		t.Errorf("first run totals = %+v; want %+v", tot, want)
	}
	// A rerun (catch-up, another replica) sends nothing.
	tot, err = f.Run(t.Context(), run)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if want := (Totals{Audience: 40, Excluded: 2, Skipped: 40}); tot != want {
		t.Errorf("second run totals = %+v; want %+v", tot, want)
	}
	rec.checkOnce(t, all)
	if got := counterValue(t, m, "feedback", "sent"); got != 40 {
		t.Errorf("sent metric = %v; want 40", got)
	}
	if got := counterValue(t, m, "feedback", "skipped"); got != 44 {
		t.Errorf("skipped metric = %v; want 44 (40 already sent + 2×2 excluded)", got)
	}
	pending, err := st.FanoutPending(t.Context(), "T1", "feedback", time.Time{})
	if err != nil || len(pending) != 0 {
		t.Errorf("pending runs = %v, %v; want none", pending, err)
	}
}

func TestFanoutStopAndResume(t *testing.T) {
	st := newFanoutStore(t)
	all := people(60)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(t.Context())
	rec.onSend = func(n int64) {
		if n == 20 {
			cancel() // stop mid-run, as SIGTERM would
		}
	}
	f := &Fanout{Store: st, Workers: 4}
	run := FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: all, Send: rec.send}
	tot, err := f.Run(ctx, run)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped Run error = %v; want ErrStopped", err)
	}
	if tot.Sent < 20 || tot.Sent+tot.Left != 60 {
		t.Errorf("stopped run totals = %+v; want sent >= 20 and sent + left = 60", tot)
	}
	pending, err := st.FanoutPending(t.Context(), "T1", "feedback", time.Time{})
	if err != nil || len(pending) != 1 {
		t.Errorf("pending runs after a stop = %v, %v; want [r1]", pending, err)
	}

	rec.onSend = nil
	tot2, err := f.Run(t.Context(), run)
	if err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	if tot2.Sent != 60-tot.Sent || tot2.Skipped != tot.Sent {
		t.Errorf("resumed run totals = %+v; want sent %d, skipped %d", tot2, 60-tot.Sent, tot.Sent)
	}
	rec.checkOnce(t, all)
}

func TestFanoutTwoReplicas(t *testing.T) {
	st := newFanoutStore(t)
	all := people(200)
	rec := newRecorder()
	run := FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: all, Send: rec.send}
	var wg sync.WaitGroup
	var sent atomic.Int64
	for range 2 {
		f := &Fanout{Store: st, Poll: 10 * time.Millisecond}
		wg.Go(func() {
			tot, err := f.Run(t.Context(), run)
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			sent.Add(int64(tot.Sent))
		})
	}
	wg.Wait()
	if sent.Load() != 200 {
		t.Errorf("replicas sent %d in all; want 200", sent.Load())
	}
	rec.checkOnce(t, all)
}

func TestFanoutTakesOverDeadRun(t *testing.T) {
	st := newFanoutStore(t)
	ctx := t.Context()
	// A run that died mid-send left a claim, whose lease is expiring.
	if _, _, err := st.FanoutClaim(ctx, "T1", "feedback", "r1", "U0002", "dead", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	f := &Fanout{Store: st}
	tot, err := f.Run(ctx, FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: people(3), Send: rec.send})
	if err != nil {
		t.Fatal(err)
	}
	if tot.Sent != 3 || tot.TakenOver != 1 {
		t.Errorf("totals = %+v; want 3 sent, 1 taken over", tot)
	}
	rec.checkOnce(t, people(3))
}

func TestFanoutFailures(t *testing.T) {
	tests := []struct {
		name    string
		fail    func(person string, attempt int) error
		want    Totals
		wantErr bool
		// rerunSent is what a second run sends.
		rerunSent int
		retries   int
	}{
		{
			name: "rate limited then delivered",
			fail: func(p string, attempt int) error {
				if p == "U0001" && attempt == 0 {
					return fmt.Errorf("dm: %w", &slack.RateLimitedError{RetryAfter: 10 * time.Millisecond})
				}
				return nil
			},
			want: Totals{Audience: 3, Sent: 3, Retried: 1},
		},
		{
			name: "transient error then delivered",
			fail: func(p string, attempt int) error {
				if p == "U0001" && attempt < 2 {
					return errors.New("connection reset")
				}
				return nil
			},
			want: Totals{Audience: 3, Sent: 3, Retried: 2},
		},
		{
			name: "refused for good",
			fail: func(p string, _ int) error {
				if p == "U0001" {
					return fmt.Errorf("dm: %w", slack.SlackErrorResponse{Err: "user_not_found"})
				}
				return nil
			},
			want: Totals{Audience: 3, Sent: 2, Failed: 1},
		},
		{
			name: "transient error that lasts is left for the next run",
			fail: func(p string, attempt int) error {
				if p == "U0001" && attempt < 3 {
					return errors.New("connection reset")
				}
				return nil
			},
			want:      Totals{Audience: 3, Sent: 2, Failed: 1, Retried: 1},
			wantErr:   true,
			rerunSent: 1,
			retries:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFanoutStore(t)
			rec := newRecorder()
			rec.fail = tt.fail
			f := &Fanout{Store: st, Backoff: time.Millisecond, Retries: tt.retries}
			run := FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: people(3), Send: rec.send}
			tot, err := f.Run(t.Context(), run)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run error = %v; want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, tot); diff != "" {
				t.Errorf("totals (-want +got):\n%s", diff)
			}
			tot2, err := f.Run(t.Context(), run)
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if tot2.Sent != tt.rerunSent {
				t.Errorf("rerun sent %d; want %d", tot2.Sent, tt.rerunSent)
			}
		})
	}
}

func TestFanoutStopsWhenSlackRefusesTheToken(t *testing.T) {
	st := newFanoutStore(t)
	rec := newRecorder()
	var revoked atomic.Bool
	revoked.Store(true)
	rec.fail = func(string, int) error {
		if revoked.Load() {
			return fmt.Errorf("dm: %w", slack.SlackErrorResponse{Err: "token_revoked"})
		}
		return nil
	}
	f := &Fanout{Store: st, Backoff: time.Millisecond, Retries: 3, Workers: 1}
	all := people(20)
	run := FanoutRun{Team: "T1", Job: "feedback", Run: "r1", People: all, Send: rec.send}
	tot, err := f.Run(t.Context(), run)
	if slackapi.Classify(err) != slackapi.Auth {
		t.Fatalf("Run error = %v; want one Slack classifies as auth", err)
	}
	if tot.Sent != 0 || tot.Retried != 0 || tot.Failed+tot.Left != len(all) {
		t.Errorf("totals = %+v; want nothing sent or retried, everyone failed or left", tot)
	}
	rec.mu.Lock()
	tried := len(rec.tries)
	rec.mu.Unlock()
	if tried > 2 {
		t.Errorf("%d people tried after the token was refused; want the run to stop (at most 2 tried)", tried)
	}
	// The token is fixed: the next run reaches everyone, once.
	revoked.Store(false)
	if tot, err := f.Run(t.Context(), run); err != nil || tot.Sent != len(all) {
		t.Fatalf("rerun = %+v, %v; want all %d sent", tot, err, len(all))
	}
	rec.checkOnce(t, all)
}
