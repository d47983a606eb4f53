package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// encodeSlow is what Encode replaced: json.Marshal of the slack.Msg.
func encodeSlow(t testing.TB, r *Reply) []byte {
	m := r.Message()
	b, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleDecision() *domain.Decision {
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	return &domain.Decision{ID: "D-ABC123", Team: "T1", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(250),
		Currency: "USD", Customer: "ACME <Corp> & \"Sons\"", Reason: "billing error\nline two \u2028 \xff", State: domain.StateAutonomous,
		Level: -1, CreatedAt: now, History: []domain.HistoryEntry{{Action: "created", Actor: "U0DAVE", At: now}}}
}

// TestReplyEncodeAsJSONMarshal: the hand-written encoding of an answer is
// the one json.Marshal wrote, for the answers' own blocks and any other.
func TestReplyEncodeAsJSONMarshal(t *testing.T) {
	yes, no := true, false
	emo := slack.NewTextBlockObject(slack.PlainTextType, "Hi :wave:", true, false)
	emo.Emoji = &yes
	emoOff := slack.NewTextBlockObject(slack.PlainTextType, "Hi", false, false)
	emoOff.Emoji = &no
	pending := sampleDecision()
	pending.State, pending.Level, pending.Amount, pending.Why = domain.StatePending, 0, money.FromMajor(900), "$900 is above your $500 box"
	button := slack.NewButtonBlockElement("approve", "D-1", plain("Approve"))
	replies := map[string]*Reply{
		"text only":       Text("Hello <there> & \"you\""),
		"empty":           {},
		"in channel":      {Text: "posted", InChannel: true},
		"no text, blocks": {Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn("x"), nil, nil)}},
		"inside":          logReply(benchPolicy(), sampleDecision()),
		"above":           logReply(benchPolicy(), pending),
		"error":           ErrorReply(errors.New("boom")),
		"refusal":         ErrorReply(domain.Invalidf("no such `%s`", "x")),
		"empty blocks":    {Text: "t", Blocks: []slack.Block{}},
		"section id, expand, emoji": {Text: "t", Blocks: []slack.Block{
			&slack.SectionBlock{Type: slack.MBTSection, Text: emo, BlockID: "b<1>", Expand: true},
			&slack.SectionBlock{Type: slack.MBTSection, Text: emoOff},
			&slack.SectionBlock{Type: slack.MBTSection},
		}},
		"other blocks": {Text: "t", Blocks: []slack.Block{
			slack.NewSectionBlock(mrkdwn("with fields"), []*slack.TextBlockObject{plain("a"), plain("b")}, nil),
			slack.NewSectionBlock(mrkdwn("with a button"), nil, slack.NewAccessory(button)),
			slack.NewActionBlock("actions", button),
			slack.NewContextBlock("ctx", mrkdwn("small print")),
			slack.NewDividerBlock(),
			slack.NewHeaderBlock(plain("Header")),
		}},
	}
	for name, r := range replies {
		t.Run(name, func(t *testing.T) {
			got, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if want := encodeSlow(t, r); !bytes.Equal(got, want) {
				t.Errorf("Encode:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzReplyEncode compares Encode with json.Marshal for any text.
func FuzzReplyEncode(f *testing.F) {
	f.Add("plain", "block", false)
	f.Add("<&>\"\\\n\t\u2028\xff", "é🙂", true)
	f.Fuzz(func(t *testing.T, text, block string, inChannel bool) {
		r := &Reply{Text: text, InChannel: inChannel, Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(block), nil, nil)}}
		got, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeSlow(t, r); !bytes.Equal(got, want) {
			t.Errorf("Encode:\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkReplyEncode measures encoding an inside-the-box answer, the
// payload of its ack.
func BenchmarkReplyEncode(b *testing.B) {
	r := logReply(benchPolicy(), sampleDecision())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogReply measures rendering an inside-the-box answer.
func BenchmarkLogReply(b *testing.B) {
	p, d := benchPolicy(), sampleDecision()
	d.Customer, d.Reason = "ACME", ""
	b.ReportAllocs()
	for b.Loop() {
		_ = logReply(p, d)
	}
}
