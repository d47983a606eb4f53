package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"github.com/empowerbot/empowerbot/deploy"
	"github.com/empowerbot/empowerbot/doctor"
)

// checkWorkspace runs the checks of `empowerbot doctor` once, logs each
// failure as a warning and sets empowerbot_workspace_check_failures; it
// never stops the bot.
func (a *App) checkWorkspace(ctx context.Context) {
	scopes, err := deploy.BotScopes()
	if err != nil {
		a.log.Warn("workspace checks skipped", "error", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res := doctor.Run(ctx, doctor.Config{
		Slack: a.Slack, APIURL: a.opts.APIURL, BotToken: a.opts.BotToken,
		Policy: a.Policies.Current(), Scopes: scopes,
	})
	if ctx.Err() != nil {
		return
	}
	failures := doctor.Failures(res)
	for _, c := range doctor.Checks {
		a.Metrics.WorkspaceCheckFailures.WithLabelValues(c).Set(float64(failures[c]))
	}
	for _, r := range res {
		if !r.OK {
			a.log.Warn("workspace check failed (run `empowerbot doctor`)", "check", r.Check, "subject", r.Subject, "problem", r.Message)
		}
	}
	if len(failures) == 0 {
		a.log.Info("workspace checks passed", "checks", len(res))
	}
}

// zeroWorkspaceChecks puts every check's failure gauge on /metrics at 0
// from start-up.
func (a *App) zeroWorkspaceChecks() {
	for _, c := range doctor.Checks {
		a.Metrics.WorkspaceCheckFailures.WithLabelValues(c)
	}
}

// replicaID names this process in the logs: the host name (a pod's name on
// Kubernetes) and a random suffix, so that two replicas on one host differ.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
