package handlers

import (
	"encoding/json"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/jsonenc"
)

// appendMessage appends Message as JSON byte for byte as json.Marshal
// writes the slack.Msg, without its reflection over slack.Msg's hundred
// fields (the answer of every slash command is encoded for its ack): by
// hand for section blocks of a text (the answers' own), through
// json.Marshal for any other block.
func (r *Reply) appendMessage(dst []byte) ([]byte, error) {
	dst = append(dst, '{')
	if r.Text != "" {
		dst = jsonenc.Field(dst, "text")
		dst = jsonenc.String(dst, r.Text)
	}
	dst = jsonenc.Field(dst, "response_type")
	if r.InChannel {
		dst = jsonenc.String(dst, slack.ResponseTypeInChannel)
	} else {
		dst = jsonenc.String(dst, slack.ResponseTypeEphemeral)
	}
	// slack.Msg's fields without omitempty, as json.Marshal writes them
	// when unset.
	dst = append(dst, `,"replace_original":false,"delete_original":false,"metadata":{"event_type":"","event_payload":null},"blocks":`...)
	if len(r.Blocks) == 0 {
		dst = append(dst, "null"...)
		return append(dst, '}'), nil
	}
	dst = append(dst, '[')
	for i, blk := range r.Blocks {
		if i > 0 {
			dst = append(dst, ',')
		}
		if s, ok := blk.(*slack.SectionBlock); ok && s != nil && s.Fields == nil && s.Accessory == nil {
			dst = appendSection(dst, s)
			continue
		}
		b, err := json.Marshal(blk)
		if err != nil {
			return nil, err
		}
		dst = append(dst, b...)
	}
	return append(dst, ']', '}'), nil
}

// appendSection appends a section block without fields or accessory as
// json.Marshal writes it.
func appendSection(dst []byte, s *slack.SectionBlock) []byte {
	dst = append(dst, '{')
	dst = jsonenc.Field(dst, "type")
	dst = jsonenc.String(dst, string(s.Type))
	if t := s.Text; t != nil {
		dst = jsonenc.Field(dst, "text")
		dst = append(dst, '{')
		dst = jsonenc.Field(dst, "type")
		dst = jsonenc.String(dst, t.Type)
		dst = jsonenc.Field(dst, "text")
		dst = jsonenc.String(dst, t.Text)
		if t.Emoji != nil {
			dst = jsonenc.Field(dst, "emoji")
			dst = jsonenc.Bool(dst, *t.Emoji)
		}
		if t.Verbatim {
			dst = jsonenc.Field(dst, "verbatim")
			dst = jsonenc.Bool(dst, true)
		}
		dst = append(dst, '}')
	}
	if s.BlockID != "" {
		dst = jsonenc.Field(dst, "block_id")
		dst = jsonenc.String(dst, s.BlockID)
	}
	if s.Expand {
		dst = jsonenc.Field(dst, "expand")
		dst = jsonenc.Bool(dst, true)
	}
	return append(dst, '}')
}
