// Package decisions is the decisions capability: logging a decision against
// the box, approving, escalating and declining one, who may answer it, the
// escalation timeouts and reminders, and the repair of cards Slack failed to
// post. It owns the rules and the state transitions; every change is one
// atomic, version-guarded write through its Store.
//
// It reaches storage, Slack and the clock only through the small interfaces
// it defines (Store, Notifier, Directory, Clock): *store.Store is its Store,
// and package handlers implements the Notifier and the Directory in Block
// Kit and the Web API. Its refusals are domain errors whose messages are the
// words people see.
//
// It imports only domain, box, money, dates, slacktext and the standard
// library: never slack-go, go-redis, cron or x/image, nor handlers, store,
// jobs or bot.
package decisions
