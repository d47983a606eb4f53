// Package chart draws the weekly digest's chart: decisions made inside and
// above the box and outcomes, per day, as a PNG bar chart (gonum.org/v1/plot).
package chart

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/empowerbot/empowerbot/stats"
)

// Size of the chart in points (at 96 DPI it is 960x480 pixels).
const (
	Width  = 7.2 * vg.Inch
	Height = 3.6 * vg.Inch
	DPI    = 133
)

// series is one kind of bar.
type series struct {
	name  string
	color color.Color
	value func(stats.Day) int
}

var allSeries = []series{
	{"Inside the box", color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}, func(d stats.Day) int { return d.Inside }},
	{"Above the box", color.RGBA{R: 0xef, G: 0x6c, B: 0x00, A: 0xff}, func(d stats.Day) int { return d.Above }},
	{"Worked", color.RGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}, func(d stats.Day) int { return d.Worked }},
	{"Didn't work", color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}, func(d stats.Day) int { return d.Failed }},
}

// PNG draws days as a grouped bar chart and returns the PNG bytes.
func PNG(title string, days []stats.Day) ([]byte, error) {
	if len(days) == 0 {
		days = []stats.Day{{}}
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "count"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.ThumbnailWidth = 8 * vg.Millimeter

	labels := make([]string, len(days))
	for i, d := range days {
		labels[i] = d.Date.Format("Mon 2")
	}
	barWidth := vg.Points(12)
	if len(days) > 10 {
		barWidth = vg.Points(4)
	}
	p.Add(plotter.NewGrid()) // under the bars
	maxY := 0
	for i, s := range allSeries {
		vals := make(plotter.Values, len(days))
		for j, d := range days {
			v := s.value(d)
			vals[j] = float64(v)
			maxY = max(maxY, v)
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", s.name, err)
		}
		bars.Color = s.color
		bars.LineStyle.Width = 0
		bars.Offset = barWidth * vg.Length(float64(i)-float64(len(allSeries)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	// Room above the tallest bar for the legend; whole-number ticks.
	p.Y.Max = float64(max(maxY, 1)) * 1.35
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		step := max(1, int(hi)/5)
		var ts []plot.Tick
		for v := 0; float64(v) <= hi; v += step {
			ts = append(ts, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
		}
		return ts
	})
	p.NominalX(labels...)

	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI),
		vgimg.UseBackgroundColor(color.White))}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}
