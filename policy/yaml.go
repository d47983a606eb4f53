package policy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/dates"
	"github.com/empowerbot/empowerbot/money"
)

var (
	tokenRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	userRE    = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	groupRE   = regexp.MustCompile(`^S[A-Z0-9]+$`)
	channelRE = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	currRE    = regexp.MustCompile(`^[A-Z]{3}$`)
	emojiRE   = regexp.MustCompile(`^[a-z0-9_+'-]+(::skin-tone-[2-6])?$`)
	yamlLine  = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// parser walks the YAML node tree, filling a Policy and collecting problems.
type parser struct {
	problems []Problem
	// valueNodes are the items of the values section by value, for
	// always_escalate to name the line of a clash.
	valueNodes map[string]*yaml.Node
	// levels are the fields of each level read, in chain order; teams
	// are the teams read, with the nodes their problems are reported at.
	levelFields []map[string]field
	teamsRead   []teamNodes
	// warnings are problems that do not stop the policy from loading.
	warnings []Problem
}

// warnf records a warning at n's line.
func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	p.warnings = append(p.warnings, Problem{Line: n.Line, Message: "warning: " + fmt.Sprintf(format, args...)})
}

func (p *parser) addf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, Problem{Line: line, Message: fmt.Sprintf(format, args...)})
}

// field is one key of a mapping, as read.
type field struct {
	key, val *yaml.Node
}

// set reports whether the field is present with a value other than null.
func (f field) set() bool { return f.val != nil && !isNull(f.val) }

// document decodes data and returns the root node, or nil after reporting
// why there is none (invalid YAML, an empty file).
func (p *parser) document(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			if yamlParserProblem(m[2]) {
				// yaml.v3 reports parser (not scanner) errors with 0-based lines.
				line++
			}
			p.problems = append(p.problems, Problem{Line: line, Message: "invalid YAML: " + m[2]})
		} else {
			p.problems = append(p.problems, Problem{Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
		}
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.problems = append(p.problems, Problem{Line: 1, Message: "the policy is empty"})
		return nil
	}
	return resolve(doc.Content[0])
}

// yamlParserProblem reports whether msg is one of yaml.v3's parser errors,
// whose line yaml.v3 reports 0-based (its scanner errors are 1-based).
func yamlParserProblem(msg string) bool {
	switch {
	case strings.HasPrefix(msg, "did not find expected ',' or "),
		msg == "did not find expected '-' indicator",
		msg == "did not find expected key",
		msg == "did not find expected node content",
		strings.HasPrefix(msg, "did not find expected <"),
		strings.HasPrefix(msg, "found duplicate %"),
		msg == "found incompatible YAML document",
		msg == "found undefined tag handle":
		return true
	}
	return false
}

// didYouMean returns the allowed key nearest to name when it looks like a
// typo of it (a small edit distance, or the same key in another case or
// with dashes for underscores), or "".
func didYouMean(name string, allowed []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestD := "", 1<<30
	for _, a := range allowed {
		if norm(a) == norm(name) {
			return a
		}
		if d := levenshtein.ComputeDistance(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	if bestD > max(1, min(3, len(name)/3)) {
		return ""
	}
	return best
}

// mapping reads a mapping node's keys, reporting unknown and duplicate keys
// (allowed == nil: any key). It returns the fields by key.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) (map[string]field, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping of keys to values", path)
		return nil, false
	}
	where := ""
	if path != "" {
		where = " in " + path
	}
	fields := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		name := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			p.addf(k, "keys%s must be plain names", where)
			continue
		case allowed != nil && !slices.Contains(allowed, name):
			if s := didYouMean(name, allowed); s != "" {
				p.addf(k, "unknown key %q%s: did you mean %q? (known keys: %s)", name, where, s, strings.Join(allowed, ", "))
				continue
			}
			p.addf(k, "unknown key %q%s (known keys: %s)", name, where, strings.Join(allowed, ", "))
			continue
		}
		if prev, dup := fields[name]; dup {
			p.addf(k, "duplicate key %q%s (first at line %d)", name, where, prev.key.Line)
			continue
		}
		fields[name] = field{key: k, val: v}
	}
	return fields, true
}

// need returns the field called key of m. When it is missing or null it
// reports "path: msg" at its key, or at the mapping n when there is no key.
func (p *parser) need(n *yaml.Node, m map[string]field, key, path, msg string) (field, bool) {
	f, ok := m[key]
	if ok && f.set() {
		return f, true
	}
	at := n
	if ok {
		at = f.key
	}
	p.addf(at, "%s: %s", path, msg)
	return f, false
}

// orderedFields returns a mapping's accepted fields in file order.
func orderedFields(m map[string]field) []field {
	out := make([]field, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].key.Line != out[j].key.Line {
			return out[i].key.Line < out[j].key.Line
		}
		return out[i].key.Column < out[j].key.Column
	})
	return out
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// scalar returns a scalar's text; it reports anything else.
func (p *parser) scalar(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		p.addf(n, "%s: must be a single value, not a list or mapping", path)
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

// list returns a sequence's items; it reports anything else.
func (p *parser) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		p.addf(n, "%s: must be a list", path)
		return nil, false
	}
	return n.Content, true
}

// nonEmptyList is list, reporting "path: must list at least one what" for
// an empty one.
func (p *parser) nonEmptyList(f field, path, what string) []*yaml.Node {
	items, ok := p.list(f.val, path)
	if ok && len(items) == 0 {
		p.addf(f.val, "%s: must list at least one %s", path, what)
	}
	return items
}

func (p *parser) str(f field, path string) (string, bool) {
	s, ok := p.scalar(f.val, path)
	return strings.TrimSpace(s), ok
}

func (p *parser) duration(f field, path string, def time.Duration) time.Duration {
	if !f.set() {
		return def
	}
	s, ok := p.scalar(f.val, path)
	if !ok {
		return def
	}
	d, err := dates.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		p.addf(f.val, "%s: %q is not a duration (write it like 4h, 30m, 72h or 3d)", path, s)
	case d <= 0:
		p.addf(f.val, "%s: must be more than zero", path)
	default:
		return d
	}
	return def
}

func (p *parser) boolean(f field, path string, def bool) bool {
	if !f.set() {
		return def
	}
	n := resolve(f.val)
	if n.Kind == yaml.ScalarNode {
		if b, err := strconv.ParseBool(n.Value); err == nil && n.Tag == "!!bool" {
			return b
		}
	}
	p.addf(n, "%s: must be true or false", path)
	return def
}

// positiveInt reads a whole number more than zero; def when f is not set.
func (p *parser) positiveInt(f field, path string, def int) int {
	if !f.set() {
		return def
	}
	n := resolve(f.val)
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v <= 0 {
		p.addf(n, "%s: must be a whole number more than zero", path)
		return def
	}
	return v
}

// amount reads a limit: a YAML number or text such as "1,250.50".
func (p *parser) amount(n *yaml.Node, path, unit string) (money.Amount, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		p.addf(n, "%s: is empty; give an amount like 500", path)
		return 0, false
	}
	a, err := money.Parse(s, unit)
	if err != nil {
		p.addf(n, "%s: %q: %v", path, s, err)
		return 0, false
	}
	return a, true
}

// currencyCode reads an ISO currency code; what names it in the message ("a
// three-letter ISO code", "a three-letter currency code").
func (p *parser) currencyCode(f field, path, what string) (string, bool) {
	c, ok := p.str(f, path)
	if !ok {
		return "", false
	}
	if !currRE.MatchString(c) {
		p.addf(f.val, "%s: %q must be %s like USD", path, c, what)
		return "", false
	}
	return c, true
}

// principals reads a non-empty list of Slack user (U…/W…) and user group
// (S…) IDs; empty is what it reports for an empty list.
func (p *parser) principals(f field, path, empty string) []string {
	items, ok := p.list(f.val, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.addf(f.val, "%s: %s", path, empty)
		return nil
	}
	var out []string
	for i, it := range items {
		s, ok := p.scalar(it, fmt.Sprintf("%s[%d]", path, i))
		if !ok {
			continue
		}
		if !userRE.MatchString(s) && !groupRE.MatchString(s) {
			p.addf(it, "%s[%d]: %q is not a Slack user (U…/W…) or user group (S…) ID", path, i, s)
			continue
		}
		out = append(out, s)
	}
	return out
}

// token reads a simple lowercase word (a value, a tag, a name), reporting
// anything else as "path: what "x" must be a simple lowercase word".
func (p *parser) token(n *yaml.Node, s, path, what string) bool {
	if !validToken(s) {
		p.addf(n, "%s: %s%q must be a simple lowercase word (letters, digits, - and _)", path, what, s)
		return false
	}
	return true
}

func validToken(s string) bool {
	return len(s) <= maxActivityOrValueLength && tokenRE.MatchString(s)
}

// name reads the name of a level or activity: required, a simple token and
// not seen before.
func (p *parser) name(n *yaml.Node, m map[string]field, path, kind string, seen map[string]*yaml.Node) (string, bool) {
	nf, ok := m["name"]
	if !ok || !nf.set() {
		p.addf(n, "%s.name: is required", path)
		return "", false
	}
	name, ok := p.str(nf, path+".name")
	if !ok || !p.token(nf.val, name, path+".name", "") {
		return "", false
	}
	if prev, dup := seen[name]; dup {
		p.addf(nf.val, "%s.name: duplicate %s %q (first at line %d)", path, kind, name, prev.Line)
		return "", false
	}
	seen[name] = nf.val
	return name, true
}
