package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/bot"
	"github.com/empowerbot/empowerbot/handlers"
)

// The manifest subscribes to exactly the events the bot routes (message.im
// arrives as the inner type message), so that no route waits for an event
// Slack never sends and no event is subscribed for nothing.
func TestTheManifestSubscribesToEveryRoutedEvent(t *testing.T) {
	r, err := bot.Routes(&handlers.Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	m := docs(t, "slack-app-manifest.yaml")[0]
	var subscribed []string
	for _, e := range at(t, m, "settings", "event_subscriptions", "bot_events").([]any) {
		name, _, _ := strings.Cut(e.(string), ".")
		subscribed = append(subscribed, name)
	}
	slices.Sort(subscribed)
	if got := r.EventTypes(); !slices.Equal(got, subscribed) {
		t.Errorf("the bot routes %v; the manifest subscribes to %v", got, subscribed)
	}
}
