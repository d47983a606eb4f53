package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

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
