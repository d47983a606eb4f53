package app

import (
	"context"
	"time"
)

// retentionEvery is how often the audit history is trimmed to the policy's
// retention.
const retentionEvery = time.Hour

// keepRetention trims the audit history older than the policy's retention
// at start-up and every retentionEvery, until ctx ends. Without a
// retention the whole history is kept. Trimming is idempotent, so every
// replica may do it.
func (a *App) keepRetention(ctx context.Context) {
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		a.trimHistory(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// trimHistory trims once; it returns how many entries went.
func (a *App) trimHistory(ctx context.Context) int64 {
	keep := a.Policies.Current().Retention
	if keep <= 0 {
		return 0
	}
	before := a.opts.Clock.Now().Add(-keep)
	n, err := a.Store.TrimAudit(ctx, a.Handlers.TeamID, before)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("could not trim the history to the policy's retention", "error", err.Error())
		}
		return 0
	}
	if n > 0 {
		a.log.Info("history trimmed to the policy's retention", "deleted", n, "before", before.UTC().Format(time.RFC3339), "retention", keep.String())
	}
	return n
}

// TrimHistory deletes the audit history older than the policy's retention
// now (the hourly trim does the same) and returns how many entries went.
func (a *App) TrimHistory(ctx context.Context) int64 { return a.trimHistory(ctx) }
