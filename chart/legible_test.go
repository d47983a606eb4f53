package chart

import (
	"testing"

	"golang.org/x/image/font"
)

// TestTextReadsAtShownWidth: shown at ShownWidth, as Slack's message column
// shows it, the chart's words are big enough to read: the legend's and the
// days' lower-case letters at least 6 px high (a 12 px font's), the
// values' and the axis's at least 5 px, the title's 8 px. Drawn at 13 and
// 16 px on the 960 px picture they were 4 px and 5 px high there.
func TestTextReadsAtShownWidth(t *testing.T) {
	fs, err := newFaces()
	if err != nil {
		t.Fatal(err)
	}
	scale := float64(ShownWidth) / Width
	for _, f := range []struct {
		name string
		face font.Face
		min  float64
	}{{"title", fs.title, 8}, {"legend and days", fs.label, 6}, {"values and axis", fs.small, 5}} {
		x := float64(f.face.Metrics().XHeight) / 64 * scale
		if x < f.min {
			t.Errorf("%s: letters %.1f px high shown %d px wide; want at least %v", f.name, x, ShownWidth, f.min)
		}
		t.Logf("%s: x-height %.1f px shown %d px wide", f.name, x, ShownWidth)
	}
}
