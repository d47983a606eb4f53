package app

import (
	"context"
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
