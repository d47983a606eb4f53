package domain

import (
	"bytes"
	"slices"
)

// sortKeys returns the JSON object b (compact, as json.Marshal writes it)
// with its top-level keys in sorted order, the bytes that encoding it as a
// map[string]json.RawMessage gives, without decoding it: the audit data of
// every event goes through it on the ack path. ok is false when b is not
// such an object or a key holds an escape (the caller takes the slow path).
func sortKeys(b []byte) (out []byte, ok bool) {
	type field struct{ key, kv []byte }
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	var fields [16]field
	fs := fields[:0]
	i := 1
	if b[i] == '}' {
		return b, i == len(b)-1
	}
	sorted := true
	for {
		start := i
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		key := b[i+1 : i+1+end]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, false
		}
		i += end + 2
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i++
		n, ok := skipValue(b[i:])
		if !ok {
			return nil, false
		}
		i += n
		if len(fs) > 0 {
			switch c := bytes.Compare(fs[len(fs)-1].key, key); {
			case c == 0:
				return nil, false
			case c > 0:
				sorted = false
			}
		}
		fs = append(fs, field{key: key, kv: b[start:i]})
		if i >= len(b) {
			return nil, false
		}
		if b[i] == '}' {
			if i != len(b)-1 {
				return nil, false
			}
			break
		}
		if b[i] != ',' {
			return nil, false
		}
		i++
	}
	if sorted {
		return b, true
	}
	slices.SortFunc(fs, func(x, y field) int { return bytes.Compare(x.key, y.key) })
	for j := 1; j < len(fs); j++ {
		if bytes.Equal(fs[j-1].key, fs[j].key) {
			return nil, false
		}
	}
	out = make([]byte, 0, len(b))
	out = append(out, '{')
	for j, f := range fs {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, f.kv...)
	}
	return append(out, '}'), true
}

// skipValue returns the length of the compact JSON value b starts with.
func skipValue(b []byte) (int, bool) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return 0, false
			}
			if depth == 0 {
				return i + 1, true
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, i > 0
			}
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case ',':
			if depth == 0 {
				return i, i > 0
			}
		}
	}
	if depth != 0 || len(b) == 0 {
		return 0, false
	}
	return len(b), true
}
