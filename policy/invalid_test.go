package policy

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid from the tests' invalid policies")

// invalidDir holds every invalid policy of this package's tests, one file
// each, so that deploy's schema test checks the JSON Schema against exactly
// what check-policy refuses here (issue 15: "the schema and check-policy agree
// on what is valid").
const invalidDir = "testdata/invalid"

// invalidPolicies returns every invalid policy of the tests, by file name.
func invalidPolicies(t *testing.T) map[string]string {
	t.Helper()
	all := map[string]string{
		"every-problem.yaml":    editOf(t, basePolicy, everyProblemEdits...),
		"missing-sections.yaml": missingSectionsPolicy,
		"empty.yaml":            emptyPolicy,
	}
	for _, set := range []struct {
		base  string
		cases []problemCase
	}{{basePolicy, policyErrorCases}, {teamPolicy, teamErrorCases}} {
		for _, c := range set.cases {
			name := fileName(c.name)
			if _, dup := all[name]; dup {
				t.Fatalf("two cases are named %q: rename one", name)
			}
			all[name] = editOf(t, set.base, c.src...)
		}
	}
	return all
}

// fileName turns a case name into its file name: "zero limit" is
// zero-limit.yaml, "@every not positive" every-not-positive.yaml.
func fileName(caseName string) string {
	words := strings.FieldsFunc(strings.ToLower(caseName), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	return strings.Join(words, "-") + ".yaml"
}

// TestInvalidPolicyFiles: testdata/invalid holds each invalid policy of the
// tests as it is, and nothing else; each is refused. Run with -update after
// changing a case.
func TestInvalidPolicyFiles(t *testing.T) {
	want := invalidPolicies(t)
	if *update {
		if err := os.RemoveAll(invalidDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(invalidDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range want {
			if err := os.WriteFile(filepath.Join(invalidDir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(invalidDir)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -run TestInvalidPolicyFiles -update)", err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
		if _, ok := want[e.Name()]; !ok {
			t.Errorf("%s/%s is no case of the tests any more: run with -update", invalidDir, e.Name())
		}
	}
	for name, src := range want {
		if !slices.Contains(have, name) {
			t.Errorf("%s/%s is missing: run with -update", invalidDir, name)
			continue
		}
		b, err := os.ReadFile(filepath.Join(invalidDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != src {
			t.Errorf("%s/%s differs from its case: run with -update", invalidDir, name)
		}
		if _, err := Parse(b, name); err == nil {
			t.Errorf("%s/%s: Parse accepts it", invalidDir, name)
		}
	}
}
