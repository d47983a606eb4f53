package store_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every key a script touches is one of its KEYS (Redis Cluster routes a
// script by its KEYS; a key built inside the script works only by luck of
// the hash tag): every redis.call in the store's scripts names KEYS[n], or
// a helper's key parameter (called with KEYS), or takes no key.
func TestScriptsTouchOnlyDeclaredKeys(t *testing.T) {
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`redis\.call\('([A-Z]+)'(?:,\s*([^,)]+))?`)
	keyless := map[string]bool{"TIME": true}
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			cmd, arg := m[1], strings.TrimSpace(m[2])
			switch {
			case keyless[cmd]:
			case strings.HasPrefix(arg, "KEYS["):
			case arg == "key": // audit_id/audit_add/away_prune(key, …): callers pass KEYS[n]
			default:
				t.Errorf("%s: redis.call('%s', %s): the key is not one of the script's KEYS", name, cmd, arg)
			}
		}
		for _, helper := range []string{"audit_id(", "audit_add(", "away_prune("} {
			for _, line := range strings.Split(string(src), "\n") {
				i := strings.Index(line, helper)
				if i < 0 || strings.Contains(line, "function") {
					continue
				}
				if !strings.HasPrefix(line[i+len(helper):], "KEYS[") {
					t.Errorf("%s: %s: the helper's key is not one of the script's KEYS", name, strings.TrimSpace(line))
				}
			}
		}
	}
}
