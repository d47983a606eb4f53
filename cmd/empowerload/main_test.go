package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary play the floor: the tool starts the floor
// as `<its own binary> floor …`, which under `go test` is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSmoke runs every scenario briefly against the real binary and the
// floor, so that the tool keeps working: each scenario is reported for
// both, with no failed command. It checks no figure (the machine is
// shared), only that there are figures.
func TestSmoke(t *testing.T) {
	bin := buildBot(t)
	out := runTool(t, "-bin", bin, "-rate", "40", "-duration", "250ms", "-soak", "250ms", "-inflight", "4", "-warmup", "3")
	for _, name := range allScenarios {
		if !strings.Contains(out, "== "+name+":") {
			t.Errorf("no report of scenario %s:\n%s", name, out)
		}
	}
	for _, want := range []string{"empowerbot", "floor", "bot/floor", "redis commandstats per command", "goroutines"} {
		if strings.Count(out, want) < len(allScenarios) {
			t.Errorf("%q in fewer than %d reports:\n%s", want, len(allScenarios), out)
		}
	}
	if strings.Contains(out, "errors:") {
		t.Errorf("some commands failed:\n%s", out)
	}
	soak := out[strings.Index(out, "== soak:"):]
	for _, want := range []string{"RSS MiB", "bot along the way", "after the last ack: RSS"} {
		if !strings.Contains(soak, want) {
			t.Errorf("the soak's report lacks %q:\n%s", want, soak)
		}
	}
}

// TestProfiles: with -pprof the bot serves net/http/pprof (DEBUG_PPROF) and
// the tool saves a CPU and an allocation profile per scenario.
func TestProfiles(t *testing.T) {
	bin := buildBot(t)
	dir := t.TempDir()
	stdout := runTool(t, "-bin", bin, "-scenarios", "inside", "-no-floor", "-rate", "40", "-duration", "250ms", "-warmup", "3", "-pprof", dir)
	for _, f := range []string{"inside-cpu.pprof", "inside-allocs.pprof"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v (empty or missing)\n%s", f, err, stdout)
		}
	}
}

// buildBot builds cmd/empowerbot into the test's directory.
func buildBot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is needed: apt-get install redis-server")
	}
	bin := filepath.Join(t.TempDir(), "empowerbot")
	build := exec.Command("go", "build", "-o", bin, "github.com/empowerbot/empowerbot/cmd/empowerbot")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build empowerbot: %v\n%s", err, out)
	}
	return bin
}

func TestFlagsAreBounded(t *testing.T) {
	for _, args := range [][]string{
		{"-rate", "0"}, {"-rate", "100000"}, {"-duration", "1h"}, {"-inflight", "0"},
		{"-scenarios", "nope"}, {"-soak", "0s"}, {"-rounds", "0"}, {"-rounds", "11"},
		{"-rate", "5000", "-duration", "5m", "-rounds", "2"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	c, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(c.scenarios, ","), strings.Join(allScenarios, ","); got != want {
		t.Errorf("default scenarios %s, want %s", got, want)
	}
}

func TestRESPCounter(t *testing.T) {
	cmd := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	eval := "*4\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n0\r\n$-1\r\n"
	tests := []struct {
		name   string
		chunks []string
		cmds   int
		rtts   int // chunks that start at a boundary
	}{
		{"one", []string{cmd}, 1, 1},
		{"pipeline", []string{cmd + cmd + eval}, 3, 1},
		{"split across reads", []string{cmd[:7], cmd[7:]}, 1, 1},
		{"two round trips", []string{cmd, eval}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r respCounter
			cmds, rtts := 0, 0
			for _, c := range tt.chunks {
				if r.atBoundary() {
					rtts++
				}
				cmds += r.feed([]byte(c))
			}
			if cmds != tt.cmds || rtts != tt.rtts {
				t.Errorf("commands %d, round trips %d; want %d, %d", cmds, rtts, tt.cmds, tt.rtts)
			}
		})
	}
}

// TestOneRoundTripPerDecision: redis-server's own count (its read events)
// gives an inside-the-box decision one round trip, as the proxy does; a
// background job of the bot may add a few over the run.
func TestOneRoundTripPerDecision(t *testing.T) {
	bin := buildBot(t)
	for _, proxy := range []bool{false, true} {
		args := []string{"-bin", bin, "-scenarios", "inside", "-no-floor", "-rate", "200", "-duration", "500ms", "-warmup", "5"}
		if proxy {
			args = append(args, "-redis-proxy")
		}
		stdout := runTool(t, args...)
		rt, cmds := "", ""
		for _, line := range strings.Split(stdout, "\n") {
			if f := strings.Fields(line); len(f) == 14 && f[0] == "empowerbot" {
				rt, cmds = f[10], f[11]
			}
		}
		if n, err := strconv.ParseFloat(rt, 64); err != nil || n < 1 || n > 1.1 {
			t.Errorf("proxy %v: Redis rt/cmd %q, want 1.00 (up to 1.10)\n%s", proxy, rt, stdout)
		}
		switch n, err := strconv.ParseFloat(cmds, 64); {
		case !proxy && cmds != "-":
			t.Errorf("no proxy: Redis cmds/cmd %q, want - (only the proxy counts them)", cmds)
		case proxy && (err != nil || n < 1 || n > 1.1):
			t.Errorf("proxy: Redis cmds/cmd %q, want 1.00 (up to 1.10)\n%s", cmds, stdout)
		}
	}
}

// TestRoundsArePooled: with -rounds the bot and the floor take turns, and
// each row holds the acks of all its rounds.
func TestRoundsArePooled(t *testing.T) {
	bin := buildBot(t)
	stdout := runTool(t, "-bin", bin, "-scenarios", "inside", "-rate", "40", "-duration", "250ms", "-warmup", "3", "-rounds", "3")
	acks := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) == 14 {
			acks[f[0]] = f[1]
		}
	}
	for _, who := range []string{"empowerbot", "floor"} {
		if acks[who] != "30" {
			t.Errorf("%s: %q acks, want 30 (3 rounds of 10)\n%s", who, acks[who], stdout)
		}
	}
	if !strings.Contains(stdout, "3 rounds each, pooled") {
		t.Errorf("the header does not say the rounds are pooled:\n%s", stdout)
	}
}

// runTool runs the tool with args and returns what it printed, failing the
// test when it exits with an error.
func runTool(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("%q: exit code %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestStoreFloor: with -store-floor a third row measures the floor that
// stores each command in one Redis round trip and confirms it in the ack
// (the reply is checked, as the bot's is), with the ratios to it.
func TestStoreFloor(t *testing.T) {
	bin := buildBot(t)
	stdout := runTool(t, "-bin", bin, "-scenarios", "inside,button", "-store-floor", "-rate", "40", "-duration", "250ms", "-warmup", "3")
	rows := map[string][]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "== button") {
			break
		}
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	store := rows["floor+store"]
	if len(store) != 14 || store[1] != "10" || store[13] != "0" {
		t.Fatalf("floor+store row %q, want 10 acks and no error\n%s", store, stdout)
	}
	if n, err := strconv.ParseFloat(store[10], 64); err != nil || n < 1 || n > 1.1 {
		t.Errorf("floor+store: Redis rt/cmd %q, want 1.00 (one round trip per command)\n%s", store[10], stdout)
	}
	for _, want := range []string{"bot/floor", "bot/floor+store", "floor+store/floor"} {
		if _, ok := rows[want]; !ok {
			t.Errorf("no %s ratios:\n%s", want, stdout)
		}
	}
	if got := strings.Count(stdout, "floor+store "); got < 2 {
		t.Errorf("the store floor is not measured in each scenario:\n%s", stdout)
	}
}
