package slackemu

import (
	"context"
)

// SendViewSubmission submits view (a view object as Slack sends it in a
// view_submission payload, with its callback_id, blocks and state) as
// userID and waits for the ack, without a modal opened by views.open and
// without applying the ack's response_action to any stack: for a load
// generator that submits the same form many times, and to apps that never
// open a view (the load tool's floor). Tests of a modal use SubmitView.
func (s *Server) SendViewSubmission(ctx context.Context, userID string, view map[string]any) (Ack, error) {
	s.mu.Lock()
	p := s.viewSubmissionLocked(userID, view)
	s.mu.Unlock()
	return s.sendInteractive(ctx, p, true, nil)
}

// viewSubmissionLocked is the view_submission payload of view by userID.
func (s *Server) viewSubmissionLocked(userID string, view any) map[string]any {
	return map[string]any{
		"type":                  "view_submission",
		"team":                  s.teamJSON(),
		"user":                  s.userRefLocked(userID),
		"api_app_id":            s.opts.AppID,
		"token":                 "emulator-verification-token",
		"trigger_id":            s.issueTriggerLocked(userID),
		"view":                  view,
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}
