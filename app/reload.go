package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/policy"
)

// Reload triggers, the trigger label of empowerbot_policy_reloads_total.
const (
	// ReloadSignal is a reload asked for with SIGHUP.
	ReloadSignal = "signal"
	// ReloadFileChanged is a reload because the policy file changed (a
	// Kubernetes ConfigMap update, an edit).
	ReloadFileChanged = "file_changed"
)

// ReloadPolicy reads Options.PolicyFile again. A valid policy is put in
// force for what comes next (every service reads the policy per operation;
// decisions already pending keep the level they were routed to) and the
// schedules that changed are rescheduled; an invalid one is logged with its
// line numbers and the policy in force stays. Either way the reload is
// counted by result. It returns the policy's problems, if any.
func (a *App) ReloadPolicy(trigger string) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	path := a.opts.PolicyFile
	if path == "" {
		return errors.New("no policy file to reload (POLICY_FILE)")
	}
	data, err := os.ReadFile(path)
	if err == nil {
		a.policySeen = data
		var p *domain.Policy
		if p, err = policy.Parse(data, path); err == nil {
			err = a.applyPolicy(p, trigger)
		}
	}
	if err != nil {
		a.Metrics.PolicyReloads.WithLabelValues("invalid", trigger).Inc()
		a.log.Error("policy reload refused: the policy in force stays", "file", path, "trigger", trigger,
			"problems", problems(err))
		return err
	}
	a.Metrics.PolicyReloads.WithLabelValues("ok", trigger).Inc()
	return nil
}

// applyPolicy puts p in force and reschedules what changed (reloadMu held).
func (a *App) applyPolicy(p *domain.Policy, trigger string) error {
	old := a.Policies.Current()
	// The schedules are checked before anything changes, so that a policy
	// the scheduler refuses leaves everything as it was.
	changed, err := a.Jobs.Reschedule(jobs.Specs(p.Schedules), p.Location)
	if err != nil {
		return err
	}
	// New user groups are listed before the first decision needs them.
	rctx, cancel := context.WithTimeout(context.Background(), rosterWarmUp)
	if err := a.Roster.Resolve(rctx, p); err != nil {
		a.log.Warn("could not resolve every user group of the reloaded policy yet", "error", err.Error())
	}
	cancel()
	a.Policies.Set(p)
	for _, w := range p.Warnings {
		a.log.Warn("policy", "warning", w)
	}
	a.log.Info("policy reloaded", "file", a.opts.PolicyFile, "trigger", trigger,
		"policy", Summary(p), "rescheduled", changed, "was", Summary(old))
	return nil
}

// problems splits a policy error into its lines ("file:line: message").
func problems(err error) []string {
	var pe *policy.Error
	if !errors.As(err, &pe) {
		return []string{err.Error()}
	}
	return strings.Split(pe.Error(), "\n")
}

// watchPolicy reloads the policy on each signal of Options.Reload and, when
// Options.PolicyWatch is set, whenever the file's content changes, until
// ctx ends.
func (a *App) watchPolicy(ctx context.Context) {
	var tick <-chan time.Time
	if a.opts.PolicyWatch > 0 && a.opts.PolicyFile != "" {
		t := time.NewTicker(a.opts.PolicyWatch)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.opts.Reload:
			_ = a.ReloadPolicy(ReloadSignal)
		case <-tick:
			if a.policyChanged() {
				_ = a.ReloadPolicy(ReloadFileChanged)
			}
		}
	}
}

// policyChanged reports whether the policy file's content differs from what
// was last read and has stayed the same since the previous look, so that a
// file caught half-written is not reloaded (an unreadable file is not a
// change).
func (a *App) policyChanged() bool {
	data, err := os.ReadFile(a.opts.PolicyFile)
	if err != nil {
		return false
	}
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if bytes.Equal(data, a.policySeen) {
		a.policyNext = nil
		return false
	}
	stable := a.policyNext != nil && bytes.Equal(data, a.policyNext)
	a.policyNext = data
	return stable
}

// Summary is a policy in one line, for the logs: its levels, teams,
// activities and schedules.
func Summary(p *domain.Policy) string {
	if p == nil {
		return ""
	}
	levels := make([]string, len(p.Levels))
	for i, l := range p.Levels {
		levels[i] = l.Name
	}
	acts := make([]string, len(p.Activities))
	for i, ac := range p.Activities {
		acts[i] = ac.Name
	}
	scheduled := 0
	for _, spec := range jobs.Specs(p.Schedules) {
		if strings.TrimSpace(spec) != "" {
			scheduled++
		}
	}
	tz := "UTC"
	if p.Location != nil {
		tz = p.Location.String()
	}
	return fmt.Sprintf("levels %s; %d teams; activities %s; %d schedules in %s",
		strings.Join(levels, " > "), max(1, len(p.Teams)), strings.Join(acts, ", "), scheduled, tz)
}
