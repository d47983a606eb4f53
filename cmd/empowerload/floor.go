package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runFloor is `empowerload floor -api URL -app-token T -bot-token T
// [-redis ADDR -prefix P]`: the floor of the stack, a bare slack-go Socket
// Mode app that acknowledges every envelope as soon as slack-go hands it
// over, with no payload and no other work. The load tool starts it as a
// process of its own, so that its RSS and CPU are measured as the bot's
// are.
//
// With -redis it is the store floor instead: the least any app that keeps
// the contract's "stored and confirmed in the ack" must do. Before each ack
// it makes the one Redis round trip the contract allows, a script that
// drops a redelivered envelope and otherwise keeps the command in a hash
// and a stream, and a slash command's ack carries a one-line confirmation.
func runFloor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	api := fs.String("api", "", "Web API base URL ending in /")
	appToken := fs.String("app-token", "", "app-level token (xapp-)")
	botToken := fs.String("bot-token", "", "bot token (xoxb-)")
	redisAddr := fs.String("redis", "", "store every envelope in this Redis before its ack (the store floor)")
	prefix := fs.String("prefix", "floor", "prefix of the store floor's keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *api == "" || *appToken == "" {
		return errors.New("-api and -app-token are required")
	}
	var st *floorStore
	if *redisAddr != "" {
		// The bot's own client settings (store.NewClient), so that the
		// two differ only in what they do.
		rdb := redis.NewClient(&redis.Options{Addr: *redisAddr, ContextTimeoutEnabled: true, MaxRetries: -1, DisableIdentity: true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
		defer rdb.Close()
		st = &floorStore{rdb: rdb, prefix: *prefix}
		if err := st.load(ctx); err != nil {
			return err
		}
	}
	client := slack.New(*botToken, slack.OptionAppLevelToken(*appToken), slack.OptionAPIURL(*api))
	sm := socketmode.New(client)
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-sm.Events:
			if evt.Request == nil || evt.Request.EnvelopeID == "" {
				continue
			}
			if st == nil {
				sm.Ack(*evt.Request)
				continue
			}
			// One goroutine per envelope, as a bot that waits for Redis
			// must not hold up the read loop.
			go st.handle(ctx, sm, evt)
		}
	}
}

// floorStore is the store floor's Redis side.
type floorStore struct {
	rdb    *redis.Client
	prefix string
	sha    string
}

// storeScript keeps one envelope: KEYS[1] its dedupe key, KEYS[2] its hash,
// KEYS[3] the stream; ARGV[1] the envelope ID, ARGV[2] the user, ARGV[3]
// the text. It returns 0 for an envelope seen before.
const storeScript = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', 3600) then return 0 end
redis.call('HSET', KEYS[2], 'envelope', ARGV[1], 'user', ARGV[2], 'text', ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'envelope', ARGV[1])
return 1`

func (s *floorStore) load(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sha, err := s.rdb.ScriptLoad(lctx, storeScript).Result()
	if err != nil {
		return fmt.Errorf("load the store floor's script: %w", err)
	}
	s.sha = sha
	return nil
}

// handle stores evt and acknowledges it; a slash command's ack says what
// was kept. When Redis fails, the ack says nothing was kept.
func (s *floorStore) handle(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	id := evt.Request.EnvelopeID
	var user, text string
	if cmd, ok := evt.Data.(slack.SlashCommand); ok {
		user, text = cmd.UserID, cmd.Text
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.rdb.EvalSha(rctx, s.sha, []string{s.prefix + ":env:" + id, s.prefix + ":cmd:" + id, s.prefix + ":stream"}, id, user, text).Err()
	if evt.Type != socketmode.EventTypeSlashCommand {
		sm.Ack(*evt.Request)
		return
	}
	reply := "Logged: " + text
	if err != nil {
		reply = "Nothing was recorded; try again."
	}
	sm.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": reply})
}
