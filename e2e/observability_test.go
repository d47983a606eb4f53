package e2e

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
)

// TestMetricsOnAFreshStart scrapes /metrics of a replica that has just
// connected: every family an operator alerts on is there already.
func TestMetricsOnAFreshStart(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HTTP: true})
	b := e.Bots()[0]
	if err := apptest.WaitFor(10*time.Second, func() bool { return strings.Contains(scrape(t, b.App.HTTPAddr()), "empowerbot_socket_connections 1") }); err != nil {
		t.Fatalf("no hello counted:\n%s", scrape(t, b.App.HTTPAddr()))
	}
	body := scrape(t, b.App.HTTPAddr())
	for _, want := range []string{
		`empowerbot_build_info{commit="`, `goversion="` + runtime.Version() + `"`,
		"empowerbot_socket_connected 1",
		"empowerbot_socket_connections 1",
		"empowerbot_socket_reconnects_total 0",
		`empowerbot_envelopes_total{outcome="ok",type="slash_commands"} 0`,
		`empowerbot_ack_latency_seconds_bucket{type="events_api",le="1"} 0`,
		`empowerbot_job_runs_total{job="digest",outcome="ok"} 0`,
		`empowerbot_job_last_success_timestamp_seconds{job="escalation_timeouts"} 0`,
		`empowerbot_job_duration_seconds_count{job="feedback",outcome="ok"} 0`,
		`empowerbot_slack_api_latency_seconds_bucket{method="auth.test"`,
		`empowerbot_slack_pacer_wait_seconds_count{method="chat.postMessage"} 0`,
		`empowerbot_slack_api_calls_total{method="auth.test",result="ok"} 1`,
		`empowerbot_redis_errors_total{op="dial"} 0`,
		`empowerbot_policy_reloads_total{result="invalid",trigger="signal"} 0`,
		`empowerbot_workspace_check_failures{check="channel"} 0`,
		`empowerbot_fanout_deliveries_total{job="feedback",result="sent"} 0`,
		"empowerbot_envelope_slot_waits_total 0",
		"empowerbot_after_reply_queue_waits_total 0",
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics on a fresh start lacks %q", want)
		}
	}
	var ours []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "empowerbot_") && !strings.Contains(l, "_bucket{") {
			ours = append(ours, l)
		}
	}
	t.Logf("a scrape of /metrics on a fresh start (empowerbot_ series, buckets left out):\n%s", strings.Join(ours, "\n"))
	if l := e.Logs.Lines(`"msg":"empowerbot running"`); len(l) != 1 || !strings.Contains(l[0], `"version":`) || !strings.Contains(l[0], `"replica":`) || !strings.Contains(l[0], `"policy":"levels team-lead > manager`) {
		t.Errorf("start-up line = %v", l)
	}
	if l := e.Logs.Lines(`"msg":"socket mode hello"`); len(l) == 0 || !strings.Contains(l[0], `"level":"INFO"`) || !strings.Contains(l[0], `"num_connections":1`) {
		t.Errorf("no Socket Mode hello at info: %v", l)
	}
	// A decision's envelope is logged by what it is.
	e.Command(apptest.Dave, "discount 100 for ACME")
	// The envelope's log line is written once its handler is done, after the ack.
	if err := apptest.WaitFor(10*time.Second, func() bool { return len(e.Logs.Lines(`"route":"decision"`)) > 0 }); err != nil {
		t.Errorf("no envelope logged with route decision:\n%s", strings.Join(e.Logs.Lines(`"route"`), "\n"))
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
