package slacktext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Word is one word of a command's text and where it stands in it (byte
// offsets, End exclusive).
type Word struct {
	Text       string
	Start, End int
}

// Words splits s on white space the way a person reads a command: Slack
// markup such as <@U123|dave smith> or <https://x|a link> stays one word
// even when it holds spaces.
func Words(s string) []Word {
	var out []Word
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			if r == '<' {
				if j := strings.IndexByte(s[i:], '>'); j > 0 && strings.IndexByte(s[i+1:i+j], '<') < 0 {
					i += j + 1
					continue
				}
			}
			i += size
		}
		out = append(out, Word{Text: s[start:i], Start: start, End: i})
	}
	return out
}
