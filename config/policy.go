package config

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	// The policy names IANA zones; the binary may run from a scratch image.
	_ "time/tzdata"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// DefaultQuestions returns the six autonomy-support questions asked when
// the policy names none.
func DefaultQuestions() []string {
	return []string{
		"How can I help you realize your goals in the next year?",
		"By when would you like me to achieve these things for you?",
		"In what areas have I failed to help you in the past, and how can I improve?",
		"What kind of things would help you feel more engaged?",
		"How can I help smooth your path toward mastery of certain skills?",
		"What does success look like for you, and how can I help you succeed?",
	}
}

// DefaultSchedules returns the job schedules used where the policy names
// none (those of PRODUCT.md's example).
func DefaultSchedules() domain.Schedules {
	return domain.Schedules{
		Feedback:            "0 9 * * MON",
		FeedbackReminder:    "0 9 * * WED",
		CommitmentReminders: "0 8 * * *",
		EscalationTimeouts:  "*/5 * * * *",
		OutcomeFollowups:    "0 10 * * *",
		Digest:              "0 16 * * FRI",
	}
}

// Other policy defaults.
const (
	DefaultTimezone          = "UTC"
	DefaultCurrency          = "USD"
	DefaultAskAfter          = 72 * time.Hour
	DefaultPraiseDailyLimit  = 10
	DefaultRemindBefore      = 24 * time.Hour
	maxQuestionRunes         = 2000 // a modal input's label
	maxSummaryRunes          = 150
	maxActivityOrValueLength = 64
)

// Problem is one thing wrong in a policy file, at a 1-based line (0 when
// the problem has no line, such as an unreadable file).
type Problem struct {
	Line    int
	Message string
}

// PolicyError lists every problem found in a policy file.
type PolicyError struct {
	Filename string
	Problems []Problem
}

// Error prints one "file:line: message" per line.
func (e *PolicyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", e.Filename, p.Line, p.Message)
		} else {
			lines[i] = fmt.Sprintf("%s: %s", e.Filename, p.Message)
		}
	}
	return strings.Join(lines, "\n")
}

// LoadPolicy reads and validates the policy file at path. A file that is
// read but invalid gives a *PolicyError.
func LoadPolicy(path string) (*domain.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	return ParsePolicy(data, path)
}

// CheckPolicy validates the policy file at path and prints "ok", or every
// problem, one per line, to w. It returns the error it printed.
func CheckPolicy(path string, w io.Writer) error {
	if _, err := LoadPolicy(path); err != nil {
		fmt.Fprintln(w, err)
		return err
	}
	fmt.Fprintln(w, "ok")
	return nil
}

// ParsePolicy decodes and validates a policy file's content; filename is
// used in the messages. Every problem is collected and returned at once in
// a *PolicyError.
func ParsePolicy(data []byte, filename string) (*domain.Policy, error) {
	p := &parser{}
	pol := p.parse(data)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &PolicyError{Filename: filename, Problems: p.problems}
	}
	return pol, nil
}

// ParseDuration reads a Go duration ("4h", "30m", "1h30m") or a number of
// days ("3d"), optionally followed by a Go duration ("1d12h").
func ParseDuration(s string) (time.Duration, error) {
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d := time.Duration(n) * 24 * time.Hour
		if rest == "" {
			return d, nil
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return d + r, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

var (
	tokenRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	userRE    = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	groupRE   = regexp.MustCompile(`^S[A-Z0-9]+$`)
	channelRE = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	currRE    = regexp.MustCompile(`^[A-Z]{3}$`)
	yamlLine  = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// parser walks the YAML node tree, filling a Policy and collecting problems.
type parser struct {
	problems []Problem
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

// mapping reads a mapping node's keys, reporting unknown and duplicate keys
// (allowed == nil: any key). It returns the fields by key.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) (map[string]field, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping of keys to values", path)
		return nil, false
	}
	fields := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		name := k.Value
		where := ""
		if path != "" {
			where = " in " + path
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			p.addf(k, "keys%s must be plain names", where)
			continue
		case allowed != nil && !slices.Contains(allowed, name):
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

func (p *parser) str(f field, path string) (string, bool) {
	s, ok := p.scalar(f.val, path)
	return strings.TrimSpace(s), ok
}

func (p *parser) duration(f field, path string, def time.Duration) time.Duration {
	if f.val == nil || isNull(f.val) {
		return def
	}
	s, ok := p.scalar(f.val, path)
	if !ok {
		return def
	}
	d, err := ParseDuration(strings.TrimSpace(s))
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
	if f.val == nil || isNull(f.val) {
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

func (p *parser) cronSpec(f field, path, def string) string {
	if f.val == nil || isNull(f.val) {
		return def
	}
	s, ok := p.scalar(f.val, path)
	if !ok {
		return def
	}
	s = strings.TrimSpace(s)
	if _, err := cron.ParseStandard(s); err != nil {
		p.addf(f.val, "%s: bad cron spec %q: %v", path, s, err)
		return def
	}
	// The scheduler names "@every D" ticks in whole seconds since the epoch:
	// shorter or fractional intervals would not run as written.
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		if d, err := time.ParseDuration(rest); err == nil && (d < time.Second || d%time.Second != 0) {
			p.addf(f.val, "%s: bad cron spec %q: the interval must be a whole number of seconds, at least 1s", path, s)
			return def
		}
	}
	return s
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

func (p *parser) parse(data []byte) *domain.Policy {
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
	root := resolve(doc.Content[0])
	top, ok := p.mapping(root, "the policy", "timezone", "currency", "channels", "values", "frontline", "levels",
		"activities", "always_escalate", "schedules", "outcomes", "praise", "commitments", "feedback")
	if !ok {
		return nil
	}
	required := func(name string) (field, bool) {
		f, ok := top[name]
		if !ok || isNull(f.val) {
			at := root
			if ok {
				at = f.key
			}
			p.addf(at, "%s: is required", name)
			return f, false
		}
		return f, true
	}

	pol := &domain.Policy{
		Timezone:       DefaultTimezone,
		Currency:       DefaultCurrency,
		AlwaysEscalate: map[string]string{},
		Schedules:      DefaultSchedules(),
		Outcomes:       domain.Outcomes{AskAfter: DefaultAskAfter},
		Praise:         domain.Praise{DailyLimit: DefaultPraiseDailyLimit},
		Commitments:    domain.Commitments{RemindBefore: DefaultRemindBefore},
		Feedback:       domain.Feedback{AnonymousAllowed: true, Questions: DefaultQuestions()},
	}

	// timezone
	pol.Location = time.UTC
	if f, ok := top["timezone"]; ok && !isNull(f.val) {
		if tz, ok := p.str(f, "timezone"); ok {
			if loc, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
				p.addf(f.val, "timezone: %q is not a known time zone (use an IANA name like America/Chicago)", tz)
			} else {
				pol.Timezone, pol.Location = tz, loc
			}
		}
	}

	// currency
	if f, ok := top["currency"]; ok && !isNull(f.val) {
		if c, ok := p.str(f, "currency"); ok {
			if !currRE.MatchString(c) {
				p.addf(f.val, "currency: %q must be a three-letter ISO code like USD", c)
			} else {
				pol.Currency = c
			}
		}
	}

	// channels
	if f, ok := required("channels"); ok {
		if ch, ok := p.mapping(f.val, "channels", "praise", "escalations", "leaders"); ok {
			for _, c := range []struct {
				name string
				dst  *string
			}{{"praise", &pol.Channels.Praise}, {"escalations", &pol.Channels.Escalations}, {"leaders", &pol.Channels.Leaders}} {
				cf, ok := ch[c.name]
				if !ok || isNull(cf.val) {
					at := f.key
					if ok {
						at = cf.key
					}
					p.addf(at, "channels.%s: is required", c.name)
					continue
				}
				id, ok := p.str(cf, "channels."+c.name)
				if !ok {
					continue
				}
				if !channelRE.MatchString(id) {
					p.addf(cf.val, "channels.%s: %q is not a Slack channel ID (C… or G…)", c.name, id)
					continue
				}
				*c.dst = id
			}
		}
	}

	// values
	values := map[string]*yaml.Node{}
	if f, ok := top["values"]; ok {
		items, _ := p.list(f.val, "values")
		for i, it := range items {
			path := fmt.Sprintf("values[%d]", i)
			v, ok := p.scalar(it, path)
			if !ok {
				continue
			}
			if !validToken(v) {
				p.addf(it, "%s: %q must be a simple lowercase word (letters, digits, - and _)", path, v)
				continue
			}
			if prev, dup := values[v]; dup {
				p.addf(it, "%s: duplicate value %q (first at line %d)", path, v, prev.Line)
				continue
			}
			values[v] = it
			pol.Values = append(pol.Values, v)
		}
	}

	// frontline
	if f, ok := required("frontline"); ok {
		pol.Frontline = p.principals(f, "frontline", "must list at least one user or user group")
	}

	// levels
	if f, ok := required("levels"); ok {
		items, ok := p.list(f.val, "levels")
		if ok && len(items) == 0 {
			p.addf(f.val, "levels: must list at least one level")
		}
		seen := map[string]*yaml.Node{}
		for i, it := range items {
			if l, ok := p.level(it, i, seen); ok {
				pol.Levels = append(pol.Levels, l)
			}
		}
	}

	// activities
	if f, ok := required("activities"); ok {
		items, ok := p.list(f.val, "activities")
		if ok && len(items) == 0 {
			p.addf(f.val, "activities: must list at least one activity")
		}
		seen := map[string]*yaml.Node{}
		for i, it := range items {
			if a, ok := p.activity(it, i, pol, seen); ok {
				pol.Activities = append(pol.Activities, a)
			}
		}
	}

	// always_escalate
	if f, ok := top["always_escalate"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "always_escalate"); ok {
			for _, kv := range orderedFields(m) {
				tag := kv.key.Value
				path := "always_escalate." + tag
				if !validToken(tag) {
					p.addf(kv.key, "%s: tag %q must be a simple lowercase word (letters, digits, - and _)", path, tag)
					continue
				}
				if v, clash := values[tag]; clash {
					p.addf(kv.key, "%s: %q is also listed in values (line %d); a tag is either a value or always escalates", path, tag, v.Line)
					continue
				}
				lvl, ok := p.str(kv, path)
				if !ok {
					continue
				}
				if lvl == "" {
					p.addf(kv.val, "%s: name the lowest level that may clear it", path)
					continue
				}
				if pol.LevelIndex(lvl) < 0 {
					p.addf(kv.val, "%s: unknown level %q (levels: %s)", path, lvl, strings.Join(levelNames(pol), ", "))
					continue
				}
				pol.AlwaysEscalate[tag] = lvl
			}
		}
	}

	// schedules
	if f, ok := top["schedules"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "schedules", "feedback", "feedback_reminder", "commitment_reminders",
			"escalation_timeouts", "outcome_followups", "digest"); ok {
			s := &pol.Schedules
			s.Feedback = p.cronSpec(m["feedback"], "schedules.feedback", s.Feedback)
			s.FeedbackReminder = p.cronSpec(m["feedback_reminder"], "schedules.feedback_reminder", s.FeedbackReminder)
			s.CommitmentReminders = p.cronSpec(m["commitment_reminders"], "schedules.commitment_reminders", s.CommitmentReminders)
			s.EscalationTimeouts = p.cronSpec(m["escalation_timeouts"], "schedules.escalation_timeouts", s.EscalationTimeouts)
			s.OutcomeFollowups = p.cronSpec(m["outcome_followups"], "schedules.outcome_followups", s.OutcomeFollowups)
			s.Digest = p.cronSpec(m["digest"], "schedules.digest", s.Digest)
		}
	}

	// outcomes
	if f, ok := top["outcomes"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "outcomes", "ask_after"); ok {
			pol.Outcomes.AskAfter = p.duration(m["ask_after"], "outcomes.ask_after", pol.Outcomes.AskAfter)
		}
	}

	// praise
	if f, ok := top["praise"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "praise", "show_amounts", "daily_limit"); ok {
			pol.Praise.ShowAmounts = p.boolean(m["show_amounts"], "praise.show_amounts", false)
			if dl, ok := m["daily_limit"]; ok && !isNull(dl.val) {
				n := resolve(dl.val)
				v, err := strconv.Atoi(n.Value)
				if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v <= 0 {
					p.addf(n, "praise.daily_limit: must be a whole number more than zero")
				} else {
					pol.Praise.DailyLimit = v
				}
			}
		}
	}

	// commitments
	if f, ok := top["commitments"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "commitments", "remind_before"); ok {
			pol.Commitments.RemindBefore = p.duration(m["remind_before"], "commitments.remind_before", pol.Commitments.RemindBefore)
		}
	}

	// feedback
	if f, ok := top["feedback"]; ok && !isNull(f.val) {
		if m, ok := p.mapping(f.val, "feedback", "anonymous_allowed", "questions"); ok {
			pol.Feedback.AnonymousAllowed = p.boolean(m["anonymous_allowed"], "feedback.anonymous_allowed", true)
			if qf, ok := m["questions"]; ok && !isNull(qf.val) {
				items, ok := p.list(qf.val, "feedback.questions")
				if ok && len(items) == 0 {
					p.addf(qf.val, "feedback.questions: must list at least one question (or leave it out for the defaults)")
				}
				var qs []string
				for i, it := range items {
					path := fmt.Sprintf("feedback.questions[%d]", i)
					q, ok := p.scalar(it, path)
					q = strings.TrimSpace(q)
					switch {
					case !ok:
					case q == "":
						p.addf(it, "%s: is empty", path)
					case utf8.RuneCountInString(q) > maxQuestionRunes:
						p.addf(it, "%s: is longer than %d characters", path, maxQuestionRunes)
					default:
						qs = append(qs, q)
					}
				}
				if len(qs) > 0 {
					pol.Feedback.Questions = qs
				}
			}
		}
	}

	return pol
}

func (p *parser) level(n *yaml.Node, i int, seen map[string]*yaml.Node) (domain.Level, bool) {
	path := fmt.Sprintf("levels[%d]", i)
	m, ok := p.mapping(n, path, "name", "approvers", "respond_within")
	if !ok {
		return domain.Level{}, false
	}
	var l domain.Level
	var good bool
	l.Name, good = p.name(n, m, path, "level", seen)
	if af, ok := m["approvers"]; ok && !isNull(af.val) {
		l.Approvers = p.principals(af, path+".approvers", "must list at least one approver")
	} else {
		at := n
		if ok {
			at = af.key
		}
		p.addf(at, "%s.approvers: must list at least one approver", path)
	}
	if rf, ok := m["respond_within"]; ok && !isNull(rf.val) {
		l.RespondWithin = p.duration(rf, path+".respond_within", 0)
	} else {
		at := n
		if ok {
			at = rf.key
		}
		p.addf(at, "%s.respond_within: is required (how long before it escalates, like 4h)", path)
	}
	return l, good
}

func (p *parser) activity(n *yaml.Node, i int, pol *domain.Policy, seen map[string]*yaml.Node) (domain.Activity, bool) {
	path := fmt.Sprintf("activities[%d]", i)
	m, ok := p.mapping(n, path, "name", "summary", "unit", "frontline_limit", "level_limits")
	if !ok {
		return domain.Activity{}, false
	}
	var a domain.Activity
	var good bool
	a.Name, good = p.name(n, m, path, "activity", seen)
	if a.Name != "" {
		path = fmt.Sprintf("activities[%d] (%s)", i, a.Name)
		if err := command.CheckActivityName(a.Name); err != nil {
			p.addf(m["name"].val, "%v", err)
		}
	}
	if sf, ok := m["summary"]; ok {
		a.Summary, _ = p.str(sf, path+".summary")
		if utf8.RuneCountInString(a.Summary) > maxSummaryRunes {
			p.addf(sf.val, "%s.summary: is longer than %d characters", path, maxSummaryRunes)
		}
	}
	a.Unit = pol.Currency
	if uf, ok := m["unit"]; ok && !isNull(uf.val) {
		if u, ok := p.str(uf, path+".unit"); ok {
			if !currRE.MatchString(u) {
				p.addf(uf.val, "%s.unit: %q must be a three-letter currency code like USD", path, u)
			} else {
				a.Unit = u
			}
		}
	}
	limitsOK := true
	if ff, ok := m["frontline_limit"]; ok && !isNull(ff.val) {
		a.FrontlineLimit, limitsOK = p.amount(ff.val, path+".frontline_limit", a.Unit)
	} else {
		at := n
		if ok {
			at = ff.key
		}
		p.addf(at, "%s.frontline_limit: is required (the amount decided alone)", path)
		limitsOK = false
	}
	a.LevelLimits = map[string]money.Amount{}
	lf, ok := m["level_limits"]
	if !ok || isNull(lf.val) {
		return a, good
	}
	ll, ok := p.mapping(lf.val, path+".level_limits")
	if !ok {
		return a, good
	}
	nodes := map[string]*yaml.Node{}
	for _, kv := range orderedFields(ll) {
		name := kv.key.Value
		lpath := path + ".level_limits." + name
		if pol.LevelIndex(name) < 0 {
			p.addf(kv.key, "%s: unknown level %q (levels: %s)", lpath, name, strings.Join(levelNames(pol), ", "))
			continue
		}
		amt, ok := p.amount(kv.val, lpath, a.Unit)
		if !ok {
			limitsOK = false
			continue
		}
		a.LevelLimits[name] = amt
		nodes[name] = kv.val
	}
	if !limitsOK {
		return a, good
	}
	// Limits grow along the chain: each level above the frontline_limit and
	// above every lower level's limit.
	prevName, prev := "frontline_limit", a.FrontlineLimit
	for _, l := range pol.Levels {
		amt, ok := a.LevelLimits[l.Name]
		if !ok {
			continue
		}
		if amt <= prev {
			what := prevName
			if prevName != "frontline_limit" {
				what = "the limit of lower level " + prevName
			}
			p.addf(nodes[l.Name], "%s.level_limits.%s: %s must be greater than %s (%s); limits grow along the chain",
				path, l.Name, amt.String(), what, prev.String())
		}
		prevName, prev = l.Name, amt
	}
	return a, good
}

// name reads the name of a level or activity: required, a simple token and
// not seen before.
func (p *parser) name(n *yaml.Node, m map[string]field, path, kind string, seen map[string]*yaml.Node) (string, bool) {
	nf, ok := m["name"]
	if !ok || isNull(nf.val) {
		p.addf(n, "%s.name: is required", path)
		return "", false
	}
	name, ok := p.str(nf, path+".name")
	if !ok {
		return "", false
	}
	if !validToken(name) {
		p.addf(nf.val, "%s.name: %q must be a simple lowercase word (letters, digits, - and _)", path, name)
		return "", false
	}
	if prev, dup := seen[name]; dup {
		p.addf(nf.val, "%s.name: duplicate %s %q (first at line %d)", path, kind, name, prev.Line)
		return "", false
	}
	seen[name] = nf.val
	return name, true
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

func levelNames(p *domain.Policy) []string {
	names := make([]string, len(p.Levels))
	for i, l := range p.Levels {
		names[i] = l.Name
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
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

func validToken(s string) bool {
	return len(s) <= maxActivityOrValueLength && tokenRE.MatchString(s)
}
