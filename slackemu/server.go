package slackemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Default identities of the emulated workspace and app.
const (
	DefaultAppToken  = "xapp-1-emulator"
	DefaultBotToken  = "xoxb-emulator"
	DefaultTeamID    = "T0EMU"
	DefaultBotUserID = "U0BOT"
	DefaultBotID     = "B0BOT"
	DefaultAppID     = "A0EMU"
	DefaultCommand   = "/empower"
)

// ErrNotAcked is returned by WaitAck (and the helpers that wait for an ack) when an envelope was
// delivered 1+MaxRetries times and never acknowledged.
var ErrNotAcked = errors.New("slackemu: envelope not acknowledged")

// ErrClosed is returned by waiting helpers when the server is closed.
var ErrClosed = errors.New("slackemu: server closed")

// Options configure a Server. The zero value is usable: every empty field takes its default.
type Options struct {
	AppToken   string // app-level token accepted by apps.connections.open; default "xapp-1-emulator"
	BotToken   string // bot token accepted by every Web API method; default "xoxb-emulator"
	TeamID     string // default "T0EMU"
	TeamDomain string // default "emulator"
	BotUserID  string // user ID of the bot; default "U0BOT"
	BotID      string // default "B0BOT"
	AppID      string // default "A0EMU"
	Command    string // slash command sent by SlashCommand; default "/empower"

	// AckTimeout is how long an envelope may stay unacknowledged before it is redelivered
	// (default 3s, Slack's deadline).
	AckTimeout time.Duration
	// MaxRetries is how many times an unacknowledged envelope is redelivered (default 3).
	// NoRedelivery turns redelivery off.
	MaxRetries   int
	NoRedelivery bool
	// PingInterval is the period of WebSocket PINGs to every connection (default 5s).
	PingInterval time.Duration
	// TriggerTTL is how long a trigger_id stays valid (default 3s).
	TriggerTTL time.Duration

	// Now is the clock for trigger_id and response_url expiry and event times (default time.Now);
	// a test can move it forward to expire triggers without sleeping.
	Now func() time.Time
	// MessageClock, when set, stamps each message's At when it is posted: the sandbox's bot
	// clock, so that the page shows message times in bot time. Nil leaves At zero.
	MessageClock func() time.Time

	// Directory seeded at start.
	Users      []User
	UserGroups []UserGroup
	Channels   []Channel

	// Logger receives debug logs of the emulator; nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.AppToken, DefaultAppToken)
	def(&o.BotToken, DefaultBotToken)
	def(&o.TeamID, DefaultTeamID)
	def(&o.TeamDomain, "emulator")
	def(&o.BotUserID, DefaultBotUserID)
	def(&o.BotID, DefaultBotID)
	def(&o.AppID, DefaultAppID)
	def(&o.Command, DefaultCommand)
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.NoRedelivery {
		o.MaxRetries = 0
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.TriggerTTL <= 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server is an in-process fake of Slack: Web API, Socket Mode, response URLs and file uploads.
// All methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	handlers map[string]apiHandler
	upgrader websocket.Upgrader

	httpSrv *http.Server
	ln      net.Listener
	base    string // "http://host:port/"
	done    chan struct{}
	wg      sync.WaitGroup

	mu sync.Mutex // guards every field below

	closed bool
	seq    uint64 // ID counter
	lastTS int64  // last message ts in microseconds

	// directory
	users      map[string]*User
	userOrder  []string
	groups     map[string]*UserGroup
	groupOrder []string
	channels   map[string]*Channel
	dmByUser   map[string]string // user ID -> DM channel ID
	dmUser     map[string]string // DM channel ID -> user ID

	// messages
	logs       map[string]*chanLog   // channel ID -> messages
	ephemerals map[string][]*Message // user ID -> ephemeral messages in order
	ephByKey   map[string]*Message   // channel+"/"+ts -> ephemeral message

	// Web API
	calls      []Call
	callIdx    map[string][]int // method -> indexes into calls
	injections map[string][]injection
	limiters   map[string]*rate.Limiter
	scopes     []string // the bot token's; nil: DefaultScopes (workspace.go)
	freePlan   bool

	// socket mode
	conns      []*wsConn
	rr         int
	tickets    map[string]time.Time
	deliveries map[string]*delivery // any attempt's envelope ID -> delivery
	sentAt     map[string]time.Time // attempt envelope ID -> time written
	queue      []*delivery          // waiting for a connection
	latencies  []time.Duration

	// interactions
	triggers  map[string]*trigger
	responses map[string]*responseURL

	// views
	views     map[string]*viewRec
	extViews  map[string]string   // external_id -> view ID
	stacks    map[string][]string // user ID -> open modal view IDs, root first
	homes     map[string]string   // user ID -> home view ID
	viewOrder []string

	// files
	files     map[string]*File
	fileOrder []string

	// change notification
	waiters map[string]chan struct{}
	subs    map[int]*subscriber
}

// New returns a Server configured by opts. Call Start to serve it.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:       opts,
		log:        opts.Logger,
		done:       make(chan struct{}),
		users:      map[string]*User{},
		groups:     map[string]*UserGroup{},
		channels:   map[string]*Channel{},
		dmByUser:   map[string]string{},
		dmUser:     map[string]string{},
		logs:       map[string]*chanLog{},
		ephemerals: map[string][]*Message{},
		ephByKey:   map[string]*Message{},
		callIdx:    map[string][]int{},
		injections: map[string][]injection{},
		limiters:   map[string]*rate.Limiter{},
		tickets:    map[string]time.Time{},
		deliveries: map[string]*delivery{},
		sentAt:     map[string]time.Time{},
		triggers:   map[string]*trigger{},
		responses:  map[string]*responseURL{},
		views:      map[string]*viewRec{},
		extViews:   map[string]string{},
		stacks:     map[string][]string{},
		homes:      map[string]string{},
		files:      map[string]*File{},
		waiters:    map[string]chan struct{}{},
		subs:       map[int]*subscriber{},
	}
	s.upgrader = websocket.Upgrader{
		CheckOrigin:     func(*http.Request) bool { return true }, // slack-go sends Origin: https://api.slack.com
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 32 << 10,
	}
	s.handlers = s.apiHandlers()
	s.AddUser(User{ID: opts.BotUserID, Name: "empowerbot", RealName: "empowerbot", IsBot: true})
	for _, u := range opts.Users {
		s.AddUser(u)
	}
	for _, c := range opts.Channels {
		s.AddChannel(c.ID, c.Name)
	}
	for _, g := range opts.UserGroups {
		s.AddUserGroup(g.ID, g.Handle, g.Users...)
	}
	return s
}

// Start serves the emulator on addr ("127.0.0.1:0" picks a free port).
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("slackemu: listen %s: %w", addr, err)
	}
	s.ln = ln
	s.base = "http://" + ln.Addr().String() + "/"
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleLink)
	mux.HandleFunc("/response/", s.handleResponseURL)
	mux.HandleFunc("/upload/", s.handleUpload)
	mux.HandleFunc("/files/", s.handleFileDownload)
	mux.HandleFunc("/archives/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "slackemu permalink %s\n", r.URL.Path)
	})
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("slackemu: serve", "err", err)
		}
	})
	return nil
}

// TB is the part of testing.TB that Start uses (the emulator does not import
// testing, so that the sandbox's binary does not carry it).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start starts a Server for a test on 127.0.0.1:0 and closes it when the test ends.
//
//	emu := slackemu.Start(t, slackemu.Options{Users: []slackemu.User{{ID: "U0DAVE", Name: "dave"}}})
//	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.URL()), slack.OptionAppLevelToken(emu.AppToken()))
func Start(t TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start slack emulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops serving, closes every WebSocket connection and fails every pending wait.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := s.conns
	s.conns = nil
	for _, d := range s.deliveries {
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	for k, ch := range s.waiters {
		close(ch)
		delete(s.waiters, k)
	}
	for id, sub := range s.subs {
		sub.close()
		delete(s.subs, id)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.httpSrv.Shutdown(ctx)
	}
	s.wg.Wait()
}

// URL returns the Web API base URL, ending in "/", for slack.OptionAPIURL or SLACK_API_URL.
func (s *Server) URL() string { return s.base + "api/" }

// BaseURL returns the root URL of the emulator ("http://127.0.0.1:port/").
func (s *Server) BaseURL() string { return s.base }

// AppToken returns the app-level token accepted by apps.connections.open.
func (s *Server) AppToken() string { return s.opts.AppToken }

// BotToken returns the bot token accepted by the Web API.
func (s *Server) BotToken() string { return s.opts.BotToken }

// TeamID returns the workspace ID.
func (s *Server) TeamID() string { return s.opts.TeamID }

// BotUserID returns the bot's user ID.
func (s *Server) BotUserID() string { return s.opts.BotUserID }

// BotID returns the bot's bot ID.
func (s *Server) BotID() string { return s.opts.BotID }

// Command returns the slash command SlashCommand sends, e.g. "/empower".
func (s *Server) Command() string { return s.opts.Command }

// nextIDLocked returns prefix followed by a unique upper-case counter.
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08X", prefix, s.seq)
}

// nextTSLocked returns a unique, increasing message timestamp.
func (s *Server) nextTSLocked() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// waitLocked returns a channel closed at the next change under key. Caller holds s.mu.
func (s *Server) waitLocked(key string) <-chan struct{} {
	if s.closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	ch, ok := s.waiters[key]
	if !ok {
		ch = make(chan struct{})
		s.waiters[key] = ch
	}
	return ch
}

// wakeLocked wakes everyone waiting on key. Caller holds s.mu.
func (s *Server) wakeLocked(key string) {
	if ch, ok := s.waiters[key]; ok {
		close(ch)
		delete(s.waiters, key)
	}
}

// waitFor polls check under s.mu, waking on changes of key, until check reports done or ctx ends.
func waitFor[T any](ctx context.Context, s *Server, key string, check func() (T, bool)) (T, error) {
	for {
		s.mu.Lock()
		v, ok := check()
		if ok {
			s.mu.Unlock()
			return v, nil
		}
		closed := s.closed
		ch := s.waitLocked(key)
		s.mu.Unlock()
		if closed {
			var zero T
			return zero, ErrClosed
		}
		select {
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("slackemu: wait %s: %w", key, ctx.Err())
		case <-ch:
		}
	}
}

func trimBearer(h string) string {
	if v, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}
