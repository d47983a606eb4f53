package slackemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxAckFrame is Slack's limit for a Socket Mode response frame: larger frames close the socket
// with code 1009.
const maxAckFrame = 20 * 1024

// Envelope types.
const (
	EnvelopeSlash       = "slash_commands"
	EnvelopeInteractive = "interactive"
	EnvelopeEvents      = "events_api"
)

// Ack is the acknowledgement of an envelope.
type Ack struct {
	// EnvelopeID is the ID of the delivery attempt that was acknowledged.
	EnvelopeID string
	// Payload is the ack's payload (nil for a bare ack).
	Payload json.RawMessage
	// Latency is the time from writing the envelope to reading its ack.
	Latency time.Duration
	// Attempt is the retry_attempt of the acknowledged delivery (0 for the first).
	Attempt int
	// ResponseAction and Errors are decoded from a view_submission ack.
	ResponseAction string
	Errors         map[string]string
}

// delivery is one envelope and its delivery attempts (each with its own envelope ID).
type delivery struct {
	typ             string
	payload         json.RawMessage
	acceptsResponse bool
	redeliver       bool
	raw             []byte // for SendRaw: the frame to write as is

	firstID string
	curID   string
	ids     map[string]int // attempt envelope ID -> retry_attempt
	attempt int
	reason  string
	timer   *time.Timer

	acked bool
	ack   Ack
	err   error
	done  chan struct{}

	slash *SlashResult // slash commands: the decoded reply, filled by onAck

	// onAck runs once, before done is closed, with the ack; its error becomes the wait error.
	onAck func(Ack) error
}

func (d *delivery) frame() []byte {
	if d.raw != nil {
		return d.raw
	}
	b, _ := json.Marshal(map[string]any{
		"envelope_id":              d.curID,
		"type":                     d.typ,
		"payload":                  d.payload,
		"accepts_response_payload": d.acceptsResponse,
		"retry_attempt":            d.attempt,
		"retry_reason":             d.reason,
	})
	return b
}

// wsConn is one Socket Mode connection. Its reader goroutine reads acks until the socket
// closes; its pinger goroutine pings until the connection is closed.
type wsConn struct {
	id     int
	ws     *websocket.Conn
	wmu    sync.Mutex // serialises writes
	ready  bool       // guarded by Server.mu: hello sent, may take envelopes
	closed chan struct{}
	once   sync.Once
}

func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.closed)
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
		c.wmu.Unlock()
		_ = c.ws.Close()
	})
}

func (s *Server) connectionsOpen(p params, r *http.Request, fail func(int, *apiError) (int, map[string]any)) (int, map[string]any) {
	token := trimBearer(r.Header.Get("Authorization"))
	switch {
	case token == "" && p.str("token") != "":
		return fail(http.StatusOK, errf("invalid_auth", "the app-level token must be sent as Authorization: Bearer"))
	case token == "":
		return fail(http.StatusOK, errf("not_authed"))
	case token == s.opts.BotToken:
		return fail(http.StatusOK, errf("not_allowed_token_type"))
	case token != s.opts.AppToken:
		return fail(http.StatusOK, errf("invalid_auth"))
	}
	s.mu.Lock()
	var inj *injection
	if list := s.injections["apps.connections.open"]; len(list) > 0 {
		inj = &list[0]
		s.injections["apps.connections.open"] = list[1:]
	}
	s.mu.Unlock()
	if inj != nil && inj.retryAfter > 0 {
		st, body := fail(http.StatusTooManyRequests, errf("ratelimited"))
		body["__retry_after"] = retryAfterSeconds(inj.retryAfter)
		return st, body
	}
	if inj != nil {
		return fail(http.StatusOK, errf(inj.slackErr))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := randomHex(12)
	s.tickets[ticket] = time.Now()
	s.recordCallLocked("apps.connections.open", p, http.StatusOK, "")
	wsURL := "ws://" + r.Host + "/link/?ticket=" + ticket + "&app_id=" + s.opts.AppID
	return http.StatusOK, map[string]any{"ok": true, "url": wsURL}
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	issued, ok := s.tickets[ticket]
	delete(s.tickets, ticket)
	closed := s.closed
	s.mu.Unlock()
	if !ok || closed || time.Since(issued) > time.Minute {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("slackemu: upgrade", "err", err)
		return
	}
	ws.SetReadLimit(1 << 20)
	c := &wsConn{ws: ws, closed: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.seq++
	c.id = int(s.seq)
	s.conns = append(s.conns, c)
	n := len(s.conns)
	s.mu.Unlock()

	s.wg.Go(func() { s.pinger(c) })
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info":      map[string]any{"host": "slackemu", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	})
	if err := c.write(hello); err != nil {
		s.dropConn(c)
		return
	}
	s.mu.Lock()
	c.ready = true
	queued := s.queue
	s.queue = nil
	s.wakeLocked("conns")
	s.publishLocked(Change{Kind: ChangeConnection})
	s.mu.Unlock()
	for _, d := range queued {
		s.dispatch(d)
	}
	s.reader(c) // runs on the handler goroutine until the socket closes
}

func (s *Server) pinger(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-s.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("Ping from slackemu"), time.Now().Add(5*time.Second)); err != nil {
				s.dropConn(c)
				return
			}
		}
	}
}

func (s *Server) reader(c *wsConn) {
	defer s.dropConn(c)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if len(data) >= maxAckFrame {
			c.wmu.Lock()
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseMessageTooBig, fmt.Sprintf("Max frame length of %d has been exceeded", maxAckFrame)),
				time.Now().Add(time.Second))
			c.wmu.Unlock()
			return
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &a) == nil && a.EnvelopeID != "" {
			s.handleAck(a.EnvelopeID, a.Payload)
		}
	}
}

// dropConn forgets a connection and closes it.
func (s *Server) dropConn(c *wsConn) {
	s.mu.Lock()
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
		s.wakeLocked("conns")
		s.publishLocked(Change{Kind: ChangeConnection})
	}
	s.mu.Unlock()
	c.close()
}

func (s *Server) pickConnLocked() *wsConn {
	n := len(s.conns)
	for range n {
		s.rr++
		c := s.conns[s.rr%n]
		if c.ready {
			return c
		}
	}
	return nil
}

// send registers a new delivery and dispatches it.
func (s *Server) send(d *delivery) string {
	d.done = make(chan struct{})
	s.mu.Lock()
	if d.curID == "" {
		d.curID = newUUID()
	}
	d.firstID = d.curID
	d.ids = map[string]int{d.curID: d.attempt}
	s.deliveries[d.curID] = d
	s.mu.Unlock()
	s.dispatch(d)
	return d.firstID
}

// dispatch writes the current attempt of d to one ready connection, or queues it.
func (s *Server) dispatch(d *delivery) {
	for {
		s.mu.Lock()
		if s.closed || d.acked || d.err != nil {
			s.mu.Unlock()
			return
		}
		c := s.pickConnLocked()
		if c == nil {
			s.queue = append(s.queue, d)
			s.mu.Unlock()
			return
		}
		id := d.curID
		frame := d.frame()
		s.sentAt[id] = time.Now()
		if d.timer != nil {
			d.timer.Stop()
		}
		d.timer = time.AfterFunc(s.opts.AckTimeout, func() { s.ackTimeout(d, id) })
		s.mu.Unlock()
		if err := c.write(frame); err != nil {
			s.dropConn(c)
			continue
		}
		return
	}
}

// ackTimeout redelivers d if attempt id is still unacknowledged.
func (s *Server) ackTimeout(d *delivery, id string) {
	s.mu.Lock()
	if s.closed || d.acked || d.err != nil || d.curID != id {
		s.mu.Unlock()
		return
	}
	if !d.redeliver || d.attempt >= s.opts.MaxRetries {
		d.err = ErrNotAcked
		close(d.done)
		s.mu.Unlock()
		return
	}
	d.attempt++
	d.reason = "timeout"
	d.curID = newUUID()
	d.ids[d.curID] = d.attempt
	s.deliveries[d.curID] = d
	s.mu.Unlock()
	s.dispatch(d)
}

// handleAck matches an ack to its delivery; an ack of an unknown envelope ID is ignored.
func (s *Server) handleAck(id string, payload json.RawMessage) {
	s.mu.Lock()
	d, ok := s.deliveries[id]
	if !ok {
		s.mu.Unlock()
		return
	}
	if d.acked || (d.err != nil && d.err != ErrNotAcked) {
		s.mu.Unlock()
		return // a second ack of the same envelope (e.g. after redelivery): ignored
	}
	if string(payload) == "null" {
		payload = nil
	}
	lat := time.Since(s.sentAt[id])
	attempt := d.ids[id]
	d.acked = true
	if d.timer != nil {
		d.timer.Stop()
	}
	ack := Ack{EnvelopeID: id, Payload: payload, Latency: lat, Attempt: attempt}
	if d.typ == EnvelopeInteractive && len(payload) > 0 {
		var ra struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if json.Unmarshal(payload, &ra) == nil {
			ack.ResponseAction, ack.Errors = ra.ResponseAction, ra.Errors
		}
	}
	s.latencies = append(s.latencies, lat)
	wasFailed := d.err != nil
	s.mu.Unlock()

	var err error
	if d.onAck != nil {
		err = d.onAck(ack)
	}
	s.mu.Lock()
	d.ack, d.err = ack, err
	if !wasFailed {
		close(d.done)
	}
	s.mu.Unlock()
}

// WaitAck waits for the ack of an envelope sent earlier (any of its delivery attempts counts).
// It returns ErrNotAcked when every attempt timed out.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	s.mu.Lock()
	d, ok := s.deliveries[envelopeID]
	s.mu.Unlock()
	if !ok {
		return Ack{}, fmt.Errorf("slackemu: unknown envelope %s", envelopeID)
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("slackemu: wait for ack of %s: %w", envelopeID, ctx.Err())
	case <-s.done:
		return Ack{}, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.ack, d.err
}

// Redeliver sends an envelope again, as Slack does after a lost ack, with a new envelope ID,
// retry_attempt one higher and the given retry_reason (e.g. "timeout"), and waits for its ack.
// The first ack of the original is kept; the returned Ack is the redelivery's.
func (s *Server) Redeliver(ctx context.Context, envelopeID, reason string) (Ack, error) {
	s.mu.Lock()
	old, ok := s.deliveries[envelopeID]
	s.mu.Unlock()
	if !ok {
		return Ack{}, fmt.Errorf("slackemu: unknown envelope %s", envelopeID)
	}
	d := &delivery{typ: old.typ, payload: old.payload, acceptsResponse: old.acceptsResponse,
		attempt: old.attempt + 1, reason: reason, onAck: old.onAck}
	id := s.send(d)
	return s.WaitAck(ctx, id)
}

// SendRaw writes a raw frame to one connection (round robin), e.g. an envelope slack-go cannot
// parse. When the frame carries an "envelope_id", WaitAck works for it; it is never redelivered.
func (s *Server) SendRaw(frame []byte) string {
	var e struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(frame, &e)
	d := &delivery{raw: frame, curID: e.EnvelopeID}
	if d.curID == "" {
		d.curID = newUUID() // tracked under an ID the frame does not carry
	}
	return s.send(d)
}

// Disconnect sends {"type":"disconnect","reason":reason} to every connection (slack-go then
// reconnects) and closes them a moment later, as Slack does. Reasons: "refresh_requested",
// "warning", "link_disabled", "too_many_websockets".
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	for _, c := range conns {
		if reason != "warning" {
			c.ready = false
		}
	}
	s.mu.Unlock()
	frame, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "slackemu"}})
	for _, c := range conns {
		_ = c.write(frame)
		if reason != "warning" {
			time.AfterFunc(time.Second, func() { s.dropConn(c) })
		}
	}
}

// Connections returns the number of open Socket Mode connections that take envelopes.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyConnsLocked()
}

func (s *Server) readyConnsLocked() int {
	n := 0
	for _, c := range s.conns {
		if c.ready {
			n++
		}
	}
	return n
}

// WaitConnections waits until at least n Socket Mode connections take envelopes.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	_, err := waitFor(ctx, s, "conns", func() (struct{}, bool) { return struct{}{}, s.readyConnsLocked() >= n })
	return err
}

// AckLatencies returns the latency of every ack received, in arrival order.
func (s *Server) AckLatencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.latencies)
}

// EnvelopeStats counts the envelopes the emulator delivered: Sent counts each envelope once
// (its timeout redeliveries aside; a forced Redeliver counts as one more), Acked those
// acknowledged at some attempt, Redelivered those sent more than once, NeverAcked those given
// up on after every retry (Slack drops them: lost).
type EnvelopeStats struct {
	Sent, Acked, Redelivered, NeverAcked int
}

// Envelopes returns the counts of every envelope delivered so far (SendRaw frames aside).
func (s *Server) Envelopes() EnvelopeStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*delivery]bool{}
	var st EnvelopeStats
	for _, d := range s.deliveries {
		if seen[d] || d.raw != nil {
			continue
		}
		seen[d] = true
		st.Sent++
		if d.acked {
			st.Acked++
		}
		if len(d.ids) > 1 || d.attempt > 0 {
			st.Redelivered++
		}
		if errors.Is(d.err, ErrNotAcked) {
			st.NeverAcked++
		}
	}
	return st
}
