// Package domain holds the product's nouns: decisions and their states and
// history, commitments, feedback rounds and answers, outcomes, praise and
// wins, the policy's nouns, the error taxonomy and the typed audit events,
// with the pure rules that go with them (IDs, states).
//
// It imports only the standard library and the project's pure packages
// (money, dates, slacktext). It must never import slack-go, go-redis, cron
// or x/image: how a noun is stored (Redis versions, keys) and where it was
// posted (Slack channels and timestamps) belong to the adapters; a service
// only carries a MessageRef, unread, from the notifier that posted a
// message to the store and back, and a record's version (DecisionRecord,
// CommitmentRecord), unread, from the store's read to its guarded write.
package domain
