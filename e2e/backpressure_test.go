package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
)

// gate counts the runs of a piece of work that waits until it is opened.
type gate struct {
	open          chan struct{}
	running, most atomic.Int64
	ran           atomic.Int64
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

// pass counts one run, waits until the gate is open (or ctx ends) and
// counts it done.
func (g *gate) pass(ctx context.Context) {
	n := g.running.Add(1)
	for m := g.most.Load(); n > m && !g.most.CompareAndSwap(m, n); m = g.most.Load() {
	}
	select {
	case <-g.open:
	case <-ctx.Done():
	}
	g.running.Add(-1)
	g.ran.Add(1)
}

// While every envelope slot is taken, the bot reads nothing more from the
// socket: the envelopes after the fourth wait in Slack's stream, not in
// goroutines of the bot (an overload once grew it to 1 GiB), and each is
// handled once a slot frees, a person's command among them.
func TestEnvelopesInFlightAreBounded(t *testing.T) {
	const limit = 4
	g := newGate()
	e := apptest.Start(t, apptest.Options{
		MaxInFlight: limit,
		ExtraRoutes: func(r *bot.Router, _ *handlers.Handlers) {
			r.Event("app_mention", func(ctx context.Context, _ *handlers.Event) error {
				g.pass(ctx)
				return nil
			})
		},
	})
	mention := func(i int) {
		e.Emu.SendEvent(e.Ctx(), map[string]any{"type": "app_mention", "user": apptest.Dave, "channel": apptest.General,
			"text": fmt.Sprintf("<@U0BOT> slow %d", i)})
	}
	for i := range limit {
		mention(i)
	}
	if err := apptest.WaitFor(30*time.Second, func() bool { return g.running.Load() == limit }); err != nil {
		t.Fatalf("%d of %d slow handlers running: %v", g.running.Load(), limit, err)
	}
	help, err := e.Emu.SendSlashCommand(e.Ctx(), apptest.Dave, apptest.General, "help")
	if err != nil {
		t.Fatal(err)
	}
	for i := limit; i < 2*limit; i++ {
		mention(i)
	}
	waits := e.Bots()[0].App.Metrics.EnvelopeSlotWaits
	// The bot holds the next envelope (the command) until a slot frees; an
	// unbounded bot would run the four handlers sent after it instead.
	if err := apptest.WaitFor(30*time.Second, func() bool {
		return g.running.Load() > limit || testutil.ToFloat64(waits) >= 1
	}); err != nil {
		t.Fatalf("the bot never waited for a slot with %d handlers running: %v", g.running.Load(), err)
	}
	if n := g.running.Load(); n > limit {
		t.Fatalf("%d handlers running at once; want at most %d", n, limit)
	}

	close(g.open)
	res, err := e.Emu.WaitSlashResult(e.Ctx(), help)
	if err != nil {
		t.Fatalf("help once a slot freed: %v", err)
	}
	if !strings.Contains(res.AllText(), "/empower box") {
		t.Errorf("help once a slot freed = %q, want the help", res.AllText())
	}
	if err := apptest.WaitFor(30*time.Second, func() bool { return g.ran.Load() >= 2*limit }); err != nil {
		t.Fatalf("%d of %d mentions handled: %v", g.ran.Load(), 2*limit, err)
	}
	if n := g.ran.Load(); n != 2*limit {
		t.Errorf("%d mentions handled; want %d, each once", n, 2*limit)
	}
	if n := g.most.Load(); n > limit {
		t.Errorf("at most %d handlers ran at once; want at most %d", n, limit)
	}
}

// The work a handler leaves for after its answer (an escalation card) runs
// on the bot's few after-answer workers, never on more goroutines than
// those, whatever the number of commands; each person still gets their
// answer in the ack while that work waits, and when its queue is full the
// work waits for room rather than being dropped: all of it runs.
func TestWorkAfterTheAnswerRunsOnItsWorkersAndIsNeverDropped(t *testing.T) {
	const commands = 5
	g := newGate()
	e := apptest.Start(t, apptest.Options{
		AfterWorkers: 1,
		AfterQueue:   1,
		ExtraRoutes: func(r *bot.Router, _ *handlers.Handlers) {
			r.Slash("later", func(ctx context.Context, _ *handlers.Command) (*handlers.Reply, error) {
				domain.Later(ctx, g.pass)
				return handlers.Text("Noted, the rest follows."), nil
			})
		},
	})
	for i := range commands {
		if res := e.Command(apptest.Dave, "later"); !strings.Contains(res.Text, "Noted") {
			t.Fatalf("answer %d = %q while the work after the answers waits; want it in the ack", i, res.Text)
		}
	}
	waits := e.Bots()[0].App.Metrics.AfterReplyWaits
	// One runs, one is queued, the rest wait for room; an unbounded bot
	// would run them all at once.
	if err := apptest.WaitFor(30*time.Second, func() bool {
		return g.running.Load() > 1 || (g.running.Load() == 1 && testutil.ToFloat64(waits) >= 1)
	}); err != nil {
		t.Fatalf("%d pieces of work after the answers running, %v waits for room: %v", g.running.Load(), testutil.ToFloat64(waits), err)
	}
	if n := g.running.Load(); n != 1 {
		t.Fatalf("%d pieces of work after the answers running at once; want 1 (one worker)", n)
	}

	close(g.open)
	if err := apptest.WaitFor(30*time.Second, func() bool { return g.ran.Load() >= commands }); err != nil {
		t.Fatalf("%d of %d pieces of work after the answers ran: %v", g.ran.Load(), commands, err)
	}
	if n := g.ran.Load(); n != commands {
		t.Errorf("%d pieces of work after the answers ran; want %d", n, commands)
	}
	if n := g.most.Load(); n > 1 {
		t.Errorf("at most %d pieces of work after the answers ran at once; want 1", n)
	}
}
