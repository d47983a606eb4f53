package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/metrics"
	"github.com/empowerbot/empowerbot/service/feedback"
	"github.com/empowerbot/empowerbot/slackapi"
	"github.com/empowerbot/empowerbot/slackemu"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// rttHook counts Redis round trips: one per command sent alone, one per
// pipeline or transaction.
type rttHook struct{ n atomic.Int64 }

func (h *rttHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *rttHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *rttHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// fanoutBench is the fan-out of the feedback DM wired as in production
// (slackapi client, store, DM helper, engine) against the emulator seeded
// with n frontline people.
//
// pacing is the Web API client's pace of chat.postMessage
// (SLACK_PACING=tiers with that method's limit set to it); 0 is
// SLACK_PACING=off.
type fanoutBench struct {
	emu    *slackemu.Server
	h      *handlers.Handlers
	rtt    *rttHook
	people []string
	round  domain.FeedbackRound
}

func newFanoutBench(b *testing.B, n int, pacing rate.Limit) *fanoutBench {
	b.Helper()
	emu := slackemu.Start(b, slackemu.Options{})
	users := make([]slackemu.User, n)
	ids := make([]string, n)
	for i := range users {
		ids[i] = fmt.Sprintf("U%06d", i)
		users[i] = slackemu.User{ID: ids[i], Name: "person" + strconv.Itoa(i)}
	}
	emu.AddUsers(users...)
	emu.AddUserGroup("S0FRONTLINE", "frontline", ids...)

	srv := redistest.Start(b)
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	rtt := &rttHook{}
	rdb.AddHook(rtt)
	m := metrics.New()
	cfg := slackapi.Config{BotToken: emu.BotToken(), APIURL: emu.URL(), Metrics: m}
	if pacing > 0 {
		cfg.Pacing = true
		cfg.Limits = map[string]rate.Limit{"chat.postMessage": pacing}
	}
	api, _ := slackapi.New(cfg)
	pol := &domain.Policy{Location: time.UTC, Frontline: []string{"S0FRONTLINE"}}
	pol.Feedback.Questions = domain.DefaultQuestions()
	pol.Feedback.AnonymousAllowed = true
	h := &handlers.Handlers{
		Slack: api, Store: store.New(rdb, store.NewKeys(srv.Prefix(b))), Policies: domain.NewPolicies(pol),
		Clock: clock.System{}, Log: slog.New(slog.DiscardHandler), Metrics: m, TeamID: emu.TeamID(),
	}
	svc := feedback.New(h.Store, handlers.FeedbackNotifier{H: h}, handlers.FeedbackDirectory{Slack: api}, nil, h.Clock, nil,
		feedback.Config{Team: emu.TeamID(), Frontline: pol.Frontline})
	aud, err := svc.Audience(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	if len(aud.People) != n {
		b.Fatalf("audience has %d people; want %d", len(aud.People), n)
	}
	q, i := feedback.QuestionOfWeek(pol.Feedback.Questions, pol.Location, time.Now())
	return &fanoutBench{emu: emu, h: h, rtt: rtt, people: aud.People,
		round: domain.FeedbackRound{ID: "bench", Question: q, Index: i}}
}

// run fans the feedback DM out once as run id, with the given DM rate.
func (fb *fanoutBench) run(b *testing.B, id string, lim rate.Limit) jobs.Totals {
	b.Helper()
	f := &jobs.Fanout{Store: fb.h.Store, Metrics: fb.h.Metrics, Rate: lim, Workers: 16}
	team := fb.h.TeamID
	tot, err := f.Run(b.Context(), jobs.FanoutRun{
		Team: team, Job: "feedback", Run: id, People: fb.people,
		Send: jobs.SendFunc(handlers.FeedbackNotifier{H: fb.h}.Question(b.Context(), team, fb.round, fb.people, feedback.News{})),
	})
	if err != nil {
		b.Fatal(err)
	}
	if tot.Sent != len(fb.people) {
		b.Fatalf("sent %d; want %d", tot.Sent, len(fb.people))
	}
	return tot
}

// peakHeap samples the heap until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

func benchPeople(def int) int {
	if v, err := strconv.Atoi(os.Getenv("FANOUT_BENCH_PEOPLE")); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkFanout10k fans the feedback DM out to 10,000 people through the
// emulator with no rate limit (SLACK_PACING=off, no fan-out limit). Each
// iteration is a new run (a new tick); the first one posts to the user IDs
// and caches every DM channel Slack answers with, later ones post to the
// cached channels. Reported: DMs per second, the peak heap of the process (the
// emulator, which keeps every message and call, included), and Redis round
// trips per person, for the first run and for later ones.
//
//	go test ./e2e -run '^$' -bench BenchmarkFanout10k -benchtime 3x
func BenchmarkFanout10k(b *testing.B) {
	fb := newFanoutBench(b, benchPeople(10_000), 0)
	n := len(fb.people)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := peakHeap()
	start := fb.rtt.n.Load()
	opens := fb.emu.CallCount("conversations.open")
	b.ResetTimer()
	t0 := time.Now()
	var cold, warm int64
	for i := 0; b.Loop(); i++ {
		before := fb.rtt.n.Load()
		fb.run(b, "bench-"+strconv.Itoa(i), rate.Inf)
		if i == 0 {
			cold = fb.rtt.n.Load() - before
		} else {
			warm += fb.rtt.n.Load() - before
		}
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	peak := stop()
	runs := float64(b.N)
	b.ReportMetric(float64(n)*runs/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(fb.rtt.n.Load()-start)/(float64(n)*runs), "redis-rtt/person")
	b.ReportMetric(float64(cold)/float64(n), "redis-rtt/person-first-run")
	if b.N > 1 {
		b.ReportMetric(float64(warm)/(float64(n)*(runs-1)), "redis-rtt/person-later-runs")
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "heap-growth-MB")
	b.ReportMetric(float64(fb.emu.CallCount("conversations.open")-opens)/float64(n), "opens/person")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
	}
}

// BenchmarkFanoutRate fans out with the DM rate bounded and reports the
// achieved rate of chat.postMessage calls as the emulator saw them (calls
// after the first over the time from the first to the last) and its
// deviation from the limit in percent. fanout=50/s is the fan-out's own
// limit (jobs.Fanout.Rate) to 1,000 people (FANOUT_BENCH_PEOPLE), 20 s;
// fanout=1000/s the same to 10,000 people, 10 s; pacing=100/s has no
// fan-out limit but the Web API client's pace of chat.postMessage
// (SLACK_PACING=tiers with that method's 20/s set to 100/s), 2,000 people,
// 20 s. The client lets a burst of 20 calls through at once, as Slack does,
// so a run of n DMs goes about 20/n quicker than the pace over all:
// steady-msgs/s is the rate after the burst.
//
//	go test ./e2e -run '^$' -bench BenchmarkFanoutRate -benchtime 1x
func BenchmarkFanoutRate(b *testing.B) {
	for _, c := range []struct {
		name           string
		people         int
		fanout, pacing rate.Limit
	}{
		{"fanout=50/s", benchPeople(1_000), 50, 0},
		{"fanout=1000/s", 10_000, 1000, 0},
		{"pacing=100/s", 2_000, 0, 100},
	} {
		b.Run(c.name, func(b *testing.B) {
			want := float64(c.fanout)
			if c.pacing > 0 {
				want = float64(c.pacing)
			}
			fb := newFanoutBench(b, c.people, c.pacing)
			for i := 0; b.Loop(); i++ {
				before := fb.emu.CallCount("chat.postMessage")
				lim := rate.Inf
				if c.fanout > 0 {
					lim = c.fanout
				}
				fb.run(b, "rate-"+strconv.Itoa(i), lim)
				calls := fb.emu.Calls("chat.postMessage")[before:]
				span := calls[len(calls)-1].Time.Sub(calls[0].Time)
				got := float64(len(calls)-1) / span.Seconds()
				b.ReportMetric(got, "msgs/s")
				b.ReportMetric((got-want)/want*100, "deviation-%")
				if c.pacing > 0 {
					const burst = 20 // slackapi's burst for a pace of 20/s or more
					steady := calls[burst-1:]
					rest := steady[len(steady)-1].Time.Sub(steady[0].Time)
					got := float64(len(steady)-1) / rest.Seconds()
					b.ReportMetric(got, "steady-msgs/s")
					b.ReportMetric((got-want)/want*100, "steady-deviation-%")
				}
			}
		})
	}
}
