package chaos

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/store"
)

// startCluster starts a Redis Cluster of 3 masters with a replica each
// (cluster-node-timeout 2 s) and waits until it serves every slot and every
// replica is in sync.
func startCluster(t *testing.T) []*redisProc {
	t.Helper()
	needTool(t, "redis-server")
	needTool(t, "redis-cli")
	nodes := make([]*redisProc, 6)
	args := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = startRedis(t, fmt.Sprintf("node%d", i), false,
			"cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 2000")
		args = append(args, nodes[i].Addr())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range nodes {
		c := n.Client()
		waitUntil(t, 30*time.Second, "cluster ok on "+n.Addr(), func() bool {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
			repl, err := c.Info(context.Background(), "replication").Result()
			return err == nil && (strings.Contains(repl, "role:slave") && strings.Contains(repl, "master_link_status:up") ||
				strings.Contains(repl, "connected_slaves:1") && strings.Contains(repl, "state=online"))
		})
	}
	return nodes
}

// slotMaster is the address of the live master serving slot, as node sees
// the cluster ("" when none).
func slotMaster(c *redis.Client, slot int) string {
	out, err := c.ClusterNodes(context.Background()).Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.Contains(f[2], "master") || strings.Contains(f[2], "fail") {
			continue
		}
		for _, r := range f[8:] {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && a <= slot && slot <= b {
				addr, _, _ := strings.Cut(f[1], "@")
				return addr
			}
		}
	}
	return ""
}

// The team's master of a 3 + 3 Redis Cluster is SIGKILLed in the middle of
// a load of 200 decisions at 20/s, with REDIS_WAIT_REPLICAS=1; once its
// replica is promoted the dead node is started again (it rejoins as the new
// master's replica). Promised: people are refused (told to try again, or
// told "saved, not yet confirmed") for at most the promotion time + 5 s,
// /readyz is not ready meanwhile and ready again after; nothing confirmed
// is lost, nothing stored twice.
func TestClusterMasterKilledUnderLoad(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr()
	}
	w := NewWorld(t, WorldOptions{
		RedisURL: "redis://" + addrs[0] + "/0",
		Env:      []string{"REDIS_ADDRS=" + strings.Join(addrs, ","), "REDIS_WAIT_REPLICAS=1"},
		Client:   store.ClientOptions{Addrs: addrs},
	})
	bot := w.StartBot()
	bot.ErrorsOK = true
	bot.WaitReady()

	teamKey := w.Prefix + ":{" + Team + "}:x"
	slot64, err := nodes[0].Client().ClusterKeySlot(context.Background(), teamKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	slot := int(slot64)
	var victim *redisProc
	for _, n := range nodes {
		if n.Addr() == slotMaster(nodes[0].Client(), slot) {
			victim = n
		}
	}
	if victim == nil {
		t.Fatalf("no master serves slot %d", slot)
	}
	var watcher *redis.Client
	for _, n := range nodes {
		if n != victim {
			watcher = n.Client()
			break
		}
	}

	// /readyz, every 100 ms, until the load is done.
	var (
		mu                  sync.Mutex
		firstDown, lastDown time.Time
		polls               int
	)
	stopPoll := make(chan struct{})
	var pollWG sync.WaitGroup
	pollWG.Go(func() {
		for {
			select {
			case <-stopPoll:
				return
			case <-time.After(100 * time.Millisecond):
			}
			ready := bot.Ready()
			now := time.Now()
			mu.Lock()
			polls++
			if !ready {
				if firstDown.IsZero() {
					firstDown = now
				}
				lastDown = now
			}
			mu.Unlock()
		}
	})

	const n, killAt = 200, 40
	kill := make(chan struct{})
	var results []Result
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		results = w.Run(Load{Rate: 20, Commands: Decisions(n), AfterSend: func(i int) {
			if i == killAt {
				close(kill)
			}
		}})
	}()
	<-kill
	killed := time.Now() // before Kill returns, the bot may already see the master gone
	victim.Kill()
	waitUntil(t, 30*time.Second, "replica promoted", func() bool {
		m := slotMaster(watcher, slot)
		return m != "" && m != victim.Addr()
	})
	promotion := time.Since(killed)
	victim.Restart() // it rejoins as the new master's replica
	<-loaded
	bot.WaitReady()
	close(stopPoll)
	pollWG.Wait()

	f := Tally(results)
	checkDecisions(t, w, results, &f)
	window, refused := refusedWindow(results)
	var lastRefused time.Time
	for _, r := range results {
		if !r.Confirmed {
			lastRefused = r.Sent
		}
	}
	bound := promotion + 5*time.Second
	if refused > 0 && lastRefused.Sub(killed) > bound {
		t.Errorf("people refused until %v after the kill, want at most the promotion time %v + 5s", lastRefused.Sub(killed).Round(time.Millisecond), promotion.Round(time.Millisecond))
	}
	mu.Lock()
	notReady := lastDown.Sub(firstDown)
	if firstDown.IsZero() || firstDown.Before(killed) {
		t.Errorf("/readyz not ready from %v (kill at %v): want not ready only once the team's master is gone", firstDown, killed)
	} else if lastDown.Sub(killed) > bound {
		t.Errorf("/readyz not ready until %v after the kill, want at most %v", lastDown.Sub(killed).Round(time.Millisecond), bound.Round(time.Millisecond))
	}
	if refused > 0 && firstDown.IsZero() {
		t.Errorf("/readyz stayed ready while %d commands were refused", refused)
	}
	mu.Unlock()
	f.Extra = append(f.Extra, fmt.Sprintf("promotion=%v refused=%d refused_window=%v refused_until=%v readyz_not_ready=%v readyz_polls=%d",
		promotion.Round(time.Millisecond), refused, window.Round(time.Millisecond), lastRefused.Sub(killed).Round(time.Millisecond),
		notReady.Round(time.Millisecond), polls))
	CheckAckBound(t, results)
	bot.Stop()
	f.Report(t)
}
