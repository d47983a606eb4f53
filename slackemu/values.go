package slackemu

import (
	"fmt"
	"sort"
	"strings"
)

// buildState turns Values into view.state.values for the elements of blocks. Inputs not given
// keep their initial value; checkRequired reports required inputs left empty, as Slack's client
// refuses to submit them.
func buildState(blocks []map[string]any, values map[string]map[string]any, checkRequired bool) (map[string]any, error) {
	state := map[string]any{}
	known := map[string]bool{}
	var problems []string
	for _, b := range blocks {
		if str(b, "type") != "input" {
			continue
		}
		el, _ := b["element"].(map[string]any)
		if el == nil {
			continue
		}
		blockID, actionID, typ := str(b, "block_id"), str(el, "action_id"), str(el, "type")
		known[blockID+"/"+actionID] = true
		var entry map[string]any
		if v, ok := values[blockID][actionID]; ok {
			e, err := stateEntry(typ, el, v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s/%s: %v", blockID, actionID, err))
				continue
			}
			entry = e
		} else {
			entry = initialEntry(typ, el)
		}
		optional, _ := b["optional"].(bool)
		if checkRequired && !optional && entryEmpty(entry) {
			problems = append(problems, fmt.Sprintf("%s/%s: required input has no value (Slack would not submit)", blockID, actionID))
		}
		if checkRequired && typ == "plain_text_input" {
			val, _ := entry["value"].(string)
			if n, ok := el["max_length"].(float64); ok && runes(val) > int(n) {
				problems = append(problems, fmt.Sprintf("%s/%s: value longer than max_length %d (Slack would not submit)", blockID, actionID, int(n)))
			}
			if n, ok := el["min_length"].(float64); ok && val != "" && runes(val) < int(n) {
				problems = append(problems, fmt.Sprintf("%s/%s: value shorter than min_length %d (Slack would not submit)", blockID, actionID, int(n)))
			}
		}
		if state[blockID] == nil {
			state[blockID] = map[string]any{}
		}
		state[blockID].(map[string]any)[actionID] = entry
	}
	for blockID, acts := range values {
		for actionID := range acts {
			if !known[blockID+"/"+actionID] {
				problems = append(problems, fmt.Sprintf("%s/%s: no such input in the view", blockID, actionID))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return state, nil
}

func entryEmpty(e map[string]any) bool {
	for k, v := range e {
		if k == "type" {
			continue
		}
		switch t := v.(type) {
		case nil:
		case string:
			if t != "" {
				return false
			}
		case []any:
			if len(t) > 0 {
				return false
			}
		case []string:
			if len(t) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func toStrings(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []string:
		return t, true
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func elementOptions(el map[string]any) []map[string]any {
	var out []map[string]any
	add := func(list any) {
		arr, _ := list.([]any)
		for _, o := range arr {
			if m, ok := o.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	add(el["options"])
	groups, _ := el["option_groups"].([]any)
	for _, g := range groups {
		if gm, ok := g.(map[string]any); ok {
			add(gm["options"])
		}
	}
	return out
}

func findOption(el map[string]any, v string) (map[string]any, bool) {
	opts := elementOptions(el)
	for _, o := range opts {
		if str(o, "value") == v {
			return o, true
		}
	}
	for _, o := range opts {
		if textOf(o["text"]) == v {
			return o, true
		}
	}
	return nil, false
}

// stateEntry converts a test value to the state entry of an element type.
func stateEntry(typ string, el map[string]any, v any) (map[string]any, error) {
	if m, ok := v.(map[string]any); ok {
		e := map[string]any{"type": typ}
		for k, x := range m {
			e[k] = x
		}
		return e, nil
	}
	e := map[string]any{"type": typ}
	one := func() (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s wants a string, got %T", typ, v)
		}
		return s, nil
	}
	many := func() ([]string, error) {
		s, ok := toStrings(v)
		if !ok {
			return nil, fmt.Errorf("%s wants a []string, got %T", typ, v)
		}
		return s, nil
	}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["value"] = s
	case "static_select", "radio_buttons", "external_select":
		s, err := one()
		if err != nil {
			return nil, err
		}
		if typ == "external_select" {
			e["selected_option"] = map[string]any{"text": map[string]any{"type": "plain_text", "text": s}, "value": s}
			break
		}
		o, ok := findOption(el, s)
		if !ok {
			return nil, fmt.Errorf("no option %q", s)
		}
		e["selected_option"] = o
	case "checkboxes", "multi_static_select", "multi_external_select":
		list, err := many()
		if err != nil {
			return nil, err
		}
		sel := make([]any, 0, len(list))
		for _, s := range list {
			if typ == "multi_external_select" {
				sel = append(sel, map[string]any{"text": map[string]any{"type": "plain_text", "text": s}, "value": s})
				continue
			}
			o, ok := findOption(el, s)
			if !ok {
				return nil, fmt.Errorf("no option %q", s)
			}
			sel = append(sel, o)
		}
		e["selected_options"] = sel
	case "users_select":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["selected_user"] = s
	case "multi_users_select":
		list, err := many()
		if err != nil {
			return nil, err
		}
		e["selected_users"] = list
	case "conversations_select":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["selected_conversation"] = s
	case "multi_conversations_select":
		list, err := many()
		if err != nil {
			return nil, err
		}
		e["selected_conversations"] = list
	case "channels_select":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["selected_channel"] = s
	case "multi_channels_select":
		list, err := many()
		if err != nil {
			return nil, err
		}
		e["selected_channels"] = list
	case "datepicker":
		s, err := one()
		if err != nil {
			return nil, err
		}
		if !datePattern.MatchString(s) {
			return nil, fmt.Errorf("date %q is not YYYY-MM-DD", s)
		}
		e["selected_date"] = s
	case "timepicker":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["selected_time"] = s
	case "datetimepicker":
		switch t := v.(type) {
		case int64:
			e["selected_date_time"] = t
		case int:
			e["selected_date_time"] = t
		default:
			return nil, fmt.Errorf("datetimepicker wants a Unix time int, got %T", v)
		}
	case "rich_text_input":
		s, err := one()
		if err != nil {
			return nil, err
		}
		e["rich_text_value"] = map[string]any{"type": "rich_text", "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": s}}},
		}}
	default:
		return nil, fmt.Errorf("element type %s is not supported by SubmitView; pass a map[string]any", typ)
	}
	return e, nil
}

// initialEntry is the state entry of an element the person did not touch.
func initialEntry(typ string, el map[string]any) map[string]any {
	e := map[string]any{"type": typ}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		if v, ok := el["initial_value"].(string); ok {
			e["value"] = v
		} else {
			e["value"] = nil
		}
	case "static_select", "radio_buttons", "external_select":
		e["selected_option"] = el["initial_option"]
	case "checkboxes", "multi_static_select", "multi_external_select":
		if v, ok := el["initial_options"].([]any); ok {
			e["selected_options"] = v
		} else {
			e["selected_options"] = []any{}
		}
	case "users_select":
		e["selected_user"] = el["initial_user"]
	case "multi_users_select":
		if v, ok := el["initial_users"].([]any); ok {
			e["selected_users"] = v
		} else {
			e["selected_users"] = []any{}
		}
	case "conversations_select":
		e["selected_conversation"] = el["initial_conversation"]
	case "channels_select":
		e["selected_channel"] = el["initial_channel"]
	case "datepicker":
		e["selected_date"] = el["initial_date"]
	case "timepicker":
		e["selected_time"] = el["initial_time"]
	}
	return e
}
