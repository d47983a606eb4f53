package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// newStore returns a Store on a fresh redis-server (or REDIS_URL) with a key
// prefix of its own, and its client.
func newStore(t *testing.T) (*store.Store, redis.UniversalClient, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatalf("NewClient(%q): %v", srv.URL(), err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.NewKeys(srv.Prefix(t))), rdb.(redis.UniversalClient), srv
}

func TestKeysTeam(t *testing.T) {
	k := store.NewKeys("empower")
	tests := []struct {
		team  string
		parts []string
		want  string
	}{
		{"T123", nil, "empower:{T123}"},
		{"T123", []string{"decision", "D-1"}, "empower:{T123}:decision:D-1"},
		{"", []string{"x"}, "empower:{_}:x"},
		{"T{1}", []string{"x"}, "empower:{T_1_}:x"},
	}
	for _, tt := range tests {
		if got := k.Team(tt.team, tt.parts...); got != tt.want {
			t.Errorf("Team(%q, %q) = %q; want %q", tt.team, tt.parts, got, tt.want)
		}
	}
}

// keySlot is Redis Cluster's slot of key: CRC16 (XMODEM) of its hash tag
// (the part inside the first non-empty {…}) or of the whole key, mod 16384.
func keySlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

// TestKeysSameSlot checks that all keys of a team hash to one Cluster slot
// and that keys of different teams spread.
func TestKeysSameSlot(t *testing.T) {
	if got := keySlot("123456789"); got != 0x31C3%16384 {
		t.Fatalf("keySlot self-check = %d; want %d", got, 0x31C3%16384)
	}
	k := store.NewKeys("empower")
	slots := map[uint16]bool{}
	for _, team := range []string{"T123", "T0ABCDEF", "T0XYZ", ""} {
		want := keySlot(k.Team(team))
		slots[want] = true
		if want != keySlot(k.Team(team, "x")) || (team != "" && want != keySlot(team)) {
			t.Errorf("team %q: the key's slot is not the team ID's slot", team)
		}
		for _, parts := range [][]string{{"decision", "D-7K2QF9"}, {"audit"}, {"dedupe", "envelope", "abc{x}"}} {
			if got := keySlot(k.Team(team, parts...)); got != want {
				t.Errorf("slot of %q = %d; want %d (the team's slot)", k.Team(team, parts...), got, want)
			}
		}
	}
	if len(slots) < 2 {
		t.Errorf("4 teams share %d slot(s); want them spread", len(slots))
	}
}

func TestNewClient(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name    string
		opts    store.ClientOptions
		wantErr string
		want    func(store.Client) bool
	}{
		{
			name: "url", opts: store.ClientOptions{URL: srv.URL()},
			want: func(c store.Client) bool {
				rc, ok := c.(*redis.Client)
				if !ok {
					return false
				}
				o := rc.Options()
				return o.ContextTimeoutEnabled && o.DisableIdentity && o.MaxRetries == 0 &&
					o.DialTimeout == store.DialTimeout && o.ReadTimeout == store.ReadTimeout && o.WriteTimeout == store.WriteTimeout
			},
		},
		{
			name: "cluster one address", opts: store.ClientOptions{Addrs: []string{"127.0.0.1:7000"}},
			want: func(c store.Client) bool { _, ok := c.(*redis.ClusterClient); return ok },
		},
		{
			name: "cluster", opts: store.ClientOptions{URL: "redis://:secret@localhost:6379/0", Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}},
			want: func(c store.Client) bool {
				cc, ok := c.(*redis.ClusterClient)
				return ok && cc.Options().Password == "secret" && cc.Options().MaxRetries <= 0 && cc.Options().DisableIdentity
			},
		},
		{
			name: "sentinel", opts: store.ClientOptions{Addrs: []string{"127.0.0.1:26379"}, MasterName: "mymaster"},
			want: func(c store.Client) bool { _, ok := c.(*redis.Client); return ok },
		},
		{name: "nothing", opts: store.ClientOptions{}, wantErr: "neither REDIS_URL nor REDIS_ADDRS"},
		{name: "bad url", opts: store.ClientOptions{URL: "http://user:hunter2@x"}, wantErr: "parse REDIS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := store.NewClient(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient() error = %v; want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("NewClient() error %q prints the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient() error = %v", err)
			}
			t.Cleanup(func() { _ = c.Close() })
			if !tt.want(c) {
				t.Errorf("NewClient(%+v) = %T with unexpected options", tt.opts, c)
			}
		})
	}
}

func TestPing(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartOwn(t, redistest.Options{})
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	s := store.New(rdb, store.NewKeys("p"))
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v; want nil", err)
	}
	srv.Stop()
	err = s.Ping(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "redis ping: ") {
		t.Fatalf("Ping() with Redis stopped = %v; want a wrapped error", err)
	}
	srv.Restart()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() after restart = %v; want nil", err)
	}
}

func TestPingHonoursContext(t *testing.T) {
	s, _, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func TestDedupe(t *testing.T) {
	ctx := context.Background()
	s, rdb, _ := newStore(t)
	tests := []struct {
		team, kind, id string
		want           bool
	}{
		{"T1", "envelope", "e1", true},
		{"T1", "envelope", "e1", false},
		{"T1", "envelope", "e2", true},
		{"T1", "trigger", "e1", true},
		{"T2", "envelope", "e1", true},
		{"T2", "envelope", "e1", false},
	}
	for _, tt := range tests {
		got, err := s.Dedupe(ctx, tt.team, tt.kind, tt.id, time.Hour)
		if err != nil || got != tt.want {
			t.Errorf("Dedupe(%s, %s, %s) = %v, %v; want %v, nil", tt.team, tt.kind, tt.id, got, err, tt.want)
		}
	}
	ttl, err := rdb.TTL(ctx, s.Keys().Team("T1", "dedupe", "envelope", "e1")).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL of the dedupe key = %v, %v; want in (0, 1h]", ttl, err)
	}
	if _, err := s.Dedupe(ctx, "T1", "envelope", "e3", 0); err == nil {
		t.Error("Dedupe with ttl 0 = nil error; want an error")
	}
}

func TestDedupeExpires(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	if first, err := s.Dedupe(ctx, "T1", "envelope", "e1", 50*time.Millisecond); err != nil || !first {
		t.Fatalf("Dedupe = %v, %v; want true, nil", first, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		first, err := s.Dedupe(ctx, "T1", "envelope", "e1", 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if first {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("dedupe key never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestErrorsAreWrapped(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartOwn(t, redistest.Options{})
	rdb, err := store.NewClient(store.ClientOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	s := store.New(rdb, store.NewKeys("p"))
	srv.Stop()
	if _, err := s.Dedupe(ctx, "T1", "envelope", "e1", time.Minute); err == nil || !strings.HasPrefix(err.Error(), "dedupe envelope e1: ") {
		t.Errorf("Dedupe with Redis down = %v; want an error starting %q", err, "dedupe envelope e1: ")
	}
	if _, err := s.ClaimLease(ctx, s.TickLease("T1", "digest", time.UnixMilli(0)), "o", time.Minute); err == nil || !strings.HasPrefix(err.Error(), "claim lease tick:digest:0: ") {
		t.Errorf("ClaimLease with Redis down = %v; want an error starting %q", err, "claim lease tick:digest:0: ")
	}
}
