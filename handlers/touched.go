package handlers

import "context"

// HomeRefresher re-renders a person's App Home after something that concerns
// them has changed. The App Home feature sets Handlers.Home; until then
// Touched does nothing.
type HomeRefresher interface {
	Refresh(ctx context.Context, teamID string, userIDs ...string)
}

// Touched tells the App Home that something concerning these people changed
// (a decision, an outcome, praise, a commitment). Call it after the change is
// saved; it never fails the caller, and empty or repeated IDs are fine.
func (h *Handlers) Touched(ctx context.Context, teamID string, userIDs ...string) {
	if h.Home == nil || len(userIDs) == 0 {
		return
	}
	h.Home.Refresh(ctx, teamID, userIDs...)
}
