// Package chart draws the weekly digest's chart: decisions made inside and
// above the box and outcomes, per day, as a PNG bar chart. It draws with the
// standard library's image packages and one small sans-serif font (Go
// Regular and Go Bold, golang.org/x/image/font/gofont): the title, then the
// legend on a line of its own above the plot, then the bars on a light grid.
package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/empowerbot/empowerbot/stats"
)

// Size of the chart in pixels.
const (
	Width  = 960
	Height = 480
)

// ShownWidth is about how wide Slack's message column (and the sandbox's)
// shows the chart: 540 px of its 960, so its text is drawn at 1.8 times
// the size it should read at.
const ShownWidth = 540

// Font sizes in the chart's pixels: shown at ShownWidth, the title reads at
// about 16 px, the legend and the days at 12 px, the values at 10 px.
const (
	titleSize = 28
	labelSize = 21
	smallSize = 18
)

// series is one kind of bar.
type series struct {
	name  string
	color color.RGBA
	value func(stats.Day) int
}

var allSeries = []series{
	{"Inside the box", color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}, func(d stats.Day) int { return d.Inside }},
	{"Above the box", color.RGBA{R: 0xef, G: 0x6c, B: 0x00, A: 0xff}, func(d stats.Day) int { return d.Above }},
	{"Worked", color.RGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}, func(d stats.Day) int { return d.Worked }},
	{"Didn't work", color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}, func(d stats.Day) int { return d.Failed }},
}

var (
	ink   = color.RGBA{R: 0x1d, G: 0x1c, B: 0x1d, A: 0xff} // Slack's text colour
	muted = color.RGBA{R: 0x61, G: 0x60, B: 0x61, A: 0xff}
	grid  = color.RGBA{R: 0xe8, G: 0xe8, B: 0xe8, A: 0xff}
	axis  = color.RGBA{R: 0xb0, G: 0xb0, B: 0xb0, A: 0xff}
)

// faces are the parsed fonts at the sizes the chart uses.
type faces struct {
	title, label, small font.Face
}

// loadRegular and loadBold parse the fonts once; font.Face values are not
// safe for concurrent use, so each PNG call makes its own faces from them.
var loadRegular = sync.OnceValues(func() (*opentype.Font, error) {
	return opentype.Parse(goregular.TTF)
})

var loadBold = sync.OnceValues(func() (*opentype.Font, error) {
	return opentype.Parse(gobold.TTF)
})

// newFaces returns the chart's faces: the title's, the labels' and the
// small print's.
func newFaces() (*faces, error) {
	reg, err := loadRegular()
	if err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	bold, err := loadBold()
	if err != nil {
		return nil, fmt.Errorf("parse bold font: %w", err)
	}
	face := func(f *opentype.Font, size float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	var fs faces
	if fs.title, err = face(bold, titleSize); err != nil {
		return nil, fmt.Errorf("font face: %w", err)
	}
	if fs.label, err = face(reg, labelSize); err != nil {
		return nil, fmt.Errorf("font face: %w", err)
	}
	if fs.small, err = face(reg, smallSize); err != nil {
		return nil, fmt.Errorf("font face: %w", err)
	}
	return &fs, nil
}

// layout is where the parts of the chart go.
type layout struct {
	title   image.Point       // baseline start of the title
	legend  []image.Rectangle // one box (swatch and label) per series, in order
	plot    image.Rectangle   // the bars' area, axes excluded
	yMax    int               // the value at the top of the plot
	yStep   int               // between two grid lines
	groupW  float64           // width of one day's group of bars
	barW    float64
	barGap  float64
	labelsY int // baseline of the day labels
}

const (
	margin     = 24
	swatch     = 16
	legendGap  = 28 // between two legend entries
	swatchText = 8  // between a swatch and its label
)

// computeLayout places the title, the legend on its own line under it, and
// the plot under the legend, with the y tick labels on its left and the day
// labels under it.
func computeLayout(fs *faces, days []stats.Day) layout {
	var l layout
	tm := fs.title.Metrics()
	lm := fs.label.Metrics()
	l.title = image.Pt(margin, margin+tm.Ascent.Ceil())
	legendTop := l.title.Y + tm.Descent.Ceil() + 14
	x := margin
	lineH := max(swatch, lm.Height.Ceil())
	for _, s := range allSeries {
		w := swatch + swatchText + font.MeasureString(fs.label, s.name).Ceil()
		l.legend = append(l.legend, image.Rect(x, legendTop, x+w, legendTop+lineH))
		x += w + legendGap
	}
	maxV := 0
	for _, d := range days {
		for _, s := range allSeries {
			maxV = max(maxV, s.value(d))
		}
	}
	l.yStep = niceStep(maxV)
	l.yMax = max(l.yStep, (maxV+l.yStep-1)/l.yStep*l.yStep)
	if l.yMax == maxV {
		l.yMax += l.yStep // headroom for the value above the tallest bar
	}
	yLabelW := font.MeasureString(fs.small, fmt.Sprint(l.yMax)).Ceil()
	top := legendTop + lineH + 22
	bottom := Height - margin - lm.Height.Ceil() - 6
	l.plot = image.Rect(margin+yLabelW+10, top, Width-margin, bottom)
	l.labelsY = bottom + 6 + lm.Ascent.Ceil()
	n := max(1, len(days))
	l.groupW = float64(l.plot.Dx()) / float64(n)
	l.barGap = 2
	l.barW = math.Max(2, math.Min(28, (l.groupW*0.78-l.barGap*float64(len(allSeries)-1))/float64(len(allSeries))))
	return l
}

// niceStep is a grid step of 1, 2 or 5 times a power of ten giving about
// five lines up to maxV.
func niceStep(maxV int) int {
	if maxV <= 5 {
		return 1
	}
	raw := float64(maxV) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return int(m * p)
		}
	}
	return int(10 * p)
}

// PNG draws days as a grouped bar chart and returns the PNG bytes.
func PNG(title string, days []stats.Day) ([]byte, error) {
	if len(days) == 0 {
		days = []stats.Day{{}}
	}
	fs, err := newFaces()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	l := computeLayout(fs, days)

	text(img, fs.title, ink, l.title.X, l.title.Y, title)
	for i, s := range allSeries {
		r := l.legend[i]
		cy := (r.Min.Y + r.Max.Y) / 2
		fill(img, image.Rect(r.Min.X, cy-swatch/2, r.Min.X+swatch, cy+swatch/2), s.color)
		m := fs.label.Metrics()
		base := cy + (m.Ascent.Ceil()-m.Descent.Ceil())/2
		text(img, fs.label, ink, r.Min.X+swatch+swatchText, base, s.name)
	}

	p := l.plot
	yOf := func(v int) int { return p.Max.Y - int(math.Round(float64(v)*float64(p.Dy())/float64(l.yMax))) }
	sm := fs.small.Metrics()
	for v := 0; v <= l.yMax; v += l.yStep {
		y := yOf(v)
		c := grid
		if v == 0 {
			c = axis
		}
		fill(img, image.Rect(p.Min.X, y, p.Max.X, y+1), c)
		lbl := fmt.Sprint(v)
		w := font.MeasureString(fs.small, lbl).Ceil()
		text(img, fs.small, muted, p.Min.X-10-w, y+(sm.Ascent.Ceil()-sm.Descent.Ceil())/2, lbl)
	}
	showValues := len(days) <= 10
	groupBars := l.barW*float64(len(allSeries)) + l.barGap*float64(len(allSeries)-1)
	labelEvery := max(1, len(days)/10)
	for i, d := range days {
		gx := float64(p.Min.X) + l.groupW*float64(i)
		x0 := gx + (l.groupW-groupBars)/2
		for j, s := range allSeries {
			v := s.value(d)
			bx := int(math.Round(x0 + float64(j)*(l.barW+l.barGap)))
			bw := max(1, int(math.Round(l.barW)))
			if v > 0 {
				fill(img, image.Rect(bx, yOf(v), bx+bw, p.Max.Y), s.color)
				if showValues {
					lbl := fmt.Sprint(v)
					w := font.MeasureString(fs.small, lbl).Ceil()
					text(img, fs.small, muted, bx+(bw-w)/2, yOf(v)-4, lbl)
				}
			}
		}
		if i%labelEvery == 0 {
			lbl := d.Date.Format("Mon 2")
			if d.Date.IsZero() {
				lbl = ""
			}
			w := font.MeasureString(fs.label, lbl).Ceil()
			text(img, fs.label, ink, int(gx+l.groupW/2)-w/2, l.labelsY, lbl)
		}
	}

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// text draws s with its baseline starting at (x, y).
func text(img *image.RGBA, face font.Face, c color.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
