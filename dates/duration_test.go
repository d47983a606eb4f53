package dates

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"4h", 4 * time.Hour, false},
		{"30m", 30 * time.Minute, false},
		{"3d", 72 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"0s", 0, false},
		{"", 0, true},
		{"4", 0, true},
		{"d", 0, true},
		{"3days", 0, true},
		{"-1d", 0, true},
		{"1d-1h", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
