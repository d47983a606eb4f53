// Package box holds the rules of the box, pure and with no Slack or Redis in
// it: whether a decision is the person's own call or goes to a leader, and to
// which level (Decide); who may answer it (MayAct); what a person typed
// (ParseDecision); and the limits a person sees with `/empower box` (Limits).
//
// Levels are indexes into domain.Policy.Levels, lowest first.
//
// It imports only domain, money and slacktext: never slack-go, go-redis,
// cron or x/image.
package box
