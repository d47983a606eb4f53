package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
)

var sandboxURLRe = regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)`)

// startSandbox runs `empowerbot sandbox` as a child process with env added, and returns it
// with its output and the page's URL once the page answers 200.
func startSandbox(t *testing.T, env ...string) (*exec.Cmd, *syncWriter, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "sandbox")
	for _, kv := range os.Environ() {
		// the sandbox's defaults: in-memory Redis, the sample policy, quiet logs
		if !strings.HasPrefix(kv, "REDIS_") && !strings.HasPrefix(kv, "POLICY_FILE=") && !strings.HasPrefix(kv, "HTTP_ADDR=") && !strings.HasPrefix(kv, "LOG_LEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "EMPOWERBOT_TEST_MAIN=1", "SANDBOX_ADDR=127.0.0.1:0")
	cmd.Env = append(cmd.Env, env...)
	var out syncWriter
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var url string
	err := apptest.WaitFor(30*time.Second, func() bool {
		m := sandboxURLRe.FindStringSubmatch(out.buf.String())
		if m == nil {
			return false
		}
		resp, err := http.Get(m[1])
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		url = m[1]
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		t.Fatalf("the sandbox page did not answer: %v\n%s", err, out.buf.String())
	}
	return cmd, &out, url, time.Since(began)
}

// stopWithSIGTERM sends SIGTERM to the child and wants exit code 0 within 15s.
func stopWithSIGTERM(t *testing.T, cmd *exec.Cmd, out *syncWriter) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit code after SIGTERM = %d, want 0\n%s", ee.ExitCode(), out.buf.String())
		}
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the program did not exit within 15s of SIGTERM\n%s", out.buf.String())
	}
}

func TestSandboxCommandServesThePageAndStopsOnSIGTERM(t *testing.T) {
	cmd, out, url, took := startSandbox(t)
	t.Logf("from start to a page answering 200: %v", took)
	if !strings.Contains(out.buf.String(), "nothing persists") {
		t.Errorf("no in-memory banner on stderr:\n%s", out.buf.String())
	}
	body, _ := json.Marshal(map[string]string{"user": "U0DAVE", "channel": "C0GENERAL", "text": "/empower box"})
	resp, err := http.Post(url+"api/command", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		OK   bool   `json:"ok"`
		Text string `json:"text"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&res)
	_ = resp.Body.Close()
	if !res.OK || !strings.Contains(res.Text, "discount") {
		t.Errorf("/empower box through the sandbox = %+v", res)
	}
	stopWithSIGTERM(t, cmd, out)
	if !strings.Contains(out.buf.String(), "empowerbot sandbox stopped") {
		t.Errorf("no shutdown log line:\n%s", out.buf.String())
	}
}

func TestSandboxCommandRefusesABadPolicy(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("timezone: Mars/Olympus\nfrontline: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POLICY_FILE", bad)
	t.Setenv("SANDBOX_ADDR", "127.0.0.1:0")
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if code := run(ctx, []string{"sandbox"}, &out, &errb); code != 1 {
		t.Fatalf("sandbox with a bad policy = %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "bad.yaml:1:") {
		t.Errorf("the error does not name the bad line:\n%s", errb.String())
	}
	t.Setenv("POLICY_FILE", "")
	t.Setenv("SANDBOX_ADDR", "nonsense")
	errb.Reset()
	if code := run(ctx, []string{"sandbox"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "SANDBOX_ADDR") {
		t.Errorf("sandbox with a bad SANDBOX_ADDR = %d %q", code, errb.String())
	}
}
