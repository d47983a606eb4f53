package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/policy"
)

// schema compiles deploy/policy.schema.json.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// schemaErr validates a YAML policy against the schema, as an editor does.
func schemaErr(t *testing.T, s *jsonschema.Schema, src string) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// base is the example policy.
func base(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("policy.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSchemaAcceptsTheValidPolicies(t *testing.T) {
	s := schema(t)
	cm := docs(t, "kubernetes/configmap.yaml")[0]
	for name, src := range map[string]string{
		"deploy/policy.example.yaml": base(t),
		"kubernetes/configmap.yaml":  str(t, cm, "data", "policy.yaml"),
	} {
		if _, err := policy.Parse([]byte(src), name); err != nil {
			t.Fatalf("check-policy refuses %s: %v", name, err)
		}
		if err := schemaErr(t, s, src); err != nil {
			t.Errorf("the schema refuses %s, which check-policy accepts: %v", name, err)
		}
	}
}

// TestSchemaAndCheckPolicyAgreeOnInvalidPolicies: each change makes the
// example invalid for check-policy, and for the schema too.
func TestSchemaAndCheckPolicyAgreeOnInvalidPolicies(t *testing.T) {
	s := schema(t)
	ex := base(t)
	cases := []struct{ name, old, new string }{
		{"unknown top-level key", "currency: USD", "currency: USD\nbogus: 1"},
		{"misspelt key", "frontline: [", "frontlne: ["},
		{"unknown level key", "    respond_within: 4h", "    respond_within: 4h\n    reply_within: 4h"},
		{"level without approvers", "    approvers: [U0BOB]", "    approvers: []"},
		{"approver not an ID", "approvers: [U0BOB]", "approvers: [bob]"},
		{"channel not an ID", "praise: C0PRAISE", "praise: praise-feed"},
		{"a channel missing", "  praise: C0PRAISE ", "  # no praise channel "},
		{"respond_within not a duration", "respond_within: 4h", "respond_within: soon"},
		{"activity without a limit", "    frontline_limit: 500", "    summary2: x"},
		{"activity name with spaces", "- name: discount", "- name: big discount"},
		{"unknown schedule", "  digest: \"0 16 * * FRI\"", "  digest: \"0 16 * * FRI\"\n  payroll: \"0 9 * * *\""},
		{"show_amounts not a boolean", "show_amounts: false", "show_amounts: sometimes"},
		{"daily_limit negative", "daily_limit: 10", "daily_limit: -1"},
		{"retention not a duration", "retention: 400d", "retention: forever"},
		{"admins naming a group", "admins: [U0ADMIN]", "admins: [S0ADMINS]"},
		{"levels empty", "levels:", "levels: []\nold_levels:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(ex, c.old) {
				t.Skipf("the example no longer contains %q", c.old)
			}
			src := strings.Replace(ex, c.old, c.new, 1)
			if _, err := policy.Parse([]byte(src), "p.yaml"); err == nil {
				t.Fatalf("check-policy accepts it; the case is wrong")
			}
			if err := schemaErr(t, s, src); err == nil {
				t.Errorf("the schema accepts a policy check-policy refuses")
			}
		})
	}
}

// schemaCannot names the invalid policies of policy/testdata/invalid that
// only check-policy refuses, with why a JSON Schema cannot: each needs one
// value compared with another part of the file, or knowledge outside it. The
// schema must accept exactly these (so the list stays exact when it grows).
var schemaCannot = map[string]string{
	// Names that must refer to a level defined elsewhere in the file: JSON
	// Schema has no references from values to other values.
	"unknown-level-in-level-limits.yaml":           "a level_limits key must name a level of levels",
	"unknown-level-in-always-escalate.yaml":        "an always_escalate value must name a level of levels",
	"team-approver-level-that-is-not-a-level.yaml": "a team's approvers key must name a level of levels",
	// Comparisons between two values of the file.
	"higher-level-limit-not-above-lower-level.yaml": "a limit must be above the lower level's limit, in the order of levels",
	"level-limit-not-above-frontline-limit.yaml":    "a level limit must be above the activity's frontline_limit",
	"remind-after-as-long-as-respond-within.yaml":   "remind_after must be shorter than the same level's respond_within",
	"remind-after-longer-than-respond-within.yaml":  "remind_after must be shorter than the same level's respond_within",
	"always-escalate-tag-clashes-with-a-value.yaml": "an always_escalate tag must not be one of values",
	// Uniqueness of one property among objects: uniqueItems compares whole
	// items, and it is case-sensitive (days are read in any case).
	"duplicate-activity.yaml":                  "activity names must be unique; uniqueItems compares whole activities",
	"duplicate-level.yaml":                     "level names must be unique; uniqueItems compares whole levels",
	"duplicate-team-name.yaml":                 "team names must be unique; uniqueItems compares whole teams",
	"duplicate-team-name-in-another-case.yaml": "team names must be unique whatever their case",
	"weekday-twice.yaml":                       "working_days are unique whatever their case (fri and FRI); uniqueItems is case-sensitive",
	// Counting approvers across levels and teams.
	"approvals-needed-more-than-the-level-s-users.yaml":      "approvals_needed must not exceed the users approving at the level or above",
	"approvals-needed-more-than-a-team-s-own-approvers.yaml": "approvals_needed must not exceed a team's users approving at the level or above",
	// Knowledge outside the file: the IANA time zone database.
	"timezone-unknown.yaml":               "timezone must be a zone of the IANA database",
	"cron-spec-in-another-time-zone.yaml": "a CRON_TZ= prefix must name a zone of the IANA database",
}

// TestSchemaAgreesWithCheckPolicyOnEveryInvalidPolicy checks the schema
// against every invalid policy of the policy tests (policy/testdata/invalid,
// written by policy's TestInvalidPolicyFiles): it refuses each, as an editor
// would flag it, except those of schemaCannot, which it accepts. A policy
// that is not even YAML an editor flags as such.
func TestSchemaAgreesWithCheckPolicyOnEveryInvalidPolicy(t *testing.T) {
	s := schema(t)
	files, err := filepath.Glob("../policy/testdata/invalid/*.yaml")
	if err != nil || len(files) < 50 {
		t.Fatalf("policy/testdata/invalid has %d files (%v); want every invalid policy of the policy tests", len(files), err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.Parse(src, name); err == nil {
				t.Fatalf("check-policy accepts %s", name)
			}
			var v any
			if err := yaml.Unmarshal(src, &v); err != nil {
				return // not YAML (or a duplicate key): the editor flags it
			}
			err = schemaErr(t, s, string(src))
			why, cannot := schemaCannot[name]
			switch {
			case cannot && why != "" && err != nil:
				t.Errorf("the schema refuses %s now: take it out of schemaCannot (%v)", name, err)
			case cannot && why != "" && err == nil:
				t.Logf("only check-policy refuses %s: %s", name, why)
			case err == nil:
				t.Errorf("the schema accepts %s, which check-policy refuses", name)
			}
		})
	}
	for name := range schemaCannot {
		if !seen[name] {
			t.Errorf("schemaCannot names %s, which policy/testdata/invalid no longer has", name)
		}
	}
}

// The activity names the schema refuses are the subcommands and aliases.
func TestSchemaRefusesEverySubcommandAsActivity(t *testing.T) {
	s := schema(t)
	ex := base(t)
	for _, sub := range command.All() {
		for _, w := range append([]string{sub.Name}, sub.Aliases...) {
			if w == "" {
				continue
			}
			src := strings.Replace(ex, "- name: discount", "- name: "+w, 1)
			if _, err := policy.Parse([]byte(src), "p.yaml"); err == nil {
				t.Errorf("check-policy accepts an activity named %s", w)
			}
			if err := schemaErr(t, s, src); err == nil {
				t.Errorf("the schema accepts an activity named %s: add it to the enum", w)
			}
		}
	}
}

// The schedule pattern and check-policy (cronspec) agree on each spec.
func TestSchemaSchedulesAgreeWithCronspec(t *testing.T) {
	s := schema(t)
	ex := base(t)
	const old = `digest: "0 16 * * FRI"`
	if !strings.Contains(ex, old) {
		t.Fatalf("the example has no %s", old)
	}
	for _, spec := range []string{
		"0 9 * * MON", "*/5 * * * *", "0 8 * * *", "0 16 * * FRI", "30 8-18/2 1,15 JAN-jun mon-fri", "0 0 ? * 0",
		"59 23 31 12 6", "00 09 * * sun", "5/10 * * * *", "@daily", "@hourly", "@weekly", "@monthly", "@yearly",
		"@annually", "@midnight", "@every 2s", "@every 1h30m", "@every 90s", "@every 2000ms", "  0 9 * * MON  ",
		"CRON_TZ=Asia/Tokyo 0 9 * * MON", "TZ=UTC @daily", "CRON_TZ=Europe/Paris @every 1m",
		// refused
		"0 25 * * MON", "60 * * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * * 7", "* * * * MONDAY",
		"0 0 16 * * FRI", "0 9 * *", "*/0 * * * *", "@every 500ms", "@every -2s", "@every 1500ms", "@every 0s",
		"@every", "@every soon", "@often", "@Daily", "CRON_TZ=Asia/Tokyo", "every monday", "", "0 9 * * MON L",
		"0 9 L * *", "0 9 * * 1#2", "a b c d e",
	} {
		_, _, cerr := cronspec.Parse(spec, nil)
		src := strings.Replace(ex, old, "digest: "+strconv.Quote(spec), 1)
		serr := schemaErr(t, s, src)
		if (cerr == nil) != (serr == nil) {
			t.Errorf("schedule %q: check-policy says %v, the schema says %v", spec, cerr, serr)
		}
	}
}

// Amounts and durations: the schema and check-policy agree on each.
func TestSchemaAmountsAndDurationsAgree(t *testing.T) {
	s := schema(t)
	ex := base(t)
	for _, tt := range []struct{ old, format string }{
		{"frontline_limit: 250 ", "frontline_limit: %s "}, // travel-waiver: no level limit to compare with
		{"retention: 400d", "retention: %s"},
	} {
		if !strings.Contains(ex, tt.old) {
			t.Fatalf("the example has no %s", tt.old)
		}
		var values []string
		if strings.HasPrefix(tt.old, "frontline") {
			values = []string{"500", "1", "0.01", "499.99", `"$250"`, `"1,250.50"`, `"250 USD"`, "999999999.99", `"+5"`,
				"0", "-1", "0.001", "250.755", "1000000000", "1e9", `"lots"`, `"0.00"`, `"$-5"`, `"1,2345"`,
				`"1,000,000,000"`, `"1,000,000"`, `"NaN"`, `""`, "true"}
		} else {
			values = []string{"4h", "30m", "1h30m", "3d", "1d12h", "0.5h", "90s", "1500ms",
				"0s", "0d", "-4h", "4", "soon", `"4 hours"`, "1.5d", "1h2d", `""`, "d"}
		}
		for _, v := range values {
			src := strings.Replace(ex, tt.old, fmt.Sprintf(tt.format, v), 1)
			_, perr := policy.Parse([]byte(src), "p.yaml")
			serr := schemaErr(t, s, src)
			if (perr == nil) != (serr == nil) {
				t.Errorf("%s: check-policy says %v, the schema says %v", fmt.Sprintf(tt.format, v), perr, serr)
			}
		}
	}
}
