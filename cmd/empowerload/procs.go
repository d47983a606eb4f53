package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/redisproc"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100
// on every Linux architecture Go supports).
const clockTicks = 100

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) { return redisproc.FreePort() }

// redisServer is the redis-server this run started.
type redisServer struct {
	proc *redisproc.Proc
	addr string
	rdb  *redis.Client
}

// startRedis starts redis-server on a free loopback port, without
// persistence, and waits until it answers.
func startRedis() (*redisServer, error) {
	proc, err := redisproc.Start(redisproc.Spec{Args: func(port int) ([]string, error) {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"}, nil
	}})
	if err != nil {
		return nil, err
	}
	r := &redisServer{proc: proc, addr: proc.Addr()}
	r.rdb = redis.NewClient(&redis.Options{Addr: r.addr})
	return r, nil
}

// stop stops the redis-server this run started, by its PID.
func (r *redisServer) stop() {
	_ = r.rdb.Close()
	r.proc.Stop(syscall.SIGTERM, 5*time.Second)
}

// redisSnapshot is what redis-server has counted so far.
type redisSnapshot struct {
	// calls is INFO commandstats as command -> calls (commands run by
	// scripts included).
	calls map[string]int64
	// reads is INFO stats' total_reads_processed: the read events on
	// client sockets, one per request a client writes at once (a command,
	// a pipeline, a MULTI/EXEC), the snapshot's own included.
	reads int64
	// cpu is the server's utime + stime.
	cpu time.Duration
}

// snapshot reads INFO stats and commandstats, in one command (one read
// event), and the server's CPU time.
func (r *redisServer) snapshot(ctx context.Context) (redisSnapshot, error) {
	snap := redisSnapshot{calls: map[string]int64{}, cpu: readProc(r.proc.PID()).cpu}
	s, err := r.rdb.Info(ctx, "stats", "commandstats").Result()
	if err != nil {
		return snap, fmt.Errorf("info stats commandstats: %w", err)
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "total_reads_processed:"); ok {
			snap.reads, _ = strconv.ParseInt(v, 10, 64)
			continue
		}
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				snap.calls[name] = n
			}
		}
	}
	return snap, nil
}

// stopProcess sends SIGTERM to the process cmd started, waits up to grace,
// then kills it; always by its own PID.
func stopProcess(cmd *exec.Cmd, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// procStat is what /proc tells of a process.
type procStat struct {
	cpu   time.Duration // utime + stime
	hwm   int64         // VmHWM, bytes: the peak resident set
	rss   int64         // VmRSS, bytes
	valid bool
}

// readProc reads /proc/PID/stat and /proc/PID/status.
func readProc(pid int) procStat {
	var st procStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st
	}
	// The command name (field 2) may hold spaces: fields after its ')'.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 {
		f := strings.Fields(string(b[i+1:]))
		// f[0] is field 3 (state); utime is field 14, stime 15.
		if len(f) > 13 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			stt, _ := strconv.ParseInt(f[12], 10, 64)
			st.cpu = time.Duration(ut+stt) * time.Second / clockTicks
		}
	}
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st
	}
	for _, line := range strings.Split(string(s), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb := func() int64 {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n * 1024
		}
		switch k {
		case "VmHWM":
			st.hwm = kb()
		case "VmRSS":
			st.rss = kb()
		}
	}
	st.valid = true
	return st
}

// resetPeak resets the process's peak RSS (VmHWM) to its current RSS, so
// that the peak measured is the load's, not the start-up's. It reports
// whether the kernel allowed it.
func resetPeak(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// uptime returns the machine's load averages ("0.52 0.61 0.70").
func uptime() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
