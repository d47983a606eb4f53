package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/app"
	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/slackemu"
)

// TestPolicyReloadUnderLoad reloads a valid and then an invalid policy file
// in both replicas while people keep logging decisions: every command is
// answered, the valid policy applies to what comes next, the invalid one is
// logged with its line numbers and changes nothing, a decision pending from
// before keeps its level and can still be approved, and the reloads are
// counted.
func TestPolicyReloadUnderLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := startDecisions(t, apptest.Options{PolicyFile: file, Replicas: 2})

	before := e.Emu.Envelopes()
	// Pending at team-lead before any reload.
	_, pending := e.decide(apptest.Dave, "discount 900 for ACME loyal customer")
	card := e.escalation(pending, "team lead")

	// The load: four people's worth of $100 discounts, one after the other each.
	var sent, answered, inside, above atomic.Int64
	var failures []string
	var mu sync.Mutex
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				sent.Add(1)
				cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				res, err := e.Emu.SlashCommand(cctx, apptest.Dave, apptest.General, fmt.Sprintf("discount 100 for W%dN%d", w, i))
				cancel()
				txt := res.AllText()
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case !strings.Contains(txt, "Logged `D-"):
					failures = append(failures, txt)
				default:
					answered.Add(1)
					if strings.Contains(txt, "yours to make") {
						inside.Add(1)
					} else if strings.Contains(txt, "above your box") {
						above.Add(1)
					}
				}
				mu.Unlock()
			}
		})
	}
	waitCount := func(what string, c *atomic.Int64, n int64) {
		t.Helper()
		if err := apptest.WaitFor(60*time.Second, func() bool { return c.Load() >= n }); err != nil {
			t.Fatalf("%s: %d, want at least %d", what, c.Load(), n)
		}
	}
	waitCount("decisions inside the box before the reload", &inside, 20)

	// A valid policy: the box shrinks to $50, so $100 goes to the team lead.
	valid := strings.Replace(apptest.DefaultPolicy, "frontline_limit: 500", "frontline_limit: 50", 1)
	if err := os.WriteFile(file, []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, b := range e.Bots() {
		if err := b.App.ReloadPolicy(app.ReloadSignal); err != nil {
			t.Fatalf("reload of a valid policy: %v", err)
		}
	}
	took := time.Since(start)
	insideAtReload := inside.Load()
	res := e.Command(apptest.Dave, "discount 100 for AfterReload")
	if !strings.Contains(res.AllText(), "above your box") {
		t.Fatalf("after the reload $100 is not above the box: %s", res.AllText())
	}
	aboveAtReload := above.Load()
	waitCount("decisions above the box after the reload", &above, aboveAtReload+20)

	// An invalid policy: refused with its line numbers, the valid one stays.
	if err := os.WriteFile(file, []byte("timezone: Mars/Olympus\nfrontline: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range e.Bots() {
		if err := b.App.ReloadPolicy(app.ReloadSignal); err == nil {
			t.Fatal("reload of an invalid policy: no error")
		}
	}
	aboveAtInvalid := above.Load()
	waitCount("decisions above the box after the refused reload", &above, aboveAtInvalid+20)
	stop()
	wg.Wait()
	// Every envelope of the load, through both reloads, was acked at its
	// first attempt: none redelivered, none lost.
	env := e.Emu.Envelopes()
	sentEnv, ackedEnv := env.Sent-before.Sent, env.Acked-before.Acked
	if sentEnv != ackedEnv || env.Redelivered != before.Redelivered || env.NeverAcked != 0 {
		t.Errorf("envelopes during the reloads: %d sent, %d acked, %d redelivered, %d lost; want every one acked at once",
			sentEnv, ackedEnv, env.Redelivered-before.Redelivered, env.NeverAcked)
	}

	mu.Lock()
	if len(failures) > 0 {
		t.Errorf("%d of %d commands during the reloads were not answered with a decision; first: %s", len(failures), sent.Load(), failures[0])
	}
	mu.Unlock()
	if answered.Load() != sent.Load() {
		t.Errorf("answered %d of %d commands", answered.Load(), sent.Load())
	}
	// Nothing sent after the valid reload was routed by the old box: at most
	// the four commands in flight during it were.
	if late := inside.Load() - insideAtReload; late > 4 {
		t.Errorf("%d decisions were inside the old box after the reload", late)
	}
	refused := e.Logs.Lines("policy reload refused")
	if len(refused) != 2 {
		t.Fatalf("%d refusal log lines, want one per replica:\n%s", len(refused), strings.Join(refused, "\n"))
	}
	for _, want := range []string{"policy.yaml:1:", "policy.yaml:3:", "the policy in force stays"} {
		if !strings.Contains(refused[0], want) {
			t.Errorf("the refusal log line lacks %q: %s", want, refused[0])
		}
	}
	if n := len(e.Logs.Lines(`"msg":"policy reloaded"`)); n != 2 {
		t.Errorf("%d reload log lines, want 2", n)
	}
	for _, b := range e.Bots() {
		if ok := counter(t, b.App.Metrics.PolicyReloads.WithLabelValues("ok", app.ReloadSignal)); ok != 1 {
			t.Errorf("reloads ok = %v, want 1", ok)
		}
		if bad := counter(t, b.App.Metrics.PolicyReloads.WithLabelValues("invalid", app.ReloadSignal)); bad != 1 {
			t.Errorf("reloads invalid = %v, want 1", bad)
		}
	}

	// The decision pending from before keeps its level and is still Bob's to approve.
	if d := e.decision(pending); d.Decision.LevelName != "team-lead" {
		t.Errorf("pending decision moved to %q", d.Decision.LevelName)
	}
	e.click(apptest.Bob, card, "Approve")
	e.waitUpdated(card.TS, "approved", func(m slackemu.Message) bool { return strings.Contains(m.AllText(), "Approved by") })
	mu.Lock()
	refusedCmds := len(failures)
	mu.Unlock()
	t.Logf("reload under load: envelopes %d sent, %d acked, %d redelivered, %d lost; commands %d sent, %d answered with a decision (%d inside, %d above the box), %d refused; both replicas reloaded in %v",
		sentEnv, ackedEnv, env.Redelivered-before.Redelivered, env.NeverAcked, sent.Load(), answered.Load(), inside.Load(), above.Load(), refusedCmds, took)
}

// TestPolicyReloadWhenTheFileChanges is the Kubernetes case: a ConfigMap
// update changes the mounted file without a signal. A change is reloaded
// once; a broken file is refused once, not at every look.
func TestPolicyReloadWhenTheFileChanges(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := startDecisions(t, apptest.Options{PolicyFile: file, PolicyWatch: 20 * time.Millisecond})
	waitLines := func(want string, n int) {
		t.Helper()
		if err := apptest.WaitFor(30*time.Second, func() bool { return len(e.Logs.Lines(want)) >= n }); err != nil {
			t.Fatalf("fewer than %d log lines %q:\n%s", n, want, strings.Join(e.Logs.Lines("policy"), "\n"))
		}
	}
	if err := os.WriteFile(file, []byte(strings.Replace(apptest.DefaultPolicy, "frontline_limit: 500", "frontline_limit: 50", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLines(`"trigger":"file_changed"`, 1)
	if res := e.Command(apptest.Dave, "discount 100 for ACME"); !strings.Contains(res.AllText(), "above your box") {
		t.Fatalf("the changed file did not apply: %s", res.AllText())
	}
	if err := os.WriteFile(file, []byte("bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLines("policy reload refused", 1)
	if err := os.WriteFile(file, []byte(apptest.DefaultPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLines(`"msg":"policy reloaded"`, 2)
	if n := len(e.Logs.Lines("policy reload refused")); n != 1 {
		t.Errorf("the broken file was refused %d times, want once", n)
	}
	if res := e.Command(apptest.Dave, "discount 100 for ACME"); !strings.Contains(res.AllText(), "yours to make") {
		t.Fatalf("the restored file did not apply: %s", res.AllText())
	}
}
