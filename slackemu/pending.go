package slackemu

import "encoding/json"

// Queued returns the envelope IDs waiting for a Socket Mode connection (none
// takes envelopes right now), oldest first: a test sends a click or a
// submission while the app is down, looks at it (Trigger), then starts the
// app, which gets it as soon as it connects.
func (s *Server) Queued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.queue))
	for _, d := range s.queue {
		out = append(out, d.curID)
	}
	return out
}

// Trigger returns the trigger_id of the envelope envelopeID (any of its
// delivery attempts): a slash command's, a click's or a modal submission's;
// "" when it has none.
func (s *Server) Trigger(envelopeID string) string {
	s.mu.Lock()
	d := s.deliveries[envelopeID]
	s.mu.Unlock()
	if d == nil {
		return ""
	}
	var p struct {
		TriggerID string `json:"trigger_id"`
	}
	_ = json.Unmarshal(d.payload, &p)
	return p.TriggerID
}
