//go:build !miniredis

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestSandboxWithoutRedisServerSaysWhatToDo: with no redis-server on PATH
// and no REDIS_URL, the sandbox stops at once and names the three ways out.
func TestSandboxWithoutRedisServerSaysWhatToDo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_ADDRS", "")
	t.Setenv("SANDBOX_ADDR", "127.0.0.1:0")
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if code := run(ctx, []string{"sandbox"}, &out, &errb); code != 1 {
		t.Fatalf("sandbox without redis-server = %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"redis-server is not on PATH", "apt-get install redis-server", "REDIS_URL", "go run -tags miniredis ./cmd/empowerbot sandbox"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the error lacks %q:\n%s", want, errb.String())
		}
	}
}
