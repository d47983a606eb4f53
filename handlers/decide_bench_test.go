package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/clock"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// BenchmarkDecideInside measures the handler's part of an inside-the-box
// slash command's ack (`/empower discount 250 for ACME`): the command
// parsed, the decision routed, stored with its envelope's claim and its
// answer in one script on a real Redis, the answer encoded. What the bot
// adds around it (the socket, the ack, the log line) is not in it.
// allocs/op and bot-cpu-µs/op are this process's (redis-server is another
// one); ns/op is wall time, Redis's work and the machine's load included.
func BenchmarkDecideInside(b *testing.B) {
	ctx := context.Background()
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	cmds := &commandCounter{}
	rdb.AddHook(cmds)
	st := store.New(rdb, store.NewKeys(srv.Prefix(b)))
	p := benchPolicy()
	clk := &clock.Offset{}
	clk.Set(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	h := &Handlers{
		Slack: slack.New("xoxb-bench", slack.OptionAPIURL("http://127.0.0.1:1/")), Store: st, Policies: domain.NewPolicies(p),
		Clock: clk, Log: slog.New(slog.DiscardHandler), TeamID: "T1",
	}
	h.Decisions = decisions.New(domain.NewPolicies(p), st, DecisionNotifier{H: h}, roster.New("T1", RosterGroups{H: h}, nil), h, clk, h.Log)
	decide := func(i int) []byte {
		c := NewCommand(slack.SlashCommand{TeamID: "T1", UserID: "U0DAVE", ChannelID: "C0GENERAL",
			Command: "/empower", Text: "discount 250 for ACME", TriggerID: fmt.Sprintf("trig%08d", i)})
		c.Args = c.Text // the router's fallback: a decision
		key := c.TriggerID
		ec := &domain.EnvelopeClaim{Team: c.TeamID, Kind: "slash", ID: key, Token: "tok", Lease: 3 * time.Second, TTL: time.Hour}
		hctx := domain.WithEnvelopeClaim(domain.WithRequestKey(ctx, "slash:"+key), ec)
		if _, err := h.Decide(hctx, c); err != nil {
			b.Fatal(err)
		}
		if ec.Outcome != domain.ClaimFinished {
			b.Fatalf("claim outcome %v, want finished with the answer", ec.Outcome)
		}
		return ec.Reply
	}
	if r := decide(-1); !strings.Contains(string(r), "yours to make") {
		b.Fatalf("answer: %s", r)
	}
	runtime.GC()
	cmds.n.Store(0)
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		decide(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(cmds.n.Load())/float64(b.N), "redis-cmds/op")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "bot-cpu-µs/op")
}
