package slackemu

import (
	"encoding/json"
	"testing"
)

// confirmationBlocks is a decision's confirmation as the bot answers a
// slash command with it: the blocks every ack of the load tool carries.
const confirmationBlocks = `[{"type":"section","text":{"type":"mrkdwn","text":":white_check_mark: Logged ` + "`D-ABC123`" + `: *discount* of *$250* for *ACME*.","verbatim":true}},` +
	`{"type":"context","elements":[{"type":"mrkdwn","text":"Customer: *ACME* · Reason: travel charge waived","verbatim":true}]},` +
	`{"type":"actions","block_id":"d1","elements":[{"type":"button","action_id":"undo","text":{"type":"plain_text","text":"Undo"},"value":"D-ABC123"}]}]`

// BenchmarkMessageContent measures checking a message's text and blocks,
// the emulator's share of every ack that carries a message.
func BenchmarkMessageContent(b *testing.B) {
	p := params{"text": json.RawMessage(`"Logged D-ABC123"`), "blocks": json.RawMessage(confirmationBlocks)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, e := messageContent(p); e != nil {
			b.Fatal(e.code, e.messages)
		}
	}
}
