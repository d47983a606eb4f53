// Package ops serves the operator endpoints on HTTP_ADDR: /healthz (the
// process is alive), /readyz (Socket Mode connected and Redis answering) and
// /metrics (Prometheus).
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The endpoints' paths; the container healthcheck and the Kubernetes probes
// use them.
const (
	// HealthzPath answers 200 while the process is alive (liveness).
	HealthzPath = "/healthz"
	// ReadyzPath answers 200 only when every readiness check passes.
	ReadyzPath = "/readyz"
	// MetricsPath serves Prometheus metrics.
	MetricsPath = "/metrics"
)

// Check is one readiness check; nil means ready.
type Check func(ctx context.Context) error

// Server is the operator HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
	// grace is how long Serve waits, when its context ends, for the
	// requests in flight before it cuts their connections.
	grace time.Duration
}

// shutdownGrace is Server.grace.
const shutdownGrace = 5 * time.Second

// New listens on addr (":8080", "127.0.0.1:0") and prepares the handlers.
// checks are run by /readyz in order, each with a 1s timeout. With pprof,
// net/http/pprof is served under /debug/pprof/ too (DEBUG_PPROF).
func New(addr string, reg *prometheus.Registry, checks map[string]Check, pprof bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthzPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+ReadyzPath, func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusOK
		result := make(map[string]string, len(checks))
		for name, check := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), time.Second)
			err := check(ctx)
			cancel()
			if err != nil {
				status = http.StatusServiceUnavailable
				result[name] = err.Error()
				continue
			}
			result[name] = "ok"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(result)
	})
	mux.Handle("GET "+MetricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if pprof {
		mux.HandleFunc("GET /debug/pprof/", httppprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", httppprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", httppprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", httppprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", httppprof.Trace)
	}
	return &Server{
		ln:    ln,
		srv:   &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		grace: shutdownGrace,
	}, nil
}

// Addr is the address actually listened on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close closes the listener of a server that is not served (Serve closes
// it itself when it returns).
func (s *Server) Close() error { return s.ln.Close() }

// Serve serves until ctx ends, then shuts down within 5s: the requests in
// flight get that long to finish, then their connections are cut. A
// connection that is still open then is no failure of the bot's (a probe
// that connected and never sent its request holds one: Go's server counts
// it as busy for its first 5s), so Serve then returns nil.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.grace)
		defer cancel()
		if err := s.srv.Shutdown(sctx); err != nil {
			if cerr := s.srv.Close(); cerr != nil {
				return errors.Join(err, cerr)
			}
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
