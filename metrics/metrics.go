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
	// SocketConnected is 1 while the Socket Mode connection is up.
	SocketConnected prometheus.Gauge
	// SocketReconnects counts Socket Mode connections after the first.
	SocketReconnects prometheus.Counter
	// SocketConnections is num_connections of the last hello: how many
	// connections (replicas) Slack spreads this app's events across.
	SocketConnections prometheus.Gauge
	// JobLastSuccess is the Unix time of each job's last successful run.
	JobLastSuccess *prometheus.GaugeVec
	// JobDuration observes the seconds each job run took, by job and outcome.
	JobDuration *prometheus.HistogramVec
	// SlackLatency observes the seconds of each Web API call, by method.
	SlackLatency *prometheus.HistogramVec
	// SlackPacerWait observes the seconds a call waited for its pace or a
	// Retry-After pause before it was sent, by method.
	SlackPacerWait *prometheus.HistogramVec
	// EnvelopeSlotWaits counts envelopes read while every handling slot
	// was taken: the socket was not read again until one freed.
	EnvelopeSlotWaits prometheus.Counter
	// AfterReplyWaits counts handlers whose work for after the answer
	// waited for room in the full queue of that work (back-pressure).
	AfterReplyWaits prometheus.Counter
}

// BuildInfo registers empowerbot_build_info: 1, with the build's version,
// commit and Go version as labels.
func (m *Metrics) BuildInfo(version, commit, goVersion string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "empowerbot_build_info",
		Help: "The running build: always 1, with its version, VCS commit and Go version.",
	}, []string{"version", "commit", "goversion"})
	g.WithLabelValues(version, commit, goVersion).Set(1)
	_ = m.Registry.Register(g)
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
		SocketConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "empowerbot_socket_connected",
			Help: "1 while the Socket Mode connection is up, else 0.",
		}),
		SocketReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "empowerbot_socket_reconnects_total",
			Help: "Socket Mode connections made after the first one.",
		}),
		SocketConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "empowerbot_socket_connections",
			Help: "num_connections of Slack's last hello: the app's open Socket Mode connections.",
		}),
		JobLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "empowerbot_job_last_success_timestamp_seconds",
			Help: "Unix time of each scheduled job's last successful run in this replica.",
		}, []string{"job"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "empowerbot_job_duration_seconds",
			Help:    "Duration of scheduled job runs, by job and outcome.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 15, 60, 300, 900, 3600},
		}, []string{"job", "outcome"}),
		SlackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "empowerbot_slack_api_latency_seconds",
			Help:    "Duration of Slack Web API calls (the HTTP exchange), by method.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method"}),
		SlackPacerWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "empowerbot_slack_pacer_wait_seconds",
			Help:    "Time a Web API call waited for its pace or a Retry-After pause before it was sent, by method.",
			Buckets: []float64{0, .01, .05, .1, .5, 1, 5, 15, 60},
		}, []string{"method"}),
		EnvelopeSlotWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "empowerbot_envelope_slot_waits_total",
			Help: "Envelopes read while every handling slot was taken (the socket was not read until one freed).",
		}),
		AfterReplyWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "empowerbot_after_reply_queue_waits_total",
			Help: "Handlers whose work after the answer waited for room in its full queue.",
		}),
	}
	reg.MustRegister(m.Envelopes, m.AckLatency, m.SlackCalls, m.RedisErrors, m.JobRuns, m.Fanout, m.PolicyReloads, m.WorkspaceCheckFailures,
		m.SocketConnected, m.SocketReconnects, m.SocketConnections, m.JobLastSuccess, m.JobDuration, m.SlackLatency, m.SlackPacerWait,
		m.EnvelopeSlotWaits, m.AfterReplyWaits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Start the usual series at zero, so that every family is on /metrics
	// from start-up (a vector with no series is not shown at all).
	for _, kind := range []string{"slash_commands", "interactive", "events_api"} {
		m.Envelopes.WithLabelValues(kind, "ok")
		m.AckLatency.WithLabelValues(kind)
	}
	m.RedisErrors.WithLabelValues("dial")
	for _, method := range []string{"chat.postMessage", "conversations.open"} {
		m.SlackLatency.WithLabelValues(method)
		m.SlackPacerWait.WithLabelValues(method)
	}
	for _, result := range []string{"ok", "invalid"} {
		m.PolicyReloads.WithLabelValues(result, "signal")
	}
	return m
}
