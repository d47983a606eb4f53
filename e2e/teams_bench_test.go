package e2e

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/domain"
)

// orgScale gives p teams teams of size people, each team's members one
// user group (seeded into the emulator), its own lead, and a manager for
// every five teams; the top-level levels stay as they are.
func orgScale(e *apptest.Env, teams, size int) {
	e.Policy.Teams = nil
	for i := range teams {
		g := fmt.Sprintf("S%04d", i)
		members := make([]string, size)
		for j := range size {
			members[j] = fmt.Sprintf("U%04d%04d", i, j)
		}
		e.Emu.AddUserGroup(g, fmt.Sprintf("team-%d", i), members...)
		e.Policy.Teams = append(e.Policy.Teams, domain.Team{
			Name: fmt.Sprintf("team-%d", i), Members: []string{g},
			Approvers: map[string][]string{"team-lead": {fmt.Sprintf("U%04dLEAD", i)}, "manager": {fmt.Sprintf("U%04dMGR", i/5)}},
		})
	}
}

// BenchmarkLogAckFlat and BenchmarkLogAck50Teams measure the ack of an
// above-the-box decision end to end (the slash command through the
// emulator's socket, the bot, Redis and back), on apptest's flat policy and
// on a policy of 50 teams of 100 people in user groups: ack latency, Redis
// round trips and Slack user-group calls per decision.
func BenchmarkLogAckFlat(b *testing.B) { benchLogAck(b, 0, apptest.Dave) }

func BenchmarkLogAck50Teams(b *testing.B) { benchLogAck(b, 50, "U00420042") }

func benchLogAck(b *testing.B, teams int, user string) {
	env := apptest.Start(b, apptest.Options{NoBot: true})
	if teams > 0 {
		orgScale(env, teams, 100)
	}
	start := time.Now()
	rtt := startHookedBot(b, env)
	startup := time.Since(start)
	ctx := context.Background()
	for range 3 { // scripts loaded, connections open
		if _, err := env.Emu.SlashCommand(ctx, user, apptest.General, "discount 900 for warmup"); err != nil {
			b.Fatal(err)
		}
	}
	groupCalls := env.Emu.CallCount("usergroups.users.list")
	lat := make([]time.Duration, 0, b.N)
	rtt.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := env.Emu.SlashCommand(ctx, user, apptest.General, "discount 900 for ACME")
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(res.Text, "above your box") {
			b.Fatalf("reply: %q", res.Text)
		}
		lat = append(lat, res.Ack.Latency)
	}
	b.StopTimer()
	if teams > 0 && !strings.Contains(env.Emu.Messages(apptest.Escalations)[0].AllText(), "U0042LEAD") {
		b.Fatalf("the card is not team-42's: %s", env.Emu.Messages(apptest.Escalations)[0].AllText())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ack-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(float64(rtt.n.Load())/float64(b.N), "redis-rtt/op")
	b.ReportMetric(float64(env.Emu.CallCount("usergroups.users.list")-groupCalls)/float64(b.N), "group-calls/op")
	b.ReportMetric(float64(startup.Milliseconds()), "startup-ms")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}
