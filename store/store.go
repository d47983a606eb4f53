// Package store keeps all of the bot's state in Redis.
//
// Every key starts with the deployment's prefix (REDIS_KEY_PREFIX) and carries
// the Slack team ID as a hash tag, "<prefix>:{T123}:…", so that all keys of one
// team live in one Cluster slot and multi-key Lua scripts and transactions
// stay valid on Redis Cluster. Keys builds them.
//
// This file holds the foundation: the client (NewClient), the key builder
// (Keys), the Store type and its generic atomic helpers (Dedupe, Ping);
// lease.go holds the lease that every exactly-once job uses. The records of each feature (decisions, the audit stream, feedback…)
// sit in files of their own beside it.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Timeouts of every client NewClient builds. Context deadlines apply too
// (ContextTimeoutEnabled), so a caller's shorter deadline wins.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = 1 * time.Second
	WriteTimeout = 1 * time.Second
)

// ClientOptions says which Redis to use. URL alone is a single node
// (REDIS_URL). Addrs (REDIS_ADDRS) is a Redis Cluster, or the Sentinels of a
// failover group when MasterName (REDIS_MASTER_NAME) is set; credentials,
// database and TLS (rediss://) then still come from URL when it is set.
type ClientOptions struct {
	URL        string
	Addrs      []string
	MasterName string
	// Username and Password override the URL's credentials (they also serve
	// as the Sentinels' credentials).
	Username string
	Password string
}

// NewClient builds a Redis client from o. It does not connect; use
// Store.Ping to check the server.
//
// Every client honours context deadlines, has explicit dial/read/write
// timeouts, skips CLIENT SETINFO (managed and older servers refuse it) and
// never retries a command: go-redis retries a command whose reply timed out,
// which would run a non-idempotent write (an audit append, an INCR) twice.
// A failed command is reported to the caller, who tells the person to try
// again.
func NewClient(o ClientOptions) (Client, error) {
	var base *redis.Options
	if o.URL != "" {
		u, err := redis.ParseURL(o.URL)
		if err != nil {
			// The URL may hold a password: never print it.
			return nil, errors.New("parse REDIS_URL: not a valid redis:// or rediss:// URL")
		}
		base = u
	}
	if o.Username != "" {
		if base == nil {
			base = &redis.Options{}
		}
		base.Username = o.Username
	}
	if o.Password != "" {
		if base == nil {
			base = &redis.Options{}
		}
		base.Password = o.Password
	}

	if len(o.Addrs) == 0 {
		if base == nil {
			return nil, errors.New("new redis client: neither REDIS_URL nor REDIS_ADDRS is set")
		}
		applyClientDefaults(base)
		return redis.NewClient(base), nil
	}

	if o.MasterName == "" {
		// A cluster (one address is its configuration endpoint): built
		// directly, since redis.UniversalOptions cannot set the state
		// reload interval.
		return newClusterClient(o, base), nil
	}
	uo := &redis.UniversalOptions{
		Addrs:                 o.Addrs,
		MasterName:            o.MasterName,
		ContextTimeoutEnabled: true,
		DialTimeout:           DialTimeout,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		MaxRetries:            -1,
		DisableIdentity:       true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	}
	if base != nil {
		uo.Username, uo.Password, uo.DB = base.Username, base.Password, base.DB
		uo.TLSConfig = tlsOf(base)
		uo.SentinelUsername, uo.SentinelPassword = base.Username, base.Password
	}
	return redis.NewUniversalClient(uo), nil
}

// tlsOf is base's TLS configuration (rediss://) for the other nodes, at
// least TLS 1.2; nil without TLS.
func tlsOf(base *redis.Options) *tls.Config {
	if base.TLSConfig == nil {
		return nil
	}
	c := base.TLSConfig.Clone()
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func applyClientDefaults(o *redis.Options) {
	o.ContextTimeoutEnabled = true
	if o.DialTimeout == 0 {
		o.DialTimeout = DialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = ReadTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = WriteTimeout
	}
	o.MaxRetries = -1
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// Keys builds the Redis keys of one deployment.
type Keys struct {
	prefix string
}

// NewKeys returns the key builder for prefix (REDIS_KEY_PREFIX).
func NewKeys(prefix string) Keys { return Keys{prefix: prefix} }

// Prefix is the deployment's key prefix.
func (k Keys) Prefix() string { return k.prefix }

// Team returns "<prefix>:{<teamID>}:<part>:<part>…". The braces make the team
// ID the key's hash tag. An empty team ID becomes "_" (Redis would hash the
// whole key for "{}"), and braces inside it are replaced, so that the tag is
// always the team.
func (k Keys) Team(teamID string, parts ...string) string {
	tag := teamTag(teamID)
	n := len(k.prefix) + len(tag) + 3
	for _, p := range parts {
		n += 1 + len(p)
	}
	var b strings.Builder
	b.Grow(n) // one allocation: a key is built for every command
	b.WriteString(k.prefix)
	b.WriteString(":{")
	b.WriteString(tag)
	b.WriteByte('}')
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

func teamTag(teamID string) string {
	if teamID == "" {
		return "_"
	}
	if strings.ContainsAny(teamID, "{}") {
		return strings.NewReplacer("{", "_", "}", "_").Replace(teamID)
	}
	return teamID
}

// Conn is what the Store needs of a go-redis client: the commands it sends
// and its hooks. Every client NewClient builds is one.
//
// It lists those methods rather than embedding redis.Cmdable or being
// redis.UniversalClient, for the cold build: a package whose types mention
// go-redis's concrete clients compiles some 1,700 more functions, and a
// named interface embedding Cmdable compiles a wrapper for each of its 600
// methods; handlers, bot and the rest see only this.
type Conn interface {
	redis.Scripter // Eval and the scripts' EVALSHA

	AddHook(redis.Hook)
	Do(ctx context.Context, args ...any) *redis.Cmd
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	TxPipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	Ping(ctx context.Context) *redis.StatusCmd
	ClusterKeySlot(ctx context.Context, key string) *redis.IntCmd
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd

	Get(ctx context.Context, key string) *redis.StringCmd
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
	Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd
	SetArgs(ctx context.Context, key string, value any, a redis.SetArgs) *redis.StatusCmd
	Del(ctx context.Context, keys ...string) *redis.IntCmd
	Exists(ctx context.Context, keys ...string) *redis.IntCmd

	HGet(ctx context.Context, key, field string) *redis.StringCmd
	HGetAll(ctx context.Context, key string) *redis.MapStringStringCmd
	HSet(ctx context.Context, key string, values ...any) *redis.IntCmd
	HSetNX(ctx context.Context, key, field string, value any) *redis.BoolCmd
	HScan(ctx context.Context, key string, cursor uint64, match string, count int64) *redis.ScanCmd

	LLen(ctx context.Context, key string) *redis.IntCmd
	LRange(ctx context.Context, key string, start, stop int64) *redis.StringSliceCmd

	SAdd(ctx context.Context, key string, members ...any) *redis.IntCmd
	SIsMember(ctx context.Context, key string, member any) *redis.BoolCmd
	SMembers(ctx context.Context, key string) *redis.StringSliceCmd

	ZAddArgs(ctx context.Context, key string, args redis.ZAddArgs) *redis.IntCmd
	ZRange(ctx context.Context, key string, start, stop int64) *redis.StringSliceCmd
	ZRangeArgs(ctx context.Context, z redis.ZRangeArgs) *redis.StringSliceCmd
	ZRevRange(ctx context.Context, key string, start, stop int64) *redis.StringSliceCmd
	ZRevRangeByScore(ctx context.Context, key string, opt *redis.ZRangeBy) *redis.StringSliceCmd
	ZRem(ctx context.Context, key string, members ...any) *redis.IntCmd
	ZScore(ctx context.Context, key, member string) *redis.FloatCmd

	XRangeN(ctx context.Context, stream, start, stop string, count int64) *redis.XMessageSliceCmd
	XTrimMinID(ctx context.Context, key string, minID string) *redis.IntCmd
}

// Client is a Conn its owner closes: what NewClient builds (a single-node,
// Sentinel or Cluster client of go-redis).
type Client interface {
	Conn
	Close() error
}

// Store reads and writes the bot's state in Redis. It is safe for concurrent
// use.
type Store struct {
	rdb  Conn
	keys Keys
}

// New returns a Store using rdb with keys. It adds a hook to rdb that turns
// "Redis cannot answer" into a domain.Unavailable error, or a
// domain.MaybeApplied one for a write that was sent and got no answer
// (unavailableHook), for every user of rdb.
func New(rdb Conn, keys Keys) *Store {
	rdb.AddHook(unavailableHook{})
	return &Store{rdb: rdb, keys: keys}
}

// Client is the underlying Redis client.
func (s *Store) Client() Conn { return s.rdb }

// Keys is the Store's key builder.
func (s *Store) Keys() Keys { return s.keys }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// ReadyTTL is how long CheckWrite's key lives.
const ReadyTTL = 10 * time.Second

// CheckWrite checks that team's data can be written now: it sets a
// short-lived key of team's (so in team's Cluster slot), named after
// replica, with SET PX. On a Cluster whose team master is down it fails
// where a keyless PING would answer, and with WaitForReplicas it fails while
// the replicas do not confirm writes. /readyz runs it.
func (s *Store) CheckWrite(ctx context.Context, team, replica string) error {
	key := s.keys.Team(team, "ready", replica)
	if err := s.rdb.Do(ctx, "set", key, time.Now().UnixMilli(), "px", ReadyTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redis write to the team's slot: %w", err)
	}
	return nil
}

// Dedupe records that the item id of kind (an envelope ID, an event_id, a
// trigger_id…) is being handled in team, for ttl. first is true for the
// first caller only; a redelivery within ttl gets false and must change
// nothing. It is one SET NX EX, atomic across replicas.
func (s *Store) Dedupe(ctx context.Context, team, kind, id string, ttl time.Duration) (first bool, err error) {
	if ttl <= 0 {
		return false, fmt.Errorf("dedupe %s %s: ttl must be positive, got %s", kind, id, ttl)
	}
	first, err = s.setNX(ctx, s.keys.Team(team, "dedupe", kind, id), ttl)
	if err != nil {
		return false, fmt.Errorf("dedupe %s %s: %w", kind, id, err)
	}
	return first, nil
}

// setNX sets key to "1" unless it exists, expiring after ttl (0: never),
// and reports whether it was set.
func (s *Store) setNX(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	err := s.rdb.SetArgs(ctx, key, "1", redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
