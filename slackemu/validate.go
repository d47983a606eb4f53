package slackemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"time"
	"unicode/utf8"
)

type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
	surfaceHome
)

func (sf surface) maxBlocks() int {
	if sf == surfaceMessage {
		return 50
	}
	return 100
}

// validator collects Slack-style problems: "[ERROR] <what> [json-pointer:<where>]".
type validator struct {
	problems []string
	seq      int
}

func (v *validator) errorf(ptr, format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// checkBlocks validates a block array for a surface and fills in missing block_id and action_id
// values the way Slack does. It returns the normalised JSON and the problems found.
func checkBlocks(raw json.RawMessage, sf surface) (json.RawMessage, []string) {
	out, _, problems := checkBlocksTree(raw, sf)
	return out, problems
}

// checkBlocksTree is checkBlocks that also returns the blocks decoded, as
// the normalized JSON would decode.
func checkBlocksTree(raw json.RawMessage, sf surface) (json.RawMessage, []any, []string) {
	v := &validator{}
	blocks := v.blocks(raw, sf, "/blocks")
	if len(v.problems) > 0 {
		return nil, nil, v.problems
	}
	out, err := json.Marshal(blocks)
	if err != nil {
		return nil, nil, []string{"[ERROR] cannot encode blocks [json-pointer:/blocks]"}
	}
	return out, blocks, nil
}

// checkMessageBlocks checks a message's blocks as chat.postMessage and
// chat.update do: valid Block Kit, and at most maxBlocksText characters of
// text in all; it returns them normalized.
func checkMessageBlocks(raw json.RawMessage) (json.RawMessage, *apiError) {
	norm, tree, problems := checkBlocksTree(raw, surfaceMessage)
	if len(problems) > 0 {
		return nil, errf("invalid_blocks", problems...)
	}
	if n := blocksText(tree); n > maxBlocksText {
		return nil, errf("msg_blocks_too_long", fmt.Sprintf("[ERROR] the blocks hold %d characters of text, more than %d", n, maxBlocksText))
	}
	return norm, nil
}

func (v *validator) blocks(raw json.RawMessage, sf surface, ptr string) []any {
	var arr []any
	if err := json.Unmarshal(raw, &arr); err != nil {
		v.errorf(ptr, "must be an array of blocks")
		return nil
	}
	if len(arr) > sf.maxBlocks() {
		v.errorf(ptr, "must contain at most %d items, found %d", sf.maxBlocks(), len(arr))
		return arr
	}
	seen := map[string]bool{}
	for i, b := range arr {
		p := fmt.Sprintf("%s/%d", ptr, i)
		m, ok := b.(map[string]any)
		if !ok {
			v.errorf(p, "must be an object")
			continue
		}
		if raw, present := m["block_id"]; present {
			if _, isStr := raw.(string); !isStr {
				v.errorf(p+"/block_id", "must be a string, found %s", jsonType(raw))
				continue
			}
		}
		if id, ok := m["block_id"].(string); ok {
			if id == "" || runes(id) > 255 {
				v.errorf(p+"/block_id", "must be 1 to 255 characters, found %d", runes(id))
			}
			if seen[id] {
				v.errorf(p+"/block_id", "duplicate block_id %q", id)
			}
			seen[id] = true
		} else {
			v.seq++
			m["block_id"] = fmt.Sprintf("emu%d", v.seq)
		}
		v.block(m, sf, p)
	}
	return arr
}

func (v *validator) block(b map[string]any, sf surface, p string) {
	if allowed, ok := blockProps[str(b, "type")]; ok {
		v.props(b, p, allowed)
	}
	switch t := str(b, "type"); t {
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"]
		if !hasText && !hasFields {
			v.errorf(p, "section must have text or fields")
		}
		if hasText {
			v.text(b["text"], p+"/text", 1, 3000, false)
		}
		if hasFields {
			arr, ok := fields.([]any)
			switch {
			case !ok:
				v.errorf(p+"/fields", "must be an array")
			case len(arr) == 0 || len(arr) > 10:
				v.errorf(p+"/fields", "must contain 1 to 10 items, found %d", len(arr))
			default:
				for i, f := range arr {
					v.text(f, fmt.Sprintf("%s/fields/%d", p, i), 1, 2000, false)
				}
			}
		}
		if acc, ok := b["accessory"]; ok {
			v.element(acc, p+"/accessory", accessoryElements, nil)
		}
	case "header":
		v.text(b["text"], p+"/text", 1, 150, true)
	case "divider":
	case "context":
		arr, ok := b["elements"].([]any)
		if !ok || len(arr) == 0 || len(arr) > 10 {
			v.errorf(p+"/elements", "must contain 1 to 10 items, found %d", len(arr))
			return
		}
		for i, e := range arr {
			ep := fmt.Sprintf("%s/elements/%d", p, i)
			if m, ok := e.(map[string]any); ok && str(m, "type") == "image" {
				v.image(m, ep)
				continue
			}
			v.text(e, ep, 1, 3000, false)
		}
	case "actions":
		arr, ok := b["elements"].([]any)
		if !ok || len(arr) == 0 || len(arr) > 25 {
			v.errorf(p+"/elements", "must contain 1 to 25 items, found %d", len(arr))
			return
		}
		ids := map[string]bool{}
		for i, e := range arr {
			v.element(e, fmt.Sprintf("%s/elements/%d", p, i), actionElements, ids)
		}
	case "input":
		v.text(b["label"], p+"/label", 1, 2000, true)
		if h, ok := b["hint"]; ok {
			v.text(h, p+"/hint", 1, 2000, true)
		}
		el, ok := b["element"]
		if !ok {
			v.errorf(p+"/element", "input block must have an element")
			return
		}
		v.element(el, p+"/element", inputElements, nil)
	case "image":
		v.image(b, p)
		if t, ok := b["title"]; ok {
			v.text(t, p+"/title", 1, 2000, true)
		}
	case "markdown":
		if s, ok := b["text"].(string); !ok || s == "" || runes(s) > 12000 {
			v.errorf(p+"/text", "must be 1 to 12000 characters")
		}
	case "rich_text":
		arr, ok := b["elements"].([]any)
		if !ok || len(arr) == 0 {
			v.errorf(p+"/elements", "must contain at least 1 item")
			return
		}
		for i, e := range arr {
			m, _ := e.(map[string]any)
			switch str(m, "type") {
			case "rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote":
				if _, ok := m["elements"].([]any); !ok {
					v.errorf(fmt.Sprintf("%s/elements/%d/elements", p, i), "must be an array")
				}
			default:
				v.errorf(fmt.Sprintf("%s/elements/%d/type", p, i), "unknown rich text element type %q", str(m, "type"))
			}
		}
	case "table":
		rows, ok := b["rows"].([]any)
		if !ok || len(rows) == 0 || len(rows) > 100 {
			v.errorf(p+"/rows", "must contain 1 to 100 rows, found %d", len(rows))
			return
		}
		for i, r := range rows {
			cells, ok := r.([]any)
			if !ok || len(cells) == 0 || len(cells) > 20 {
				v.errorf(fmt.Sprintf("%s/rows/%d", p, i), "must contain 1 to 20 cells, found %d", len(cells))
			}
		}
	case "video":
		for _, k := range []string{"alt_text", "title", "video_url", "thumbnail_url"} {
			if _, ok := b[k]; !ok {
				v.errorf(p+"/"+k, "video block must have %s", k)
			}
		}
		v.url(b, "video_url", p)
		v.url(b, "thumbnail_url", p)
		if t, ok := b["title"]; ok {
			v.text(t, p+"/title", 1, 200, true)
		}
	case "file":
		if str(b, "external_id") == "" {
			v.errorf(p+"/external_id", "file block must have external_id")
		}
		if str(b, "source") != "remote" {
			v.errorf(p+"/source", "must be remote, found %q", str(b, "source"))
		}
	case "":
		v.errorf(p+"/type", "missing block type")
	default:
		v.errorf(p+"/type", "unknown block type %q", t)
	}
}

func (v *validator) image(m map[string]any, p string) {
	if str(m, "image_url") == "" && m["slack_file"] == nil {
		v.errorf(p, "image must have image_url or slack_file")
	}
	if runes(str(m, "image_url")) > 3000 {
		v.errorf(p+"/image_url", "must be at most 3000 characters")
	}
	if str(m, "image_url") != "" {
		v.url(m, "image_url", p)
	}
	alt, ok := m["alt_text"].(string)
	if !ok || alt == "" || runes(alt) > 2000 {
		v.errorf(p+"/alt_text", "must be 1 to 2000 characters")
	}
}

// text validates a text object.
func (v *validator) text(t any, p string, minLen, maxLen int, plainOnly bool) {
	m, ok := t.(map[string]any)
	if !ok {
		v.errorf(p, "must be a text object")
		return
	}
	v.props(m, p, textProps)
	typ := str(m, "type")
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		v.errorf(p+"/type", "must be plain_text or mrkdwn, found %q", typ)
	case plainOnly && typ != "plain_text":
		v.errorf(p+"/type", "must be plain_text")
	}
	s, ok := m["text"].(string)
	if !ok {
		v.errorf(p+"/text", "must be a string")
		return
	}
	if n := runes(s); n < minLen || n > maxLen {
		if n < minLen {
			v.errorf(p+"/text", "must be more than %d characters", minLen-1)
		} else {
			v.errorf(p+"/text", "must be less than %d characters, found %d", maxLen+1, n)
		}
	}
}

var (
	actionElements = set("button", "static_select", "multi_static_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select", "multi_channels_select",
		"external_select", "multi_external_select", "overflow", "datepicker", "timepicker", "datetimepicker",
		"checkboxes", "radio_buttons", "workflow_button", "rich_text_input", "plain_text_input")
	accessoryElements = set("button", "static_select", "multi_static_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select", "multi_channels_select",
		"external_select", "multi_external_select", "overflow", "datepicker", "timepicker", "checkboxes",
		"radio_buttons", "image", "workflow_button")
	inputElements = set("plain_text_input", "static_select", "multi_static_select", "users_select",
		"multi_users_select", "conversations_select", "multi_conversations_select", "channels_select",
		"multi_channels_select", "external_select", "multi_external_select", "datepicker", "timepicker",
		"datetimepicker", "checkboxes", "radio_buttons", "number_input", "email_text_input", "url_text_input",
		"rich_text_input", "file_input")
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// element validates an interactive element; ids collects action_ids to check uniqueness.
func (v *validator) element(e any, p string, allowed map[string]bool, ids map[string]bool) {
	m, ok := e.(map[string]any)
	if !ok {
		v.errorf(p, "must be an element object")
		return
	}
	t := str(m, "type")
	if !allowed[t] {
		v.errorf(p+"/type", "element type %q is not allowed here", t)
		return
	}
	if t == "image" {
		v.image(m, p)
		return
	}
	if raw, present := m["action_id"]; present {
		if _, isStr := raw.(string); !isStr {
			v.errorf(p+"/action_id", "must be a string, found %s", jsonType(raw))
			return
		}
	}
	if id, ok := m["action_id"].(string); ok {
		if id == "" || runes(id) > 255 {
			v.errorf(p+"/action_id", "must be 1 to 255 characters, found %d", runes(id))
		}
		if ids != nil {
			if ids[id] {
				v.errorf(p+"/action_id", "duplicate action_id %q", id)
			}
			ids[id] = true
		}
	} else {
		v.seq++
		m["action_id"] = fmt.Sprintf("emuA%d", v.seq)
	}
	if ph, ok := m["placeholder"]; ok {
		v.text(ph, p+"/placeholder", 1, 150, true)
	}
	if c, ok := m["confirm"]; ok {
		v.confirm(c, p+"/confirm")
	}
	switch t {
	case "button":
		v.props(m, p, buttonProps)
		v.text(m["text"], p+"/text", 1, 75, true)
		if str(m, "url") != "" {
			v.url(m, "url", p)
		}
		if runes(str(m, "value")) > 2000 {
			v.errorf(p+"/value", "must be at most 2000 characters, found %d", runes(str(m, "value")))
		}
		if runes(str(m, "url")) > 3000 {
			v.errorf(p+"/url", "must be at most 3000 characters")
		}
		if st, ok := m["style"].(string); ok && st != "primary" && st != "danger" {
			v.errorf(p+"/style", "must be primary or danger, found %q", st)
		}
	case "static_select", "multi_static_select":
		opts, hasOpts := m["options"]
		groups, hasGroups := m["option_groups"]
		switch {
		case hasOpts:
			v.options(opts, p+"/options", 1, 100, true)
		case hasGroups:
			arr, ok := groups.([]any)
			if !ok || len(arr) == 0 || len(arr) > 100 {
				v.errorf(p+"/option_groups", "must contain 1 to 100 items")
				break
			}
			for i, g := range arr {
				gm, _ := g.(map[string]any)
				gp := fmt.Sprintf("%s/option_groups/%d", p, i)
				v.text(gm["label"], gp+"/label", 1, 75, true)
				v.options(gm["options"], gp+"/options", 1, 100, true)
			}
		default:
			v.errorf(p, "select must have options or option_groups")
		}
	case "overflow":
		v.options(m["options"], p+"/options", 1, 5, true)
	case "checkboxes", "radio_buttons":
		v.options(m["options"], p+"/options", 1, 10, false)
	case "datepicker":
		if d, ok := m["initial_date"].(string); ok {
			if _, err := time.Parse("2006-01-02", d); err != nil || !datePattern.MatchString(d) {
				v.errorf(p+"/initial_date", "must be a valid date as YYYY-MM-DD, found %q", d)
			}
		}
	case "plain_text_input":
		for _, k := range []string{"min_length", "max_length"} {
			if n, ok := m[k].(float64); ok && (n < 0 || n > 3000) {
				v.errorf(p+"/"+k, "must be between 0 and 3000")
			}
		}
		if runes(str(m, "initial_value")) > 3000 {
			v.errorf(p+"/initial_value", "must be at most 3000 characters")
		}
	}
}

func (v *validator) options(o any, p string, minN, maxN int, plainOnly bool) {
	arr, ok := o.([]any)
	if !ok || len(arr) < minN || len(arr) > maxN {
		v.errorf(p, "must contain %d to %d options, found %d", minN, maxN, len(arr))
		return
	}
	for i, e := range arr {
		op := fmt.Sprintf("%s/%d", p, i)
		m, ok := e.(map[string]any)
		if !ok {
			v.errorf(op, "must be an option object")
			continue
		}
		v.props(m, op, optionProps)
		v.text(m["text"], op+"/text", 1, 75, plainOnly)
		if val := str(m, "value"); val == "" || runes(val) > 150 {
			v.errorf(op+"/value", "must be 1 to 150 characters, found %d", runes(val))
		}
		if d, ok := m["description"]; ok {
			v.text(d, op+"/description", 1, 75, plainOnly)
		}
	}
}

func (v *validator) confirm(c any, p string) {
	m, ok := c.(map[string]any)
	if !ok {
		v.errorf(p, "must be a confirmation dialog object")
		return
	}
	v.props(m, p, confirmProps)
	v.text(m["title"], p+"/title", 1, 100, true)
	v.text(m["text"], p+"/text", 1, 300, false)
	v.text(m["confirm"], p+"/confirm", 1, 30, true)
	v.text(m["deny"], p+"/deny", 1, 30, true)
}

// checkView validates a view object for views.open/push/update/publish and ack responses. It
// returns the normalised view (blocks with IDs filled in) and the problems found.
func checkView(raw json.RawMessage, wantHome bool) (map[string]any, []string) {
	v := &validator{}
	var view map[string]any
	if err := json.Unmarshal(raw, &view); err != nil || view == nil {
		return nil, []string{"[ERROR] must be a view object [json-pointer:/view]"}
	}
	t := str(view, "type")
	v.props(view, "/view", viewProps)
	switch {
	case wantHome && t != "home":
		v.errorf("/view/type", "must be home, found %q", t)
	case !wantHome && t != "modal":
		v.errorf("/view/type", "must be modal, found %q", t)
	}
	sf := surfaceModal
	if t == "home" {
		sf = surfaceHome
	}
	if t == "modal" {
		v.text(view["title"], "/view/title", 1, 24, true)
		for _, k := range []string{"submit", "close"} {
			if x, ok := view[k]; ok && x != nil {
				v.text(x, "/view/"+k, 1, 24, true)
			}
		}
	}
	if runes(str(view, "private_metadata")) > 3000 {
		v.errorf("/view/private_metadata", "must be at most 3000 characters, found %d", runes(str(view, "private_metadata")))
	}
	for _, k := range []string{"callback_id", "external_id"} {
		if runes(str(view, k)) > 255 {
			v.errorf("/view/"+k, "must be at most 255 characters")
		}
	}
	rawBlocks, _ := json.Marshal(view["blocks"])
	if view["blocks"] == nil {
		v.errorf("/view/blocks", "must be an array of blocks")
	} else {
		blocks := v.blocks(rawBlocks, sf, "/view/blocks")
		view["blocks"] = blocks
		if t == "modal" && view["submit"] == nil {
			for _, b := range blocks {
				if m, ok := b.(map[string]any); ok && str(m, "type") == "input" {
					v.errorf("/view/submit", "submit is required when a view has input blocks")
					break
				}
			}
		}
	}
	if len(v.problems) > 0 {
		return nil, v.problems
	}
	return view, nil
}

// What each object may hold: Slack refuses any other property with
// "invalid additional property" (its JSON schemas say additionalProperties:
// false).
var (
	blockProps = map[string]map[string]bool{
		"section":   set("type", "block_id", "text", "fields", "accessory", "expand"),
		"header":    set("type", "block_id", "text"),
		"divider":   set("type", "block_id"),
		"context":   set("type", "block_id", "elements"),
		"actions":   set("type", "block_id", "elements"),
		"input":     set("type", "block_id", "label", "element", "hint", "optional", "dispatch_action"),
		"image":     set("type", "block_id", "image_url", "slack_file", "alt_text", "title"),
		"rich_text": set("type", "block_id", "elements"),
		"markdown":  set("type", "block_id", "text"),
		"table":     set("type", "block_id", "rows", "column_settings"),
		"file":      set("type", "block_id", "external_id", "source"),
		"video": set("type", "block_id", "alt_text", "author_name", "description", "provider_icon_url",
			"provider_name", "title", "title_url", "thumbnail_url", "video_url"),
	}
	textProps    = set("type", "text", "emoji", "verbatim")
	buttonProps  = set("type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label")
	optionProps  = set("text", "value", "description", "url")
	confirmProps = set("title", "text", "confirm", "deny", "style")
	viewProps    = set("type", "title", "blocks", "close", "submit", "private_metadata", "callback_id",
		"clear_on_close", "notify_on_close", "external_id", "submit_disabled")
)

// props refuses the properties of m that allowed does not name, as Slack
// does, in a stable order.
func (v *validator) props(m map[string]any, p string, allowed map[string]bool) {
	var extra []string
	for k := range m {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		v.errorf(p+"/"+k, "invalid additional property: %s", k)
	}
}

// url refuses m[k] unless it is an absolute http(s) URL.
func (v *validator) url(m map[string]any, k, p string) {
	s, _ := m[k].(string)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errorf(p+"/"+k, "must be a valid URL, found %q", s)
	}
}

// jsonType names the JSON type of a decoded value, for error messages.
func jsonType(x any) string {
	switch x.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// maxBlocksText is the most text (characters, all text of all blocks
// together) a message may carry: Slack refuses more with
// msg_blocks_too_long (undocumented; reported from about 12,000 on,
// slackapi/bolt-js#2867, #2509).
const maxBlocksText = 12000

// blocksText counts the characters of every "text" string in blocks (the
// text of text objects, markdown blocks and rich text), as Slack counts
// them: characters, not bytes.
func blocksText(x any) int {
	n := 0
	switch t := x.(type) {
	case map[string]any:
		for k, val := range t {
			if s, ok := val.(string); ok && k == "text" {
				n += runes(s)
				continue
			}
			n += blocksText(val)
		}
	case []any:
		for _, e := range t {
			n += blocksText(e)
		}
	}
	return n
}
