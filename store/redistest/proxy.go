package redistest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy in front of a Redis server, for tests of what a
// client makes of a Redis that stops answering half way through a command.
// It forwards every byte both ways, until a connection sends a command
// holding the armed marker (HoldReply, ResetAfterReply): that command is
// forwarded to Redis, which runs it, and its reply never reaches the
// client. It is one-shot: the marker is disarmed once seen.
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	marker []byte
	mode   int32
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup

	triggered atomic.Int64
}

// What a Proxy does to the connection that sent the marker.
const (
	pass  int32 = iota
	hold        // the replies are dropped; the connection stays open
	reset       // the reply is awaited, dropped, and the connection reset
)

// StartProxy starts a Proxy on a free loopback port in front of target
// (host:port), closed on t's cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: proxy listen: %v", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's redis:// URL.
func (p *Proxy) URL() string { return "redis://" + p.Addr() + "/0" }

// HoldReply arms the proxy: the next command holding marker is forwarded,
// and from then on nothing Redis sends on that connection reaches the
// client (its read times out; the command ran).
func (p *Proxy) HoldReply(marker string) { p.arm(marker, hold) }

// ResetAfterReply arms the proxy: the next command holding marker is
// forwarded, its reply is awaited and dropped, and the client's connection
// is reset (its read fails with "connection reset"; the command ran).
func (p *Proxy) ResetAfterReply(marker string) { p.arm(marker, reset) }

func (p *Proxy) arm(marker string, mode int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker, p.mode = []byte(marker), mode
}

// Triggered is how many times an armed marker was seen.
func (p *Proxy) Triggered() int { return int(p.triggered.Load()) }

// take returns the mode for a connection whose data (with what came just
// before it) holds the armed marker, disarming it; pass otherwise.
func (p *Proxy) take(data []byte) int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == pass || !bytes.Contains(data, p.marker) {
		return pass
	}
	m := p.mode
	p.mode, p.marker = pass, nil
	p.triggered.Add(1)
	return m
}

func (p *Proxy) markerLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.marker)
}

// Close stops the proxy and closes every connection through it, and waits
// for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client) || !p.track(server) {
			_ = client.Close()
			_ = server.Close()
			return
		}
		var mode atomic.Int32
		p.wg.Add(2)
		go p.toServer(client, server, &mode)
		go p.toClient(server, client, &mode)
	}
}

// toServer copies the client's commands to Redis, setting mode when one
// holds the armed marker (before it is forwarded, so that its reply is
// judged by the new mode).
func (p *Proxy) toServer(client, server net.Conn, mode *atomic.Int32) {
	defer p.wg.Done()
	defer func() { _ = server.Close() }()
	buf := make([]byte, 32*1024)
	var tail []byte // the last bytes of the previous read: a marker may straddle two
	for {
		n, err := client.Read(buf)
		if n > 0 {
			data := append(tail, buf[:n]...)
			if mode.Load() == pass {
				if m := p.take(data); m != pass {
					mode.Store(m)
				}
			}
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
			switch k := p.markerLen(); {
			case k == 0:
				tail = nil
			case len(data) >= k:
				tail = append([]byte(nil), data[len(data)-k+1:]...)
			default:
				tail = append([]byte(nil), data...)
			}
		}
		if err != nil {
			return
		}
	}
}

// toClient copies Redis's replies to the client, unless mode says to hold
// or reset.
func (p *Proxy) toClient(server, client net.Conn, mode *atomic.Int32) {
	defer p.wg.Done()
	defer func() { _ = client.Close() }()
	buf := make([]byte, 32*1024)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			switch mode.Load() {
			case pass:
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			case reset:
				if tc, ok := client.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST
				}
				return
			}
			// hold: dropped
		}
		if err != nil {
			return // the other side closed, or Close
		}
	}
}
