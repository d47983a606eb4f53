package slackapi

import (
	"encoding/json"
	"strings"
)

// dropMessage is body, a JSON object, without its top-level "message"
// members; body itself when it is not an object or has none. It reads
// body once, byte by byte, where decoding it into a map and encoding the
// rest again read it three times (a tenth of the bot's CPU above the
// box): answers to chat.postMessage echo the whole card.
func dropMessage(body []byte) []byte {
	members, cut, ok := objectMembers(body)
	if !ok || !cut {
		return body
	}
	size := 2
	for _, m := range members {
		if !m.drop {
			size += m.end - m.start + 1
		}
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for _, m := range members {
		if m.drop {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, body[m.start:m.end]...)
	}
	return append(out, '}')
}

// member is one "key": value of an object, body[start:end].
type member struct {
	start, end int
	drop       bool // its key is "message"
}

// objectMembers splits body, one JSON object with nothing but white space
// around it, into its members; cut tells whether one is a "message". ok is
// false when body is not such an object (or not well formed as far as
// splitting it needs).
func objectMembers(body []byte) (members []member, cut, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false, false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return nil, false, skipSpace(body, i+1) == len(body)
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return nil, false, false
		}
		start := i
		keyEnd, escaped := skipString(body, i)
		if keyEnd < 0 {
			return nil, false, false
		}
		drop := isMessageKey(body[start:keyEnd], escaped)
		i = skipSpace(body, keyEnd)
		if i >= len(body) || body[i] != ':' {
			return nil, false, false
		}
		i = skipValue(body, skipSpace(body, i+1))
		if i < 0 {
			return nil, false, false
		}
		members = append(members, member{start: start, end: i, drop: drop})
		cut = cut || drop
		i = skipSpace(body, i)
		if i >= len(body) {
			return nil, false, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return members, cut, skipSpace(body, i+1) == len(body)
		default:
			return nil, false, false
		}
	}
}

// isMessageKey tells whether key, a JSON string with its quotes, is
// "message"; one with escapes is decoded first.
func isMessageKey(key []byte, escaped bool) bool {
	if !escaped {
		return string(key) == `"message"`
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == "message"
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that opens at b[i] (a
// quote) and whether it holds an escape; -1 when it does not end.
func skipString(b []byte, i int) (int, bool) {
	escaped := false
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i + 1, escaped
		}
	}
	return -1, escaped
}

// skipValue returns the index after the value that starts at b[i]: a
// string, an object or array (strings inside them skipped whole), or a
// literal or number; -1 when b ends first.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := skipString(b, i)
		return end
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, _ := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && strings.IndexByte(" \t\r\n,}]", b[j]) < 0 {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
