package handlers

import "testing"

func TestCutLastBy(t *testing.T) {
	tests := []struct {
		in, text, date string
		ok             bool
	}{
		{"the course by friday", "the course", "friday", true},
		{"stand by you by 12/15", "stand by you", "12/15", true},
		{"call back By Tomorrow", "call back", "Tomorrow", true},
		{"by friday", "", "friday", true},
		{"the course on friday", "the course on friday", "", false},
		{"nearby friday", "nearby friday", "", false},
	}
	for _, tt := range tests {
		text, date, ok := cutLastBy(tt.in)
		if text != tt.text || date != tt.date || ok != tt.ok {
			t.Errorf("cutLastBy(%q) = %q, %q, %v; want %q, %q, %v", tt.in, text, date, ok, tt.text, tt.date, tt.ok)
		}
	}
}
