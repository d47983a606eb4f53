// Package config loads empowerbot's deployment settings from the environment
// (LoadEnv, through envconfig): Slack tokens, Redis, addresses, logging. It
// reports every bad variable at once and never prints a secret (Secret).
//
// The organisation's rules, the policy file, are package policy's.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/dates"
)

// Mode says what the environment is loaded for.
type Mode int

const (
	// ModeRun is `empowerbot run`: both Slack tokens are required.
	ModeRun Mode = iota
	// ModeSandbox is `empowerbot sandbox` (and other local commands): the
	// tokens are optional, but checked when set.
	ModeSandbox
)

// Default values of the environment variables.
const (
	DefaultSlackAPIURL  = "https://slack.com/api/"
	DefaultRedisURL     = "redis://localhost:6379/0"
	DefaultKeyPrefix    = "empower"
	DefaultPolicyFile   = "policy.yaml"
	DefaultHTTPAddr     = ":8080"
	DefaultSandboxAddr  = "127.0.0.1:3000"
	DefaultCatchUpGrace = 24 * time.Hour
)

// maxWaitReplicas bounds REDIS_WAIT_REPLICAS (a typo like 100 would make
// every change unconfirmed).
const maxWaitReplicas = 16

// Secret is a string that never prints itself: String, GoString,
// MarshalJSON and LogValue all redact it. Use Reveal to get the value.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[REDACTED]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText redacts the secret (encoding/json, yaml and slog's text
// handler use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Env holds the deployment settings of PRODUCT.md's "Configuration" table,
// validated. Printing it (%v, %+v, %#v, slog) redacts the secrets.
type Env struct {
	AppToken Secret // SLACK_APP_TOKEN, "xapp-…"
	BotToken Secret // SLACK_BOT_TOKEN, "xoxb-…"
	// APIURL is SLACK_API_URL, the Web API base ending in "/".
	APIURL string
	// RedisURL is REDIS_URL (redis:// or rediss://); it may carry a password.
	RedisURL Secret
	// RedisAddrs is REDIS_ADDRS split on commas: Cluster nodes, or Sentinels
	// when RedisMasterName is set.
	RedisAddrs      []string
	RedisMasterName string // REDIS_MASTER_NAME
	KeyPrefix       string // REDIS_KEY_PREFIX
	PolicyFile      string // POLICY_FILE
	HTTPAddr        string // HTTP_ADDR
	LogLevel        string // LOG_LEVEL: debug, info, warn or error
	LogFormat       string // LOG_FORMAT: json or text
	SlackPacing     string // SLACK_PACING: tiers or off
	SandboxAddr     string // SANDBOX_ADDR
	// CatchUpGrace is CATCHUP_GRACE: how long after a missed schedule tick
	// the job still runs once at start-up.
	CatchUpGrace time.Duration
	// Pprof is DEBUG_PPROF: serve net/http/pprof under /debug/pprof/ on
	// HTTP_ADDR (for profiling under load; off by default).
	Pprof bool
	// WaitReplicas is REDIS_WAIT_REPLICAS: with N ≥ 1 a change is confirmed
	// only once Redis WAIT reports N replicas hold it.
	WaitReplicas int
}

// rawEnv is what envconfig reads: all strings, so that a bad value never
// stops the reading and every problem can be reported at once.
type rawEnv struct {
	AppToken        string `envconfig:"SLACK_APP_TOKEN"`
	AppTokenFile    string `envconfig:"SLACK_APP_TOKEN_FILE"`
	BotToken        string `envconfig:"SLACK_BOT_TOKEN"`
	BotTokenFile    string `envconfig:"SLACK_BOT_TOKEN_FILE"`
	APIURL          string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	RedisURL        string `envconfig:"REDIS_URL"` // default applied after REDIS_URL_FILE
	RedisURLFile    string `envconfig:"REDIS_URL_FILE"`
	RedisAddrs      string `envconfig:"REDIS_ADDRS"`
	RedisMasterName string `envconfig:"REDIS_MASTER_NAME"`
	KeyPrefix       string `envconfig:"REDIS_KEY_PREFIX" default:"empower"`
	PolicyFile      string `envconfig:"POLICY_FILE" default:"policy.yaml"`
	HTTPAddr        string `envconfig:"HTTP_ADDR" default:":8080"`
	LogLevel        string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat       string `envconfig:"LOG_FORMAT" default:"json"`
	SlackPacing     string `envconfig:"SLACK_PACING" default:"tiers"`
	SandboxAddr     string `envconfig:"SANDBOX_ADDR" default:"127.0.0.1:3000"`
	CatchUpGrace    string `envconfig:"CATCHUP_GRACE" default:"24h"`
	Pprof           string `envconfig:"DEBUG_PPROF"`
	WaitReplicas    string `envconfig:"REDIS_WAIT_REPLICAS" default:"0"`
}

// Variables lists the names of every environment variable LoadEnv reads,
// in the order of PRODUCT.md's table (deployment files are checked against
// it).
func Variables() []string {
	t := reflect.TypeFor[rawEnv]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, t.Field(i).Tag.Get("envconfig"))
	}
	return out
}

// EnvProblem is one bad environment variable.
type EnvProblem struct {
	Var     string
	Message string
}

// EnvError lists every bad environment variable. It never contains a
// secret's value.
type EnvError struct {
	Problems []EnvProblem
}

// has reports whether name already has a problem.
func (e *EnvError) has(name string) bool {
	for _, p := range e.Problems {
		if p.Var == name {
			return true
		}
	}
	return false
}

// Error prints one "VAR: message" per line under a heading.
func (e *EnvError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid environment (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Var, p.Message)
	}
	return b.String()
}

// LoadEnv reads the environment through envconfig, applies the defaults and
// validates every variable. On failure it returns an *EnvError naming each
// bad variable; secrets are never part of it.
func LoadEnv(mode Mode) (Env, error) {
	var raw rawEnv
	if err := envconfig.Process("", &raw); err != nil {
		return Env{}, fmt.Errorf("load environment: %w", err)
	}
	return raw.validate(mode)
}

func (raw rawEnv) validate(mode Mode) (Env, error) {
	var errs EnvError
	bad := func(name, format string, args ...any) {
		errs.Problems = append(errs.Problems, EnvProblem{Var: name, Message: fmt.Sprintf(format, args...)})
	}
	env := Env{
		AppToken:        fileSecret("SLACK_APP_TOKEN", raw.AppToken, raw.AppTokenFile, bad),
		BotToken:        fileSecret("SLACK_BOT_TOKEN", raw.BotToken, raw.BotTokenFile, bad),
		APIURL:          strings.TrimSpace(raw.APIURL),
		RedisURL:        fileSecret("REDIS_URL", raw.RedisURL, raw.RedisURLFile, bad),
		RedisMasterName: strings.TrimSpace(raw.RedisMasterName),
		KeyPrefix:       strings.TrimSpace(raw.KeyPrefix),
		PolicyFile:      strings.TrimSpace(raw.PolicyFile),
		HTTPAddr:        strings.TrimSpace(raw.HTTPAddr),
		LogLevel:        strings.ToLower(strings.TrimSpace(raw.LogLevel)),
		LogFormat:       strings.ToLower(strings.TrimSpace(raw.LogFormat)),
		SlackPacing:     strings.ToLower(strings.TrimSpace(raw.SlackPacing)),
		SandboxAddr:     strings.TrimSpace(raw.SandboxAddr),
	}

	if env.RedisURL == "" {
		env.RedisURL = DefaultRedisURL
	}

	checkToken := func(name string, tok Secret, prefix, other, what string) {
		switch {
		case tok == "" && mode == ModeRun && errs.has(name+"_FILE"):
		case tok == "" && mode == ModeRun:
			bad(name, "is required (the %s, starting with %q) and is missing or empty; or set %s_FILE to a file holding it", what, prefix, name)
		case tok == "":
		case strings.HasPrefix(tok.Reveal(), other):
			bad(name, "must be the %s (starting with %q), but holds a token starting with %q", what, prefix, other)
		case !strings.HasPrefix(tok.Reveal(), prefix):
			bad(name, "must start with %q (the %s)", prefix, what)
		}
	}
	checkToken("SLACK_APP_TOKEN", env.AppToken, "xapp-", "xoxb-", "app-level token")
	checkToken("SLACK_BOT_TOKEN", env.BotToken, "xoxb-", "xapp-", "bot token")

	if u, err := url.Parse(env.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(env.APIURL, "/") {
		bad("SLACK_API_URL", "must be an http(s) URL ending with \"/\", like %q", DefaultSlackAPIURL)
	}

	if msg := checkRedisURL(env.RedisURL.Reveal()); msg != "" {
		bad("REDIS_URL", "%s", msg)
	}
	for _, a := range strings.Split(raw.RedisAddrs, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad("REDIS_ADDRS", "%q is not a host:port address", a)
			continue
		}
		env.RedisAddrs = append(env.RedisAddrs, a)
	}
	if env.RedisMasterName != "" && len(env.RedisAddrs) == 0 {
		bad("REDIS_MASTER_NAME", "needs REDIS_ADDRS (the Sentinel addresses)")
	}

	if env.KeyPrefix == "" || strings.ContainsAny(env.KeyPrefix, "{} \t\n") {
		bad("REDIS_KEY_PREFIX", "must be non-empty, without spaces or braces")
	}
	if env.PolicyFile == "" {
		bad("POLICY_FILE", "must name the policy file")
	}
	if !validAddr(env.HTTPAddr) {
		bad("HTTP_ADDR", "%q is not a listen address like %q", env.HTTPAddr, DefaultHTTPAddr)
	}
	if !validAddr(env.SandboxAddr) {
		bad("SANDBOX_ADDR", "%q is not a listen address like %q", env.SandboxAddr, DefaultSandboxAddr)
	}
	switch env.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", "%q must be one of debug, info, warn, error", env.LogLevel)
	}
	switch env.LogFormat {
	case "json", "text":
	default:
		bad("LOG_FORMAT", "%q must be json or text", env.LogFormat)
	}
	switch env.SlackPacing {
	case "tiers", "off":
	default:
		bad("SLACK_PACING", "%q must be tiers or off", env.SlackPacing)
	}
	d, err := dates.ParseDuration(strings.TrimSpace(raw.CatchUpGrace))
	switch {
	case err != nil:
		bad("CATCHUP_GRACE", "%q is not a duration like 24h, 30m or 2d", raw.CatchUpGrace)
	case d < 0:
		bad("CATCHUP_GRACE", "must not be negative")
	default:
		env.CatchUpGrace = d
	}

	switch strings.ToLower(strings.TrimSpace(raw.Pprof)) {
	case "", "0", "false", "off":
	case "1", "true", "on":
		env.Pprof = true
	default:
		bad("DEBUG_PPROF", "%q must be 1 or 0", raw.Pprof)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.WaitReplicas)); err != nil || n < 0 || n > maxWaitReplicas {
		bad("REDIS_WAIT_REPLICAS", "%q must be a number of replicas from 0 to %d", raw.WaitReplicas, maxWaitReplicas)
	} else {
		env.WaitReplicas = n
	}

	if len(errs.Problems) > 0 {
		return Env{}, &errs
	}
	return env, nil
}

// fileSecret is the secret NAME, read from the file NAME_FILE names when that
// is set (Docker and Kubernetes secrets), trimmed of surrounding space.
// Setting both is a problem, as is an unreadable or empty file; neither
// message quotes the secret.
func fileSecret(name, value, file string, bad func(name, format string, args ...any)) Secret {
	value, file = strings.TrimSpace(value), strings.TrimSpace(file)
	switch {
	case file == "":
		return Secret(value)
	case value != "":
		bad(name+"_FILE", "is set and so is %s: set only one of them", name)
		return ""
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		bad(name+"_FILE", "cannot read %s: %v", file, err)
		return ""
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		bad(name+"_FILE", "%s is empty", file)
	}
	return Secret(v)
}

// checkRedisURL returns what is wrong with u, never quoting it (it may hold
// a password), or "".
func checkRedisURL(u string) string {
	const want = "must be a redis:// or rediss:// URL like " + DefaultRedisURL
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "redis" && parsed.Scheme != "rediss") {
		return want
	}
	if _, err := redis.ParseURL(u); err != nil {
		msg := strings.TrimPrefix(err.Error(), "redis: ")
		if pw, ok := parsed.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, redacted)
		}
		return "is not a valid Redis URL: " + msg
	}
	return ""
}

func validAddr(a string) bool {
	_, port, err := net.SplitHostPort(a)
	return err == nil && port != ""
}

// Pacing reports whether Web API calls are paced to Slack's tiers
// (SLACK_PACING=tiers).
func (e Env) Pacing() bool { return e.SlackPacing != "off" }

// Level is LOG_LEVEL as a slog level.
func (e Env) Level() slog.Level {
	switch e.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Logger builds the process logger writing to w, in LOG_FORMAT at LOG_LEVEL.
func (e Env) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: e.Level()}
	if e.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// RedactedRedisURL is REDIS_URL with its password replaced, fit for logs.
func (e Env) RedactedRedisURL() string {
	u, err := url.Parse(e.RedisURL.Reveal())
	if err != nil {
		return e.RedisURL.String()
	}
	return u.Redacted()
}

// String prints the settings with the secrets redacted; %v and %+v use it.
func (e Env) String() string {
	return fmt.Sprintf("{SLACK_APP_TOKEN:%s SLACK_BOT_TOKEN:%s SLACK_API_URL:%s REDIS_URL:%s REDIS_ADDRS:%s REDIS_MASTER_NAME:%s REDIS_KEY_PREFIX:%s POLICY_FILE:%s HTTP_ADDR:%s LOG_LEVEL:%s LOG_FORMAT:%s SLACK_PACING:%s SANDBOX_ADDR:%s CATCHUP_GRACE:%s REDIS_WAIT_REPLICAS:%d}",
		e.AppToken, e.BotToken, e.APIURL, e.RedactedRedisURL(), strings.Join(e.RedisAddrs, ","), e.RedisMasterName,
		e.KeyPrefix, e.PolicyFile, e.HTTPAddr, e.LogLevel, e.LogFormat, e.SlackPacing, e.SandboxAddr, e.CatchUpGrace, e.WaitReplicas)
}

// GoString redacts the secrets for %#v.
func (e Env) GoString() string { return "config.Env" + e.String() }

// LogValue redacts the secrets in slog output.
func (e Env) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("slack_app_token", e.AppToken.String()),
		slog.String("slack_bot_token", e.BotToken.String()),
		slog.String("slack_api_url", e.APIURL),
		slog.String("redis_url", e.RedactedRedisURL()),
		slog.String("redis_addrs", strings.Join(e.RedisAddrs, ",")),
		slog.String("redis_master_name", e.RedisMasterName),
		slog.String("redis_key_prefix", e.KeyPrefix),
		slog.String("policy_file", e.PolicyFile),
		slog.String("http_addr", e.HTTPAddr),
		slog.String("log_level", e.LogLevel),
		slog.String("log_format", e.LogFormat),
		slog.String("slack_pacing", e.SlackPacing),
		slog.String("sandbox_addr", e.SandboxAddr),
		slog.Duration("catchup_grace", e.CatchUpGrace),
		slog.Int("redis_wait_replicas", e.WaitReplicas),
	)
}
