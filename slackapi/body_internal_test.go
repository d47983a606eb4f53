package slackapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// readBody reads the whole answer whatever Content-Length says, and
// reports an answer cut short of it.
func TestReadBodyTrustsTheBytesNotTheLength(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		length int64
		err    error
	}{
		{"exact", `{"ok":true}`, 11, nil},
		{"unknown length", `{"ok":true}`, -1, nil},
		{"longer than said", `{"ok":true,"ts":"1"}`, 11, nil},
		{"one byte longer", `{"ok":true} `, 11, nil},
		{"empty", ``, 0, nil},
		{"cut short", `{"ok":`, 11, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: tt.length}
			got, err := readBody(resp)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if string(got) != tt.body {
				t.Errorf("read %q, want %q", got, tt.body)
			}
		})
	}
}
