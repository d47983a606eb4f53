package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// commandCounter counts the Redis commands sent, pipelined ones included.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// BenchmarkHomePublish measures one App Home publish of a leader with 50
// decisions waiting for them and 200 commitments, through the real wiring
// (the insights service gathering from Redis, the Block Kit render,
// views.publish to a local stand-in for Slack), with the team's audit stream
// 10,000 and 100,000 entries long. The bot's cost per publish (its CPU,
// allocations, Redis commands) does not depend on the stream's length; ns/op
// is wall time, Redis's own work and the machine's load included.
func BenchmarkHomePublish(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("audit=%d", n), func(b *testing.B) { benchmarkHomePublish(b, n) })
	}
}

func benchmarkHomePublish(b *testing.B, auditLen int) {
	ctx := context.Background()
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	cmds := &commandCounter{}
	rdb.AddHook(cmds)
	st := store.New(rdb, store.NewKeys(srv.Prefix(b)))
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	seedLeaderHome(b, st, rdb, now, auditLen)

	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"view":{"id":"V1"}}`))
	}))
	b.Cleanup(slackSrv.Close)
	p := benchPolicy()
	clk := &clock.Offset{}
	clk.Set(now)
	h := &Handlers{
		Slack: slack.New("xoxb-bench", slack.OptionAPIURL(slackSrv.URL+"/")), Store: st, Policies: domain.NewPolicies(p),
		Clock: clk, Log: slog.New(slog.DiscardHandler), TeamID: "T1",
	}
	h.Decisions = decisions.New(domain.NewPolicies(p), st, DecisionNotifier{H: h}, roster.New("T1", RosterGroups{H: h}, nil), h, clk, h.Log)
	h.Insights = insights.New(insights.Config{Store: st, Approvers: h.Decisions, Notifier: h, Policies: domain.NewPolicies(p), Team: "T1", Now: clk.Now})

	// One publish first: it checks what is shown and indexes old praise once.
	home, err := h.Insights.Home(ctx, "T1", "U0BOB")
	if err != nil {
		b.Fatal(err)
	}
	if len(home.Waiting) != 50 || len(home.Made) != 150 || home.Praise == nil {
		b.Fatalf("the Home shows %d waiting, %d commitments, praise %v; want 50, 150 open, some", len(home.Waiting), len(home.Made), home.Praise)
	}
	if err := h.Insights.PublishHome(ctx, "T1", "U0BOB"); err != nil {
		b.Fatal(err)
	}
	runtime.GC() // the seeding's garbage is not this benchmark's
	cmds.n.Store(0)
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := h.Insights.PublishHome(ctx, "T1", "U0BOB"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cmds.n.Load())/float64(b.N), "redis-cmds/op")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "bot-cpu-µs/op")
}

// processCPU is the CPU time (user and system) this process used so far:
// the bot's side, not the redis-server's, which is a process of its own.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPolicy() *domain.Policy {
	return &domain.Policy{
		Timezone: "UTC", Location: time.UTC, Currency: "USD",
		Channels: domain.Channels{Escalations: "C0ESCALATE", Leaders: "C0LEADERS"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}, RespondWithin: 4 * time.Hour},
			{Name: "manager", Approvers: []string{"U0CAROL"}, RespondWithin: 24 * time.Hour},
		},
		Activities: []domain.Activity{{Name: "discount", Unit: "USD", FrontlineLimit: money.FromMajor(500),
			LevelLimits: map[string]money.Amount{"team-lead": money.FromMajor(2000), "manager": money.FromMajor(10000)}}},
	}
}

// seedLeaderHome stores 50 decisions waiting for Bob, 200 commitments he
// made (150 open), praise for him, and pads the audit stream to auditLen
// entries of other people's history within the last 180 days.
func seedLeaderHome(b *testing.B, st *store.Store, rdb *redis.Client, now time.Time, auditLen int) {
	b.Helper()
	ctx := context.Background()
	// The padding: other people's decisions, praise and commitments, oldest
	// first, spread over the last 180 days.
	pad := auditLen - 251 // what follows writes 251 entries
	step := 180 * 24 * time.Hour / time.Duration(pad+1)
	start := now.Add(-180 * 24 * time.Hour)
	for i := 0; i < pad; {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := 0; j < 1000 && i < pad; j, i = j+1, i+1 {
				at := start.Add(time.Duration(i) * step)
				var ev domain.Event
				switch i % 3 {
				case 0:
					ev = domain.Event{Actor: "U0ERIN", Subject: fmt.Sprintf("D-X%06d", i), At: at, To: string(domain.StateAutonomous),
						Payload: domain.DecisionCreatedData{DecisionFacts: domain.DecisionFacts{Activity: "discount", Amount: money.FromMajor(100), Requester: "U0ERIN"}}}
				case 1:
					ev = domain.Event{Actor: "U0ERIN", Subject: "U0FRANK", At: at, Payload: domain.PraiseGivenData{Text: "thanks"}}
				default:
					ev = domain.Event{Actor: "U0CAROL", Subject: fmt.Sprintf("C-X%06d", i), At: at,
						Payload: domain.CommitmentMadeData{CommitmentFacts: domain.CommitmentFacts{Leader: "U0CAROL", Employee: "U0ERIN", Text: "x", Due: "2026-01-01"}}}
				}
				if _, err := st.AppendAudit(ctx, p, "T1", ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range 50 {
		at := now.Add(-time.Duration(i+1) * time.Minute)
		d := &domain.DecisionRecord{Decision: domain.Decision{
			ID: fmt.Sprintf("D-P%05d", i), Team: "T1", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(900),
			Currency: "USD", Customer: "ACME", Reason: "renewal at risk", State: domain.StatePending, LevelName: "team-lead",
			CreatedAt: at, Deadline: at.Add(4 * time.Hour),
		}}
		ev := domain.Event{Actor: "U0DAVE", Subject: d.ID, At: at, To: string(d.State), Payload: domain.DecisionCreatedData{}}
		if err := st.CreateDecision(ctx, d, ev); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		at := now.Add(-time.Duration(i+1) * time.Hour)
		state := domain.CommitmentOpen
		if i%4 == 3 {
			state = domain.CommitmentDone
		}
		c := &store.CommitmentRecord{Commitment: domain.Commitment{
			ID: fmt.Sprintf("C-%05d", i), Team: "T1", Leader: "U0BOB", Employee: "U0DAVE", Text: "book the training",
			State: state, Source: domain.SourceCommit, Due: at.AddDate(0, 0, 10).Format(time.DateOnly), CreatedAt: at,
		}}
		if err := st.CreateCommitment(ctx, c, domain.Event{Actor: "U0BOB", Subject: c.ID, At: at, Payload: domain.CommitmentMadeData{CommitmentFacts: c.Facts()}}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Audit(ctx, "T1", domain.Event{Actor: "U0CAROL", Subject: "U0BOB", At: now.Add(-time.Hour), Payload: domain.PraiseGivenData{Text: "calm under pressure"}}); err != nil {
		b.Fatal(err)
	}

	if n, err := rdb.XLen(ctx, st.AuditKey("T1")).Result(); err != nil || n != int64(auditLen) {
		b.Fatalf("audit stream has %d entries (%v); want %d", n, err, auditLen)
	}
}
