package ops

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A client that connected and never sent its request (what Go's
// http.Transport leaves behind when a request is cancelled while it dials)
// keeps a connection that Go's server counts as busy: at shutdown, once the
// grace is over, the connection is cut and Serve returns nil, so that the
// bot does not exit with an error because of a probe. A request that was
// answered before is unaffected.
func TestServeShutsDownPastAConnectionThatSentNothing(t *testing.T) {
	s, err := New("127.0.0.1:0", prometheus.NewRegistry(), map[string]Check{"always": func(context.Context) error { return nil }}, false)
	if err != nil {
		t.Fatal(err)
	}
	s.grace = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	resp, err := http.Get("http://" + s.Addr() + ReadyzPath)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz = %d, want 200", resp.StatusCode)
	}
	silent, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v at shutdown with a silent connection open; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return within 30s of its context ending")
	}
	_ = silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := silent.Read(make([]byte, 1)); err == nil {
		t.Errorf("the silent connection is still open after shutdown (read %d bytes)", n)
	}
}
