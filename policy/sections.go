package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/cronspec"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// section is one top-level key of the policy file and the function that
// reads it into the policy.
type section struct {
	key      string
	required bool
	// unless names the section whose presence makes a required one
	// optional (frontline with teams).
	unless string
	read   func(p *parser, f field, pol *domain.Policy)
}

// sections are the policy file's top-level keys, in the order they are
// read: a section may use what an earlier one read (activities and
// always_escalate name levels, always_escalate checks values, activity
// units default to the currency).
var sections = []section{
	{"timezone", false, "", (*parser).timezone},
	{"currency", false, "", (*parser).currency},
	{"channels", true, "", (*parser).channels},
	{"values", false, "", (*parser).values},
	{"admins", false, "", (*parser).admins},
	{"frontline", true, "teams", (*parser).frontline},
	{"levels", true, "", (*parser).levels},
	{"teams", false, "", (*parser).teams},
	{"local_time", false, "", (*parser).localTime},
	{"working_days", false, "", (*parser).workingDays},
	{"autonomy", false, "", (*parser).autonomy},
	{"activities", true, "", (*parser).activities},
	{"always_escalate", false, "", (*parser).alwaysEscalate},
	{"schedules", false, "", (*parser).schedules},
	{"outcomes", false, "", (*parser).outcomes},
	{"praise", false, "", (*parser).praise},
	{"commitments", false, "", (*parser).commitments},
	{"feedback", false, "", (*parser).feedback},
	{"retention", false, "", (*parser).retention},
}

// parse reads data into a policy, section by section, from the defaults.
// The policy is meaningless when problems were reported.
func (p *parser) parse(data []byte) *domain.Policy {
	root := p.document(data)
	if root == nil {
		return nil
	}
	keys := make([]string, len(sections))
	for i, s := range sections {
		keys[i] = s.key
	}
	top, ok := p.mapping(root, "the policy", keys...)
	if !ok {
		return nil
	}
	pol := defaults()
	for _, s := range sections {
		f := top[s.key]
		switch {
		case s.required && (s.unless == "" || !top[s.unless].set()):
			if f, ok = p.need(root, top, s.key, s.key, "is required"); !ok {
				continue
			}
		case !f.set():
			continue
		}
		s.read(p, f, pol)
	}
	p.approvalsReachable(pol)
	return pol
}

func (p *parser) timezone(f field, pol *domain.Policy) {
	tz, ok := p.str(f, "timezone")
	if !ok {
		return
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" || tz == "Local" {
		p.addf(f.val, "timezone: %q is not a known time zone (use an IANA name like America/Chicago)", tz)
		return
	}
	pol.Timezone, pol.Location = tz, loc
}

func (p *parser) currency(f field, pol *domain.Policy) {
	if c, ok := p.currencyCode(f, "currency", "a three-letter ISO code"); ok {
		pol.Currency = c
	}
}

func (p *parser) channels(f field, pol *domain.Policy) {
	m, ok := p.mapping(f.val, "channels", "praise", "escalations", "leaders")
	if !ok {
		return
	}
	for _, c := range []struct {
		name string
		dst  *string
	}{{"praise", &pol.Channels.Praise}, {"escalations", &pol.Channels.Escalations}, {"leaders", &pol.Channels.Leaders}} {
		path := "channels." + c.name
		if cf, ok := p.need(f.key, m, c.name, path, "is required"); ok {
			p.channelID(cf, path, c.dst)
		}
	}
}

// channelID reads a channel ID (C… or G…) into dst.
func (p *parser) channelID(f field, path string, dst *string) {
	id, ok := p.str(f, path)
	if !ok {
		return
	}
	if !channelRE.MatchString(id) {
		p.addf(f.val, "%s: %q is not a Slack channel ID (C… or G…)", path, id)
		return
	}
	*dst = id
}

func (p *parser) values(f field, pol *domain.Policy) {
	items, _ := p.list(f.val, "values")
	p.valueNodes = map[string]*yaml.Node{}
	for i, it := range items {
		path := fmt.Sprintf("values[%d]", i)
		v, ok := p.scalar(it, path)
		if !ok || !p.token(it, v, path, "") {
			continue
		}
		if prev, dup := p.valueNodes[v]; dup {
			p.addf(it, "%s: duplicate value %q (first at line %d)", path, v, prev.Line)
			continue
		}
		p.valueNodes[v] = it
		pol.Values = append(pol.Values, v)
	}
}

func (p *parser) frontline(f field, pol *domain.Policy) {
	pol.Frontline = p.principals(f, "frontline", "must list at least one user or user group")
}

func (p *parser) admins(f field, pol *domain.Policy) {
	items, _ := p.list(f.val, "admins")
	for i, it := range items {
		path := fmt.Sprintf("admins[%d]", i)
		s, ok := p.scalar(it, path)
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if !userRE.MatchString(s) {
			p.addf(it, "%s: %q is not a Slack user ID (U… or W…); admins are named one by one", path, s)
			continue
		}
		if !slices.Contains(pol.Admins, s) {
			pol.Admins = append(pol.Admins, s)
		}
	}
}

func (p *parser) levels(f field, pol *domain.Policy) {
	seen := map[string]*yaml.Node{}
	for i, it := range p.nonEmptyList(f, "levels", "level") {
		if l, ok := p.level(it, i, seen); ok {
			pol.Levels = append(pol.Levels, l)
		}
	}
}

func (p *parser) level(n *yaml.Node, i int, seen map[string]*yaml.Node) (domain.Level, bool) {
	path := fmt.Sprintf("levels[%d]", i)
	m, ok := p.mapping(n, path, "name", "approvers", "respond_within", "remind_after", "approvals_needed")
	if !ok {
		return domain.Level{}, false
	}
	var l domain.Level
	var good bool
	l.Name, good = p.name(n, m, path, "level", seen)
	if af, ok := p.need(n, m, "approvers", path+".approvers", "must list at least one approver"); ok {
		l.Approvers = p.principals(af, path+".approvers", "must list at least one approver")
	}
	if rf, ok := p.need(n, m, "respond_within", path+".respond_within", "is required (how long before it escalates, like 4h)"); ok {
		l.RespondWithin = p.duration(rf, path+".respond_within", 0)
	}
	if rf := m["remind_after"]; rf.set() {
		l.RemindAfter = p.duration(rf, path+".remind_after", 0)
		if l.RemindAfter > 0 && l.RespondWithin > 0 && l.RemindAfter >= l.RespondWithin {
			p.addf(rf.val, "%s.remind_after: %s is not shorter than respond_within (%s); the reminder must come before the move up",
				path, strings.TrimSpace(rf.val.Value), strings.TrimSpace(m["respond_within"].val.Value))
			l.RemindAfter = 0
		}
	}
	l.ApprovalsNeeded = p.positiveInt(m["approvals_needed"], path+".approvals_needed", 0)
	if good {
		p.levelFields = append(p.levelFields, m)
	}
	return l, good
}

func (p *parser) activities(f field, pol *domain.Policy) {
	seen := map[string]*yaml.Node{}
	for i, it := range p.nonEmptyList(f, "activities", "activity") {
		if a, ok := p.activity(it, i, pol, seen); ok {
			pol.Activities = append(pol.Activities, a)
		}
	}
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
	if uf := m["unit"]; uf.set() {
		a.Unit, _ = p.currencyCode(uf, path+".unit", "a three-letter currency code")
	}
	a.Unit = pol.CurrencyOf(a)
	limitsOK := true
	if ff, ok := p.need(n, m, "frontline_limit", path+".frontline_limit", "is required (the amount decided alone)"); ok {
		a.FrontlineLimit, limitsOK = p.amount(ff.val, path+".frontline_limit", a.Unit)
	} else {
		limitsOK = false
	}
	nodes, ok := p.levelLimits(m["level_limits"], path, pol, &a)
	if ok && limitsOK {
		p.limitsGrow(a, path, pol, nodes)
	}
	return a, good
}

// levelLimits reads an activity's level_limits into a.LevelLimits and
// returns the node of each limit read; false when a limit was wrong.
func (p *parser) levelLimits(f field, path string, pol *domain.Policy, a *domain.Activity) (map[string]*yaml.Node, bool) {
	a.LevelLimits = map[string]money.Amount{}
	if !f.set() {
		return nil, true
	}
	ll, ok := p.mapping(f.val, path+".level_limits")
	if !ok {
		return nil, true
	}
	nodes := map[string]*yaml.Node{}
	good := true
	for _, kv := range orderedFields(ll) {
		name := kv.key.Value
		lpath := path + ".level_limits." + name
		if pol.LevelIndex(name) < 0 {
			p.addf(kv.key, "%s: unknown level %q (levels: %s)", lpath, name, strings.Join(levelNames(pol), ", "))
			continue
		}
		amt, ok := p.amount(kv.val, lpath, a.Unit)
		if !ok {
			good = false
			continue
		}
		a.LevelLimits[name] = amt
		nodes[name] = kv.val
	}
	return nodes, good
}

// limitsGrow checks that an activity's limits grow along the chain: each
// level's above the frontline_limit and above every lower level's limit.
func (p *parser) limitsGrow(a domain.Activity, path string, pol *domain.Policy, nodes map[string]*yaml.Node) {
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
}

func (p *parser) alwaysEscalate(f field, pol *domain.Policy) {
	m, ok := p.mapping(f.val, "always_escalate")
	if !ok {
		return
	}
	for _, kv := range orderedFields(m) {
		tag := kv.key.Value
		path := "always_escalate." + tag
		if !p.token(kv.key, tag, path, "tag ") {
			continue
		}
		if v, clash := p.valueNodes[tag]; clash {
			p.addf(kv.key, "%s: %q is also listed in values (line %d); a tag is either a value or always escalates", path, tag, v.Line)
			continue
		}
		lvl, ok := p.str(kv, path)
		switch {
		case !ok:
		case lvl == "":
			p.addf(kv.val, "%s: name the lowest level that may clear it", path)
		case pol.LevelIndex(lvl) < 0:
			p.addf(kv.val, "%s: unknown level %q (levels: %s)", path, lvl, strings.Join(levelNames(pol), ", "))
		default:
			pol.AlwaysEscalate[tag] = lvl
		}
	}
}

func (p *parser) schedules(f field, pol *domain.Policy) {
	m, ok := p.mapping(f.val, "schedules", "feedback", "feedback_reminder", "commitment_reminders",
		"escalation_timeouts", "outcome_followups", "digest")
	if !ok {
		return
	}
	s := &pol.Schedules
	for _, j := range []struct {
		key string
		dst *string
	}{
		{"feedback", &s.Feedback}, {"feedback_reminder", &s.FeedbackReminder},
		{"commitment_reminders", &s.CommitmentReminders}, {"escalation_timeouts", &s.EscalationTimeouts},
		{"outcome_followups", &s.OutcomeFollowups}, {"digest", &s.Digest},
	} {
		*j.dst = p.cronSpec(m[j.key], "schedules."+j.key, *j.dst, pol.Location)
	}
}

// cronSpec reads a job's schedule: whatever cronspec.Parse accepts in the
// policy's timezone, which is exactly what the scheduler runs.
func (p *parser) cronSpec(f field, path, def string, loc *time.Location) string {
	if !f.set() {
		return def
	}
	s, ok := p.scalar(f.val, path)
	if !ok {
		return def
	}
	s = strings.TrimSpace(s)
	if _, _, err := cronspec.Parse(s, loc); err != nil {
		p.addf(f.val, "%s: bad cron spec %q: %v", path, s, err)
		return def
	}
	return s
}

func (p *parser) outcomes(f field, pol *domain.Policy) {
	if m, ok := p.mapping(f.val, "outcomes", "ask_after"); ok {
		pol.Outcomes.AskAfter = p.duration(m["ask_after"], "outcomes.ask_after", pol.Outcomes.AskAfter)
	}
}

func (p *parser) praise(f field, pol *domain.Policy) {
	if m, ok := p.mapping(f.val, "praise", "show_amounts", "daily_limit", "reaction"); ok {
		pol.Praise.ShowAmounts = p.boolean(m["show_amounts"], "praise.show_amounts", false)
		pol.Praise.DailyLimit = p.positiveInt(m["daily_limit"], "praise.daily_limit", pol.Praise.DailyLimit)
		pol.Praise.Reaction = p.reaction(m["reaction"])
	}
}

// reaction reads praise.reaction: an emoji name, with or without colons.
func (p *parser) reaction(f field) string {
	if !f.set() {
		return ""
	}
	s, ok := p.str(f, "praise.reaction")
	if !ok {
		return ""
	}
	name := strings.ToLower(strings.Trim(s, ":"))
	switch {
	case name == "":
		p.addf(f.val, "praise.reaction: is empty; name an emoji like clap, or leave it out")
	case len(name) > maxEmojiLength || !emojiRE.MatchString(name):
		p.addf(f.val, "praise.reaction: %q is not an emoji name (write it like clap or :clap:)", s)
	default:
		return name
	}
	return ""
}

func (p *parser) commitments(f field, pol *domain.Policy) {
	if m, ok := p.mapping(f.val, "commitments", "remind_before"); ok {
		pol.Commitments.RemindBefore = p.duration(m["remind_before"], "commitments.remind_before", pol.Commitments.RemindBefore)
	}
}

func (p *parser) feedback(f field, pol *domain.Policy) {
	m, ok := p.mapping(f.val, "feedback", "anonymous_allowed", "anonymity_floor", "questions")
	if !ok {
		return
	}
	pol.Feedback.AnonymousAllowed = p.boolean(m["anonymous_allowed"], "feedback.anonymous_allowed", true)
	pol.Feedback.AnonymityFloor = p.positiveInt(m["anonymity_floor"], "feedback.anonymity_floor", pol.Feedback.AnonymityFloor)
	if qs := p.questions(m["questions"]); len(qs) > 0 {
		pol.Feedback.Questions = qs
	}
}

// questions reads feedback.questions; nil when it is not set or wrong.
func (p *parser) questions(f field) []string {
	if !f.set() {
		return nil
	}
	items := p.nonEmptyList(f, "feedback.questions", "question (or leave it out for the defaults)")
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
	return qs
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
