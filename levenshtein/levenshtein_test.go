package levenshtein

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "box", 3},
		{"box", "", 3},
		{"help", "help", 0},
		{"hepl", "help", 2},
		{"prase", "praise", 1},
		{"kitten", "sitting", 3},
		{"café", "cafe", 1}, // runes, not bytes
		{"Box", "box", 1},   // case-sensitive
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
