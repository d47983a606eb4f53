package chart

import (
	"bytes"
	"image/png"
	"os"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/stats"
)

// sampleDays is a plausible week.
func sampleDays() []stats.Day {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	counts := [][4]int{{5, 2, 1, 0}, {7, 1, 3, 1}, {4, 3, 2, 0}, {8, 2, 4, 1}, {6, 0, 5, 0}, {1, 0, 0, 0}, {0, 1, 1, 0}}
	var out []stats.Day
	for i, c := range counts {
		out = append(out, stats.Day{Date: start.AddDate(0, 0, i), Inside: c[0], Above: c[1], Worked: c[2], Failed: c[3]})
	}
	return out
}

func TestPNGDecodes(t *testing.T) {
	for name, days := range map[string][]stats.Day{"week": sampleDays(), "empty week": make([]stats.Day, 7), "none": nil} {
		b, err := PNG("Decisions and outcomes per day", days)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", name, err)
		}
		if r := img.Bounds(); r.Dx() < 600 || r.Dy() < 300 {
			t.Errorf("%s: %v; want at least 600x300", name, r)
		}
	}
}

// TestWriteExample writes docs/digest-chart.png when CHART_EXAMPLE=1.
func TestWriteExample(t *testing.T) {
	if os.Getenv("CHART_EXAMPLE") == "" {
		t.Skip("set CHART_EXAMPLE=1 to write docs/digest-chart.png")
	}
	b, err := PNG("Decisions and outcomes per day · week of Nov 16", sampleDays())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("../docs/digest-chart.png", b, 0o644); err != nil {
		t.Fatal(err)
	}
}
