package bot

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/handlers"
	"github.com/empowerbot/empowerbot/metrics"
)

func newTestBot(log *slog.Logger) *Bot {
	return New(Config{Client: slack.New("xoxb-test", slack.OptionAppLevelToken("xapp-test")), Router: NewRouter(),
		Metrics: metrics.New(), Log: log})
}

// TestLogEnvelopeLine: the envelope's log line and counter, as an operator
// reads them, for an answer, an error and a panic.
func TestLogEnvelopeLine(t *testing.T) {
	var buf bytes.Buffer
	b := newTestBot(slog.New(slog.NewJSONHandler(&buf, nil)))
	req := &socketmode.Request{EnvelopeID: "E1", RetryAttempt: 2}
	recv := time.Now()
	b.logEnvelope("slash_commands", req, "T1", "U1", "decision", recv, recv, nil, false)
	b.logEnvelope("slash_commands", req, "T1", "U1", "decision", recv, recv, errors.New("boom"), false)
	b.logEnvelope("slash_commands", req, "T1", "U1", "decision", recv, recv, &panicError{value: "oops", stack: []byte("stack!")}, false)
	b.logEnvelope("slash_commands", nil, "T1", "U1", "decision", recv, recv, domain.Invalidf("no"), true)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4: %s", len(lines), buf.String())
	}
	wants := [][]string{
		{`"level":"INFO"`, `"msg":"envelope","type":"slash_commands","team":"T1","user":"U1","route":"decision","ack_ms":0,"duration_ms":`, `"outcome":"ok","envelope_id":"E1","retry_attempt":2}`},
		{`"level":"ERROR"`, `"outcome":"error","envelope_id":"E1","retry_attempt":2,"code":"internal","error":"boom"}`},
		{`"level":"ERROR"`, `"outcome":"panic",`, `"error":"handler panic: oops","stack":"stack!"}`},
		{`"level":"INFO"`, `"outcome":"duplicate","code":"invalid"}`},
	}
	for i, want := range wants {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %s: %s", i, w, lines[i])
			}
		}
	}
	m := b.cfg.Metrics.Envelopes
	for res, n := range map[string]float64{"ok": 1, "error": 1, "panic": 1, "duplicate": 1} {
		if got := testutil.ToFloat64(m.WithLabelValues("slash_commands", res)); got != n {
			t.Errorf("envelopes{slash_commands,%s} = %v, want %v", res, got, n)
		}
	}
}

// BenchmarkLogEnvelope measures the log line and counter of one envelope,
// written as JSON (to nowhere).
func BenchmarkLogEnvelope(b *testing.B) {
	bot := newTestBot(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	req := &socketmode.Request{EnvelopeID: "E1"}
	recv := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		bot.logEnvelope("slash_commands", req, "T1", "U0DAVE", "decision", recv, recv, nil, false)
	}
}

// BenchmarkSlashJSON measures encoding a slash command's answer for its ack.
func BenchmarkSlashJSON(b *testing.B) {
	bot := newTestBot(nil)
	res := &cmdResult{reply: handlers.Text(":white_check_mark: Logged `D-ABC123`: *discount* of *$250* for *ACME*. This one was yours to make.")}
	b.ReportAllocs()
	for b.Loop() {
		if bot.slashJSON(res) == nil {
			b.Fatal("no answer")
		}
	}
}

//go:noinline
func deep(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%256])
}

// BenchmarkSpawn measures handing envelopes whose handling goes as deep as
// a decision's (about 32 KiB of stack) to goroutines, two at a time: a
// worker's stack stays grown from one to the next.
func BenchmarkSpawn(b *testing.B) {
	bot := newTestBot(nil)
	bot.quit = make(chan struct{})
	defer func() { close(bot.quit); bot.workers.Wait() }()
	done := make(chan struct{}, 2)
	f := func() { deep(100); done <- struct{}{} }
	b.ReportAllocs()
	for b.Loop() {
		bot.slots <- struct{}{} // as onEvent takes them
		bot.spawn(f)
		bot.slots <- struct{}{}
		bot.spawn(f)
		<-done
		<-done
	}
	bot.inflight.Wait()
}
