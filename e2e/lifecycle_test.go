package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/handlers"
)

// A stop (SIGTERM) that comes while an App Home refresh is being published
// waits for it: the Home is published before Run returns, and once Run has
// returned nothing the replica started is running (the refresh used to
// run on, after Redis was closed).
func TestStopWaitsForHomeRefreshAndLeavesNothingRunning(t *testing.T) {
	e := startDecisions(t, apptest.Options{NoBot: true})
	before := goleak.IgnoreCurrent()
	b := e.StartBot()
	if _, err := e.Emu.OpenHome(e.Ctx(), apptest.Bob); err != nil {
		t.Fatal(err)
	}
	e.home(apptest.Bob, "his Home", homeHas("Waiting for your answer* (0)"))
	// Slack asks the next views.publish to wait a second: the stop comes
	// meanwhile.
	e.Emu.InjectRateLimit("views.publish", 1, time.Second)
	published := e.Emu.CallCount("views.publish")
	_, id := e.decide(apptest.Dave, "discount 900 for ACME")
	if err := e.Emu.WaitCalls(e.Ctx(), "views.publish", published+1); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Emu.Home(apptest.Bob); !strings.Contains(v.AllText(), id) {
		t.Errorf("Bob's Home after the stop lacks %s: the refresh did not finish before Run returned:\n%s", id, v.AllText())
	}
	if lines := e.Logs.Lines("could not refresh an App Home"); len(lines) > 0 {
		t.Errorf("refresh failed during the stop: %s", strings.Join(lines, "\n"))
	}
	apptest.CheckLeaks(t, before)
}

// A handler still running when the shutdown grace is over is cancelled,
// and Run returns once it has ended: it never outlives Run.
func TestStopCancelsHandlersAfterTheGrace(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan error, 1)
	e := apptest.Start(t, apptest.Options{
		ShutdownGrace: 200 * time.Millisecond,
		ExtraRoutes: func(r *bot.Router, _ *handlers.Handlers) {
			r.Event("app_mention", func(ctx context.Context, _ *handlers.Event) error {
				close(started)
				<-ctx.Done()
				ended <- ctx.Err()
				return ctx.Err()
			})
		},
	})
	e.Emu.SendEvent(e.Ctx(), map[string]any{"type": "app_mention", "user": apptest.Dave, "channel": apptest.General, "text": "hi"})
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never started")
	}
	if err := e.Bots()[0].Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the handler's context ended without an error")
		}
	default:
		t.Fatal("Run returned while the handler was still running")
	}
	if lines := e.Logs.Lines("shutdown grace over"); len(lines) != 1 {
		t.Errorf("log lines about the grace: %q; want one", lines)
	}
}

// The leak check of apptest fails a test that leaves a goroutine of the app
// running, and names it.
func TestLeakCheckCatchesAGoroutineLeftRunning(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rec := &errRecorder{TB: t}
	t.Run("leaky", func(t *testing.T) {
		rec.TB = t
		apptest.Start(rec, apptest.Options{
			ExtraRoutes: func(*bot.Router, *handlers.Handlers) {
				go leakyWorker(release) // started by the app's wiring, awaited by no one
			},
		})
	})
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "leakyWorker") {
		t.Fatalf("leak check reported %q; want one error naming leakyWorker", rec.errs)
	}
}

func leakyWorker(release <-chan struct{}) { <-release }

// errRecorder is a testing.TB whose Errorf is recorded instead of failing.
type errRecorder struct {
	testing.TB
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
