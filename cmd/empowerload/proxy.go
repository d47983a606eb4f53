package main

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// redisProxy sits between the bot and redis-server and counts what the bot
// sends: round trips (a write of the client that starts at a command
// boundary: a pipeline or a MULTI/EXEC written at once is one) and
// top-level commands (a script's EVALSHA is one, whatever it runs inside).
type redisProxy struct {
	ln       net.Listener
	upstream string

	roundTrips atomic.Int64
	commands   atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy listens on a free loopback port and forwards to upstream.
// Its goroutines end with close.
func startProxy(upstream string) (*redisProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &redisProxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// addr is where the bot connects.
func (p *redisProxy) addr() string { return p.ln.Addr().String() }

// counts returns round trips and commands so far; zeros for no proxy.
func (p *redisProxy) counts() (roundTrips, commands int64) {
	if p == nil {
		return 0, 0
	}
	return p.roundTrips.Load(), p.commands.Load()
}

func (p *redisProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.fromClient(c, u)
			_ = u.Close()
			_ = c.Close()
		}()
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(c, u)
			_ = c.Close()
			_ = u.Close()
		}()
	}
}

// fromClient copies the client's bytes to redis, counting as it goes.
func (p *redisProxy) fromClient(c, u net.Conn) {
	var rp respCounter
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if rp.atBoundary() {
				p.roundTrips.Add(1)
			}
			p.commands.Add(int64(rp.feed(buf[:n])))
			if _, werr := u.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close stops the proxy and every connection through it.
func (p *redisProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// respCounter counts the commands of a RESP request stream (arrays of bulk
// strings, as every client library sends them).
type respCounter struct {
	line    []byte // the header line being read
	elems   int    // bulk strings left in the current array
	skip    int    // bytes of a bulk string (and its CRLF) left to skip
	inArray bool
}

var errRESP = errors.New("not a RESP request")

// atBoundary reports whether the stream is between two commands.
func (r *respCounter) atBoundary() bool {
	return !r.inArray && r.skip == 0 && len(r.line) == 0
}

// feed consumes b and returns the number of commands completed in it.
func (r *respCounter) feed(b []byte) int {
	done := 0
	for len(b) > 0 {
		if r.skip > 0 {
			k := min(r.skip, len(b))
			r.skip -= k
			b = b[k:]
			if r.skip == 0 && r.elems == 0 && r.inArray {
				r.inArray = false
				done++
			}
			continue
		}
		i := indexByte(b, '\n')
		if i < 0 {
			r.line = append(r.line, b...)
			return done
		}
		r.line = append(r.line, b[:i+1]...)
		b = b[i+1:]
		line := r.line
		r.line = r.line[:0]
		n, kind, err := header(line)
		if err != nil {
			// An inline command (a line of text): one command.
			r.inArray, r.elems = false, 0
			done++
			continue
		}
		switch kind {
		case '*':
			if n <= 0 {
				done++
				continue
			}
			r.inArray, r.elems = true, n
		case '$':
			r.elems--
			r.skip = n + 2
			if n < 0 {
				r.skip = 0
				if r.elems == 0 {
					r.inArray = false
					done++
				}
			}
		}
	}
	return done
}

// header parses "*N\r\n" or "$N\r\n".
func header(line []byte) (int, byte, error) {
	if len(line) < 3 || (line[0] != '*' && line[0] != '$') {
		return 0, 0, errRESP
	}
	s := string(line[1:])
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, 0, errRESP
	}
	return n, line[0], nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
