package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var envVars = []string{
	"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "REDIS_URL", "REDIS_ADDRS", "REDIS_MASTER_NAME",
	"REDIS_KEY_PREFIX", "POLICY_FILE", "HTTP_ADDR", "LOG_LEVEL", "LOG_FORMAT", "SLACK_PACING", "SANDBOX_ADDR",
	"CATCHUP_GRACE", "SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE", "REDIS_URL_FILE", "DEBUG_PPROF", "REDIS_WAIT_REPLICAS",
}

// setEnv unsets every variable LoadEnv reads, then sets vars; the test's
// cleanup restores the process environment.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, k := range envVars {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatalf("unset %s: %v", k, err)
		}
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

const (
	appToken = "xapp-1-A111-222-secretapp"
	botToken = "xoxb-111-222-secretbot"
)

func TestLoadEnvDefaults(t *testing.T) {
	setEnv(t, map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken})
	got, err := LoadEnv(ModeRun)
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	want := Env{
		AppToken:     appToken,
		BotToken:     botToken,
		APIURL:       "https://slack.com/api/",
		RedisURL:     "redis://localhost:6379/0",
		KeyPrefix:    "empower",
		PolicyFile:   "policy.yaml",
		HTTPAddr:     ":8080",
		LogLevel:     "info",
		LogFormat:    "json",
		SlackPacing:  "tiers",
		SandboxAddr:  "127.0.0.1:3000",
		CatchUpGrace: 24 * time.Hour,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadEnv defaults (-want +got):\n%s", diff)
	}
	if !got.Pacing() {
		t.Errorf("Pacing() = false, want true for tiers")
	}
	if got.Level() != slog.LevelInfo {
		t.Errorf("Level() = %v, want info", got.Level())
	}
}

func TestLoadEnvAllSet(t *testing.T) {
	setEnv(t, map[string]string{
		"SLACK_APP_TOKEN":     appToken,
		"SLACK_BOT_TOKEN":     botToken,
		"SLACK_API_URL":       "http://127.0.0.1:9999/api/",
		"REDIS_URL":           "rediss://user:pw@redis.internal:6380/2",
		"REDIS_ADDRS":         "10.0.0.1:26379, 10.0.0.2:26379,",
		"REDIS_MASTER_NAME":   "mymaster",
		"REDIS_KEY_PREFIX":    "test-1",
		"POLICY_FILE":         "/etc/empower/policy.yaml",
		"HTTP_ADDR":           "127.0.0.1:0",
		"LOG_LEVEL":           "DEBUG",
		"LOG_FORMAT":          "text",
		"SLACK_PACING":        "off",
		"SANDBOX_ADDR":        ":3001",
		"CATCHUP_GRACE":       "2d",
		"REDIS_WAIT_REPLICAS": "1",
	})
	got, err := LoadEnv(ModeRun)
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	want := Env{
		AppToken:        appToken,
		BotToken:        botToken,
		APIURL:          "http://127.0.0.1:9999/api/",
		RedisURL:        "rediss://user:pw@redis.internal:6380/2",
		RedisAddrs:      []string{"10.0.0.1:26379", "10.0.0.2:26379"},
		RedisMasterName: "mymaster",
		KeyPrefix:       "test-1",
		PolicyFile:      "/etc/empower/policy.yaml",
		HTTPAddr:        "127.0.0.1:0",
		LogLevel:        "debug",
		LogFormat:       "text",
		SlackPacing:     "off",
		SandboxAddr:     ":3001",
		CatchUpGrace:    48 * time.Hour,
		WaitReplicas:    1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadEnv (-want +got):\n%s", diff)
	}
	if got.Pacing() {
		t.Errorf("Pacing() = true, want false for off")
	}
}

func TestLoadEnvSandboxNeedsNoTokens(t *testing.T) {
	setEnv(t, nil)
	if _, err := LoadEnv(ModeSandbox); err != nil {
		t.Fatalf("LoadEnv(ModeSandbox) with no tokens: %v", err)
	}
	_, err := LoadEnv(ModeRun)
	if got, want := problemVars(t, err), []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"}; !cmp.Equal(got, want) {
		t.Errorf("LoadEnv(ModeRun) bad vars = %v, want %v", got, want)
	}
}

func problemVars(t *testing.T, err error) []string {
	t.Helper()
	var ee *EnvError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *EnvError", err, err)
	}
	var vars []string
	for _, p := range ee.Problems {
		vars = append(vars, p.Var)
	}
	return vars
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name     string
		mode     Mode
		vars     map[string]string
		wantVars []string
		wantMsg  []string // substrings of the error
	}{
		{
			name:     "empty tokens count as missing",
			mode:     ModeRun,
			vars:     map[string]string{"SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "  "},
			wantVars: []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"},
			wantMsg:  []string{"SLACK_APP_TOKEN: is required", "SLACK_BOT_TOKEN: is required"},
		},
		{
			name:     "swapped tokens",
			mode:     ModeRun,
			vars:     map[string]string{"SLACK_APP_TOKEN": "xoxb-swapped-secret1", "SLACK_BOT_TOKEN": "xapp-swapped-secret2"},
			wantVars: []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"},
			wantMsg:  []string{`but holds a token starting with "xoxb-"`, `but holds a token starting with "xapp-"`},
		},
		{
			name:     "bad token prefix checked in sandbox too",
			mode:     ModeSandbox,
			vars:     map[string]string{"SLACK_BOT_TOKEN": "xoxp-user-secret3"},
			wantVars: []string{"SLACK_BOT_TOKEN"},
			wantMsg:  []string{`SLACK_BOT_TOKEN: must start with "xoxb-"`},
		},
		{
			name:     "everything wrong at once",
			mode:     ModeRun,
			wantVars: []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "REDIS_URL", "REDIS_ADDRS", "REDIS_KEY_PREFIX", "POLICY_FILE", "HTTP_ADDR", "SANDBOX_ADDR", "LOG_LEVEL", "LOG_FORMAT", "SLACK_PACING", "CATCHUP_GRACE"},
			vars: map[string]string{
				"SLACK_API_URL":    "https://slack.com/api",
				"REDIS_URL":        "redis://:hunter2secret@localhost:6379/notadb",
				"REDIS_ADDRS":      "10.0.0.1",
				"REDIS_KEY_PREFIX": "a{b}",
				"POLICY_FILE":      "",
				"HTTP_ADDR":        "8080",
				"SANDBOX_ADDR":     "localhost",
				"LOG_LEVEL":        "loud",
				"LOG_FORMAT":       "xml",
				"SLACK_PACING":     "fast",
				"CATCHUP_GRACE":    "soon",
			},
			wantMsg: []string{
				"invalid environment (13 problems):",
				`SLACK_API_URL: must be an http(s) URL ending with "/"`,
				`REDIS_URL: is not a valid Redis URL: invalid database number: "notadb"`,
				`REDIS_ADDRS: "10.0.0.1" is not a host:port address`,
				`LOG_LEVEL: "loud" must be one of debug, info, warn, error`,
				`LOG_FORMAT: "xml" must be json or text`,
				`SLACK_PACING: "fast" must be tiers or off`,
				`CATCHUP_GRACE: "soon" is not a duration`,
			},
		},
		{
			name:     "redis url with wrong scheme never echoed",
			mode:     ModeSandbox,
			vars:     map[string]string{"REDIS_URL": "http://admin:hunter2secret@cache:6379"},
			wantVars: []string{"REDIS_URL"},
			wantMsg:  []string{"REDIS_URL: must be a redis:// or rediss:// URL"},
		},
		{
			name:     "unparseable redis url never echoed",
			mode:     ModeSandbox,
			vars:     map[string]string{"REDIS_URL": "redis://admin:hunter2secret@cache:port/0"},
			wantVars: []string{"REDIS_URL"},
			wantMsg:  []string{"REDIS_URL: must be a redis:// or rediss:// URL"},
		},
		{
			name:     "master name without addresses",
			mode:     ModeSandbox,
			vars:     map[string]string{"REDIS_MASTER_NAME": "mymaster"},
			wantVars: []string{"REDIS_MASTER_NAME"},
			wantMsg:  []string{"REDIS_MASTER_NAME: needs REDIS_ADDRS"},
		},
		{
			name:     "negative catch-up grace",
			mode:     ModeSandbox,
			vars:     map[string]string{"CATCHUP_GRACE": "-1h"},
			wantVars: []string{"CATCHUP_GRACE"},
			wantMsg:  []string{"CATCHUP_GRACE: must not be negative"},
		},
		{
			name:     "wait replicas not a count",
			mode:     ModeSandbox,
			vars:     map[string]string{"REDIS_WAIT_REPLICAS": "-1"},
			wantVars: []string{"REDIS_WAIT_REPLICAS"},
			wantMsg:  []string{`REDIS_WAIT_REPLICAS: "-1" must be a number of replicas from 0 to 16`},
		},
	}
	secrets := []string{"secret", "hunter2"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.vars)
			env, err := LoadEnv(tt.mode)
			if err == nil {
				t.Fatalf("LoadEnv = %v, nil; want an error", env)
			}
			if got := problemVars(t, err); !cmp.Equal(got, tt.wantVars) {
				t.Errorf("bad vars = %v, want %v", got, tt.wantVars)
			}
			msg := err.Error()
			for _, want := range tt.wantMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q reveals a secret (%q)", msg, s)
				}
			}
		})
	}
}

func TestEnvNeverPrintsSecrets(t *testing.T) {
	setEnv(t, map[string]string{
		"SLACK_APP_TOKEN": appToken,
		"SLACK_BOT_TOKEN": botToken,
		"REDIS_URL":       "redis://default:hunter2pw@redis:6379/0",
	})
	env, err := LoadEnv(ModeRun)
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	js, err := json.Marshal(env)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "env", env, "token", env.BotToken)
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "env", env, "token", env.AppToken)

	outputs := map[string]string{
		"%v":           fmt.Sprintf("%v", env),
		"%+v":          fmt.Sprintf("%+v", env),
		"%#v":          fmt.Sprintf("%#v", env),
		"%s":           fmt.Sprintf("%s", env),
		"&env %+v":     fmt.Sprintf("%+v", &env),
		"token %v":     fmt.Sprintf("%v %s %q %#v %x", env.AppToken, env.BotToken, env.AppToken, env.BotToken, env.BotToken),
		"json":         string(js),
		"slog json":    logs.String(),
		"slog text":    text.String(),
		"redacted url": env.RedactedRedisURL(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"secretapp", "secretbot", "hunter2pw"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output %q reveals %q", name, out, secret)
			}
		}
	}
	if !strings.Contains(outputs["%+v"], "redis:6379") {
		t.Errorf("%%+v output %q lost the Redis host", outputs["%+v"])
	}
	if got := env.BotToken.Reveal(); got != botToken {
		t.Errorf("Reveal() = %q, want %q", got, botToken)
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("empty Secret prints %q, want \"\"", got)
	}
}

func TestEnvLogger(t *testing.T) {
	tests := []struct {
		level, format string
		wantDebug     bool
		wantPrefix    string
	}{
		{"debug", "json", true, "{"},
		{"info", "text", false, "time="},
		{"error", "json", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			log := Env{LogLevel: tt.level, LogFormat: tt.format}.Logger(&buf)
			log.Debug("dbg")
			if got := strings.Contains(buf.String(), "dbg"); got != tt.wantDebug {
				t.Errorf("debug line written = %v, want %v (output %q)", got, tt.wantDebug, buf.String())
			}
			buf.Reset()
			log.Warn("hello")
			if tt.wantPrefix != "" && !strings.HasPrefix(buf.String(), tt.wantPrefix) {
				t.Errorf("output %q, want prefix %q", buf.String(), tt.wantPrefix)
			}
			if tt.level == "error" && buf.Len() != 0 {
				t.Errorf("warn line written at level error: %q", buf.String())
			}
		})
	}
}

// secretFile writes content to a file in a temporary directory and returns
// its path.
func secretFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadEnvReadsSecretsFromFiles(t *testing.T) {
	setEnv(t, map[string]string{
		// Docker and Kubernetes secrets often end with a newline.
		"SLACK_APP_TOKEN_FILE": secretFile(t, "app", appToken+"\n"),
		"SLACK_BOT_TOKEN_FILE": secretFile(t, "bot", "  "+botToken+"\r\n"),
		"REDIS_URL_FILE":       secretFile(t, "redis", "redis://default:hunter2pw@redis:6379/1\n"),
	})
	got, err := LoadEnv(ModeRun)
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	if got.AppToken.Reveal() != appToken || got.BotToken.Reveal() != botToken {
		t.Errorf("tokens from files = %q, %q", got.AppToken.Reveal(), got.BotToken.Reveal())
	}
	if got.RedisURL.Reveal() != "redis://default:hunter2pw@redis:6379/1" {
		t.Errorf("REDIS_URL from file = %q", got.RedisURL.Reveal())
	}
	for _, out := range []string{fmt.Sprint(got), fmt.Sprintf("%+v", got), fmt.Sprintf("%#v", got)} {
		for _, s := range []string{"secretapp", "secretbot", "hunter2pw"} {
			if strings.Contains(out, s) {
				t.Errorf("printed env %q reveals %q", out, s)
			}
		}
	}
}

func TestLoadEnvSecretFileRules(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-secret")
	tests := []struct {
		name     string
		vars     map[string]string
		wantVars []string
		wantMsg  []string
	}{
		{
			name: "a variable and its _FILE both set",
			vars: map[string]string{
				"SLACK_APP_TOKEN": appToken, "SLACK_APP_TOKEN_FILE": secretFile(t, "app", appToken),
				"SLACK_BOT_TOKEN": botToken, "SLACK_BOT_TOKEN_FILE": secretFile(t, "bot", botToken),
				"REDIS_URL": "redis://:hunter2pw@x:6379/0", "REDIS_URL_FILE": secretFile(t, "redis", "redis://:hunter2pw@x:6379/0"),
			},
			wantVars: []string{"SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE", "REDIS_URL_FILE"},
			wantMsg: []string{
				"SLACK_APP_TOKEN_FILE: is set and so is SLACK_APP_TOKEN: set only one of them",
				"SLACK_BOT_TOKEN_FILE: is set and so is SLACK_BOT_TOKEN",
				"REDIS_URL_FILE: is set and so is REDIS_URL",
			},
		},
		{
			name:     "an unreadable file",
			vars:     map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN_FILE": missing},
			wantVars: []string{"SLACK_BOT_TOKEN_FILE"},
			wantMsg:  []string{"SLACK_BOT_TOKEN_FILE: cannot read " + missing + ": no such file or directory"},
		},
		{
			name:     "an empty file",
			vars:     map[string]string{"SLACK_APP_TOKEN_FILE": secretFile(t, "empty", "\n"), "SLACK_BOT_TOKEN": botToken},
			wantVars: []string{"SLACK_APP_TOKEN_FILE"},
			wantMsg:  []string{"SLACK_APP_TOKEN_FILE: ", "is empty"},
		},
		{
			name:     "a file holding the wrong kind of token",
			vars:     map[string]string{"SLACK_APP_TOKEN_FILE": secretFile(t, "app", botToken), "SLACK_BOT_TOKEN": botToken},
			wantVars: []string{"SLACK_APP_TOKEN"},
			wantMsg:  []string{`SLACK_APP_TOKEN: must be the app-level token (starting with "xapp-"), but holds a token starting with "xoxb-"`},
		},
		{
			name:     "a file holding a bad Redis URL",
			vars:     map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken, "REDIS_URL_FILE": secretFile(t, "redis", "http://u:hunter2pw@x")},
			wantVars: []string{"REDIS_URL"},
			wantMsg:  []string{"REDIS_URL: must be a redis:// or rediss:// URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.vars)
			env, err := LoadEnv(ModeRun)
			if err == nil {
				t.Fatalf("LoadEnv = %v, nil; want an error", env)
			}
			if got := problemVars(t, err); !cmp.Equal(got, tt.wantVars) {
				t.Errorf("bad vars = %v, want %v (%v)", got, tt.wantVars, err)
			}
			msg := err.Error()
			for _, want := range tt.wantMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			for _, s := range []string{"secretapp", "secretbot", "hunter2"} {
				if strings.Contains(msg, s) {
					t.Errorf("error %q reveals a secret (%q)", msg, s)
				}
			}
		})
	}
}

func TestLoadEnvPprof(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  bool
		bad   bool
	}{{"", false, false}, {"0", false, false}, {"1", true, false}, {"true", true, false}, {"yes please", false, true}} {
		setEnv(t, map[string]string{"DEBUG_PPROF": tt.value})
		got, err := LoadEnv(ModeSandbox)
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), "DEBUG_PPROF") {
				t.Errorf("DEBUG_PPROF=%q: error %v, want one naming DEBUG_PPROF", tt.value, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("DEBUG_PPROF=%q: %v", tt.value, err)
		}
		if got.Pprof != tt.want {
			t.Errorf("DEBUG_PPROF=%q: Pprof %v, want %v", tt.value, got.Pprof, tt.want)
		}
	}
}
