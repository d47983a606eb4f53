// Package metrics defines the bot's Prometheus collectors in one place, so
// every package counts into the same names and /metrics shows them all.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector of the bot. Create it with New; a nil
// *Metrics is not valid.
type Metrics struct {
	// Registry is where the collectors are registered; /metrics serves it.
	Registry *prometheus.Registry
	// Envelopes counts Socket Mode envelopes by type and outcome
	// (ok, error, panic, duplicate, bad_message).
	Envelopes *prometheus.CounterVec
	// AckLatency observes the seconds from receiving an envelope to sending its ack.
	AckLatency *prometheus.HistogramVec
	// SlackCalls counts Web API calls by method and result (ok, the Slack
	// error code, rate_limited, http_error).
	SlackCalls *prometheus.CounterVec
	// RedisErrors counts failed Redis operations by operation.
	RedisErrors *prometheus.CounterVec
	// JobRuns counts scheduled job runs by job and outcome (ok, error,
	// panic, skipped).
	JobRuns *prometheus.CounterVec
	// Fanout counts per-person deliveries of fan-out jobs by job and result
	// (sent, skipped, failed, retried).
	Fanout *prometheus.CounterVec
	// PolicyReloads counts reloads of the policy file by result (ok,
	// invalid) and trigger (signal, file_changed).
	PolicyReloads *prometheus.CounterVec
	// WorkspaceCheckFailures is how many of the start-up workspace checks
	// (those of `empowerbot doctor`) failed, by check.
	WorkspaceCheckFailures *prometheus.GaugeVec
}

// New creates the collectors on a fresh registry, with Go and process
// collectors included.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_envelopes_total",
			Help: "Socket Mode envelopes received, by type and outcome.",
		}, []string{"type", "outcome"}),
		AckLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "empowerbot_ack_latency_seconds",
			Help:    "Time from receiving an envelope to sending its acknowledgement.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3},
		}, []string{"type"}),
		SlackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_slack_api_calls_total",
			Help: "Slack Web API calls, by method and result.",
		}, []string{"method", "result"}),
		RedisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_redis_errors_total",
			Help: "Failed Redis operations, by operation.",
		}, []string{"op"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_job_runs_total",
			Help: "Scheduled job runs, by job and outcome.",
		}, []string{"job", "outcome"}),
		Fanout: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_fanout_deliveries_total",
			Help: "Per-person deliveries of fan-out jobs, by job and result.",
		}, []string{"job", "result"}),
		PolicyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "empowerbot_policy_reloads_total",
			Help: "Reloads of the policy file, by result (ok, invalid) and trigger (signal, file_changed).",
		}, []string{"result", "trigger"}),
		WorkspaceCheckFailures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "empowerbot_workspace_check_failures",
			Help: "Failed workspace checks at start-up (those of empowerbot doctor), by check.",
		}, []string{"check"}),
	}
	reg.MustRegister(m.Envelopes, m.AckLatency, m.SlackCalls, m.RedisErrors, m.JobRuns, m.Fanout, m.PolicyReloads, m.WorkspaceCheckFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Start the usual series at zero, so that every family is on /metrics
	// from start-up (a vector with no series is not shown at all).
	for _, kind := range []string{"slash_commands", "interactive", "events_api"} {
		m.Envelopes.WithLabelValues(kind, "ok")
		m.AckLatency.WithLabelValues(kind)
	}
	m.RedisErrors.WithLabelValues("dial")
	for _, result := range []string{"ok", "invalid"} {
		m.PolicyReloads.WithLabelValues(result, "signal")
	}
	return m
}
