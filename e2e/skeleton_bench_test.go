package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
)

// BenchmarkHelpAck measures the ack latency of `/empower help` through the
// emulator and the real wiring: from the emulator writing the envelope to
// reading the ack that carries the answer. Reports p50 and p99.
func BenchmarkHelpAck(b *testing.B) {
	env := apptest.Start(b, apptest.Options{})
	ctx := env.Ctx()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := env.Emu.SlashCommand(ctx, apptest.Dave, apptest.General, "help")
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, res.Ack.Latency)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
}
