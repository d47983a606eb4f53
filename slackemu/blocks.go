package slackemu

import (
	"encoding/json"
	"strings"
)

// Button is a button found in a message or view.
type Button struct {
	Text     string
	ActionID string
	BlockID  string
	Value    string
	Style    string
	URL      string
	// HasConfirm reports whether clicking it first shows a confirm dialog.
	HasConfirm bool

	raw map[string]any
}

func decodeAny(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

func blockList(raw json.RawMessage) []map[string]any {
	arr, _ := decodeAny(raw).([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, b := range arr {
		if m, ok := b.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// collectText appends every "text" string found in v, one per line.
func collectText(b *strings.Builder, v any) {
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t["text"].(string); ok {
			b.WriteString("\n")
			b.WriteString(s)
		}
		for k, c := range t {
			if k == "text" {
				if _, ok := c.(string); ok {
					continue
				}
			}
			collectText(b, c)
		}
	case []any:
		for _, c := range t {
			collectText(b, c)
		}
	}
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func textOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		return str(m, "text")
	}
	return ""
}

func newButton(el map[string]any, blockID string) Button {
	return Button{
		Text:       textOf(el["text"]),
		ActionID:   str(el, "action_id"),
		BlockID:    blockID,
		Value:      str(el, "value"),
		Style:      str(el, "style"),
		URL:        str(el, "url"),
		HasConfirm: el["confirm"] != nil,
		raw:        el,
	}
}

// buttonsIn lists the buttons of a block array: actions elements and section accessories.
func buttonsIn(raw json.RawMessage) []Button {
	var out []Button
	for _, b := range blockList(raw) {
		blockID := str(b, "block_id")
		switch str(b, "type") {
		case "actions":
			els, _ := b["elements"].([]any)
			for _, e := range els {
				if el, ok := e.(map[string]any); ok && str(el, "type") == "button" {
					out = append(out, newButton(el, blockID))
				}
			}
		case "section":
			if el, ok := b["accessory"].(map[string]any); ok && str(el, "type") == "button" {
				out = append(out, newButton(el, blockID))
			}
		}
	}
	return out
}

// findButton picks the button whose text is label (or, failing that, whose action_id is label).
func findButton(raw json.RawMessage, label string) (Button, bool) {
	buttons := buttonsIn(raw)
	for _, b := range buttons {
		if b.Text == label {
			return b, true
		}
	}
	for _, b := range buttons {
		if b.ActionID == label {
			return b, true
		}
	}
	return Button{}, false
}

func buttonTexts(raw json.RawMessage) []string {
	var out []string
	for _, b := range buttonsIn(raw) {
		out = append(out, b.Text)
	}
	return out
}

// element is an interactive element of a view found by block_id and action_id.
type element struct {
	blockID, actionID, typ string
	el                     map[string]any
}

// elementsIn lists input elements (input blocks) and interactive elements (actions blocks,
// section accessories) of a block array.
func elementsIn(blocks []map[string]any) []element {
	var out []element
	add := func(blockID string, el map[string]any) {
		if el == nil {
			return
		}
		out = append(out, element{blockID: blockID, actionID: str(el, "action_id"), typ: str(el, "type"), el: el})
	}
	for _, b := range blocks {
		blockID := str(b, "block_id")
		switch str(b, "type") {
		case "input":
			el, _ := b["element"].(map[string]any)
			add(blockID, el)
		case "actions":
			els, _ := b["elements"].([]any)
			for _, e := range els {
				el, _ := e.(map[string]any)
				add(blockID, el)
			}
		case "section":
			el, _ := b["accessory"].(map[string]any)
			add(blockID, el)
		}
	}
	return out
}
