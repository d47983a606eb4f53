package chart

import (
	"bytes"
	"image/color"
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
	b, err := PNG("Decisions and outcomes per day, Mon Nov 16 – Sun Nov 22", sampleDays())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("../docs/digest-chart.png", b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLegendAbovePlot: the legend is on its own line between the title and
// the plot, its entries side by side inside the picture, never over a bar.
func TestLegendAbovePlot(t *testing.T) {
	fs, err := newFaces()
	if err != nil {
		t.Fatal(err)
	}
	for name, days := range map[string][]stats.Day{"week": sampleDays(), "month": make([]stats.Day, 31)} {
		l := computeLayout(fs, days)
		if len(l.legend) != len(allSeries) {
			t.Fatalf("%s: %d legend entries, want %d", name, len(l.legend), len(allSeries))
		}
		for i, r := range l.legend {
			if r.Max.Y > l.plot.Min.Y || r.Overlaps(l.plot) {
				t.Errorf("%s: legend entry %q %v reaches the plot %v", name, allSeries[i].name, r, l.plot)
			}
			if r.Min.Y <= l.title.Y {
				t.Errorf("%s: legend entry %q %v is not under the title's baseline %d", name, allSeries[i].name, r, l.title.Y)
			}
			if r.Max.X > Width-margin {
				t.Errorf("%s: legend entry %q %v runs out of the picture", name, allSeries[i].name, r)
			}
			if i > 0 && r.Min.X < l.legend[i-1].Max.X {
				t.Errorf("%s: legend entries %d and %d overlap: %v %v", name, i-1, i, l.legend[i-1], r)
			}
		}
		if l.barW < 2 || l.barW*float64(len(allSeries)) > l.groupW {
			t.Errorf("%s: bars %.1f px wide in groups of %.1f px", name, l.barW, l.groupW)
		}
	}
}

// TestBarsAreDrawn: every series with a value shows its colour, and the
// tallest bar stays under the plot's top (room for its value).
func TestBarsAreDrawn(t *testing.T) {
	b, err := PNG("Decisions", sampleDays())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[color.RGBA]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			seen[c]++
		}
	}
	for _, s := range allSeries {
		// The legend's swatch alone is 14x14 = 196 pixels: a bar adds more.
		if n := seen[s.color]; n <= swatch*swatch {
			t.Errorf("series %q: %d pixels of its colour, want bars beyond the legend's swatch", s.name, n)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for _, tt := range []struct{ max, want int }{{0, 1}, {5, 1}, {8, 2}, {23, 5}, {60, 20}, {140, 50}, {1000, 200}} {
		if got := niceStep(tt.max); got != tt.want {
			t.Errorf("niceStep(%d) = %d, want %d", tt.max, got, tt.want)
		}
	}
}
