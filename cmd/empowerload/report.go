package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// figures are one phase's numbers as printed.
type figures struct {
	n                  int
	p50, p90, p99, max time.Duration
	throughput         float64
	cpuPerCmd          time.Duration
}

func figuresOf(r *result) figures {
	f := figures{n: len(r.lat)}
	if f.n == 0 {
		return f
	}
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(f.n-1, int(float64(f.n)*p))] }
	f.p50, f.p90, f.p99, f.max = q(0.50), q(0.90), q(0.99), lat[f.n-1]
	if r.wall > 0 {
		f.throughput = float64(f.n) / r.wall.Seconds()
	}
	f.cpuPerCmd = r.cpu / time.Duration(f.n+r.errs)
	return f
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func mib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// report prints one scenario: the bot, the floor and the store floor
// (each nil when not measured) and their ratios.
func report(w io.Writer, sc *scenario, what string, bot, floor, store *result) {
	fmt.Fprintf(w, "== %s: %s (load average %s)\n", sc.name, what, bot.load)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tacks\tp50 ms\tp90 ms\tp99 ms\tmax ms\tacks/s\tpeak RSS MiB\tCPU s\tCPU ms/cmd\tRedis rt/cmd\tRedis cmds/cmd\tRedis CPU ms/cmd\terrors\t")
	row := func(r *result) figures {
		name := r.kind.String()
		f := figuresOf(r)
		n := float64(f.n + r.errs)
		rt, cmds, rcpu := "0", "0", "0"
		if n > 0 && r.kind != floorKind {
			rt = fmt.Sprintf("%.2f", float64(r.rtts)/n)
			cmds = "-" // counted only through -redis-proxy
			if r.cmds >= 0 {
				cmds = fmt.Sprintf("%.2f", float64(r.cmds)/n)
			}
			rcpu = fmt.Sprintf("%.3f", r.redisCPU.Seconds()*1000/n)
		}
		peak := mib(r.hwm)
		if !r.hwmFromRun {
			peak += "*"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%s\t%.2f\t%.3f\t%s\t%s\t%s\t%d\t\n", name, f.n, ms(f.p50), ms(f.p90), ms(f.p99), ms(f.max),
			f.throughput, peak, r.cpu.Seconds(), float64(f.cpuPerCmd.Microseconds())/1000, rt, cmds, rcpu, r.errs)
		return f
	}
	ratios := func(name string, a, b *result, fa, fb figures) {
		fmt.Fprintf(tw, "%s\t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\n", name,
			ratio(float64(fa.p50), float64(fb.p50)), ratio(float64(fa.p90), float64(fb.p90)),
			ratio(float64(fa.p99), float64(fb.p99)), ratio(float64(fa.max), float64(fb.max)),
			ratio(fa.throughput, fb.throughput), ratio(float64(a.hwm), float64(b.hwm)),
			ratio(a.cpu.Seconds(), b.cpu.Seconds()), ratio(float64(fa.cpuPerCmd), float64(fb.cpuPerCmd)))
	}
	fb := row(bot)
	var ff, fs figures
	if floor != nil {
		ff = row(floor)
	}
	if store != nil {
		fs = row(store)
	}
	if floor != nil {
		ratios("bot/floor", bot, floor, fb, ff)
	}
	if store != nil {
		ratios("bot/floor+store", bot, store, fb, fs)
		if floor != nil {
			ratios("floor+store/floor", store, floor, fs, ff)
		}
	}
	_ = tw.Flush()
	if n := float64(len(bot.lat) + bot.errs); n > 0 && len(bot.cmdstats) > 0 {
		type kv struct {
			k string
			v int64
		}
		var list []kv
		for k, v := range bot.cmdstats {
			list = append(list, kv{k, v})
		}
		sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || (list[i].v == list[j].v && list[i].k < list[j].k) })
		var parts []string
		for _, e := range list {
			parts = append(parts, fmt.Sprintf("%s %.2f", e.k, float64(e.v)/n))
		}
		fmt.Fprintf(w, "redis commandstats per command (inside scripts included): %s\n", strings.Join(parts, ", "))
	}
	if bot.grStart > 0 || bot.grEnd > 0 {
		fmt.Fprintf(w, "bot at start / end of the measurement: RSS %s / %s MiB, goroutines %d / %d\n",
			mib(bot.rssStart), mib(bot.rssEnd), bot.grStart, bot.grEnd)
	}
	if len(bot.samples) > 0 {
		var rss, gr []string
		for _, s := range bot.samples {
			rss = append(rss, mib(s.rss))
			gr = append(gr, fmt.Sprint(s.gr))
		}
		fmt.Fprintf(w, "bot along the way (every %s): RSS MiB %s; goroutines %s\n", bot.sampleStep, strings.Join(rss, " "), strings.Join(gr, " "))
	}
	if s := bot.settled; s != nil {
		fmt.Fprintf(w, "bot %s after the last ack: RSS %s MiB, goroutines %d\n", settleAfter, mib(s.rss), s.gr)
	}
	if bot.errs > 0 {
		fmt.Fprintf(w, "bot errors: %d, first: %s\n", bot.errs, bot.firstErr)
	}
	for _, r := range []*result{floor, store} {
		if r != nil && r.errs > 0 {
			fmt.Fprintf(w, "%s errors: %d, first: %s\n", r.kind, r.errs, r.firstErr)
		}
	}
	for _, p := range bot.profiles {
		fmt.Fprintf(w, "profile: %s\n", p)
	}
	if !bot.hwmFromRun {
		fmt.Fprintln(w, "* peak RSS since the process started (clear_refs refused)")
	}
	fmt.Fprintln(w)
}
