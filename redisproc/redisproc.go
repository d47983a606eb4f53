// Package redisproc runs a redis-server child process on a loopback port:
// it picks a free port, starts the server, waits until it answers PING,
// and stops it by its PID. The sandbox, the tests' Redis helper, the load
// tool and the chaos suite each run their servers through it.
package redisproc

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultStartTimeout bounds how long a server may take to answer PING
// when Spec.StartTimeout is zero.
const DefaultStartTimeout = 10 * time.Second

// outputLimit caps how much of a server's output is kept for an error
// message.
const outputLimit = 64 << 10

// ErrNotFound says redis-server is not on PATH.
var ErrNotFound = errors.New("redis-server not found on PATH (install it: apt-get install redis-server, brew install redis)")

// Spec says how to run one redis-server.
type Spec struct {
	// Path is the redis-server binary; empty looks redis-server up on PATH.
	Path string
	// Args returns the server's arguments for a port: at least that port
	// and a loopback bind, as flags or in a configuration file it writes.
	Args func(port int) ([]string, error)
	// SysProcAttr, when set, is the child's process attributes (a process
	// group of its own, say).
	SysProcAttr *syscall.SysProcAttr
	// StartTimeout bounds how long the server may take to answer PING
	// (DefaultStartTimeout when zero).
	StartTimeout time.Duration
}

// Proc is one redis-server child process. Its methods are safe for
// concurrent use.
type Proc struct {
	spec Spec
	port int
	args []string
	out  *limitedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a server on a free loopback port and waits until it answers
// PING. A port taken between being picked and being bound is tried again,
// five times in all.
func Start(spec Spec) (*Proc, error) {
	if spec.Path == "" {
		path, err := exec.LookPath("redis-server")
		if err != nil {
			return nil, ErrNotFound
		}
		spec.Path = path
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = DefaultStartTimeout
	}
	var lastErr error
	for range 5 {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		args, err := spec.Args(port)
		if err != nil {
			return nil, fmt.Errorf("redis-server arguments: %w", err)
		}
		p := &Proc{spec: spec, port: port, args: args, out: &limitedBuffer{}}
		if lastErr = p.start(); lastErr == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("start redis-server: %w", lastErr)
}

// Port is the server's port on 127.0.0.1.
func (p *Proc) Port() int { return p.port }

// Addr is the server's host:port.
func (p *Proc) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// PID is the running server's process id, or 0 when it is stopped.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Output is what the server printed (its first 64 KiB).
func (p *Proc) Output() string { return p.out.String() }

// Stop sends sig to the server and waits for it to exit, sending SIGKILL
// when it has not exited after grace (grace ≤ 0 waits as long as it takes).
// It does nothing when the server is not running.
func (p *Proc) Stop(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.done = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace <= 0 {
		<-done
		return
	}
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill ends the server at once with SIGKILL, as a crash would, and waits
// for it.
func (p *Proc) Kill() { p.Stop(syscall.SIGKILL, 0) }

// Restart stops the server if it runs and starts it again with the same
// port and arguments (so the same data directory), trying again for about a
// second while the old socket lingers.
func (p *Proc) Restart() error {
	p.Stop(syscall.SIGTERM, 5*time.Second)
	var err error
	for range 50 {
		if err = p.start(); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("restart redis-server on %s: %w", p.Addr(), err)
}

// start runs the process and waits until it answers PING, exits, or the
// start timeout passes (then it is killed).
func (p *Proc) start() error {
	cmd := exec.Command(p.spec.Path, p.args...)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = p.spec.SysProcAttr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", p.spec.Path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(p.spec.StartTimeout)
	for !Ping(p.Addr()) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited during start-up: %s", strings.TrimSpace(p.out.String()))
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on %s did not answer PING within %s", p.Addr(), p.spec.StartTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	return nil
}

// Ping sends one inline PING to addr and reports whether +PONG came back.
func Ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// limitedBuffer keeps the first outputLimit bytes written to it, safely
// across goroutines.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := outputLimit - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
