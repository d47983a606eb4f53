package decisions_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
	"github.com/empowerbot/empowerbot/roster"
	"github.com/empowerbot/empowerbot/service/decisions"
	"github.com/empowerbot/empowerbot/store"
	"github.com/empowerbot/empowerbot/store/redistest"
)

// BenchmarkLogFlat and BenchmarkLog50Teams measure Log of an above-the-box
// decision on a real Redis: on the fixture's flat policy, and with 50 teams
// of 100 people in user groups (the requester in team 42).
func BenchmarkLogFlat(b *testing.B) { benchLog(b, 0, dave) }

func BenchmarkLog50Teams(b *testing.B) { benchLog(b, 50, "U00420042") }

func benchLog(b *testing.B, teams int, user string) {
	srv := redistest.Start(b)
	st := store.New(srv.Client(b), store.NewKeys(srv.Prefix(b)))
	p := testPolicy()
	dir := &directory{groups: map[string][]string{"S0MANAGERS": {mia}}}
	for i := range teams {
		g := fmt.Sprintf("S%04d", i)
		for j := range 100 {
			dir.groups[g] = append(dir.groups[g], fmt.Sprintf("U%04d%04d", i, j))
		}
		p.Teams = append(p.Teams, domain.Team{Name: fmt.Sprintf("team-%d", i), Members: []string{g},
			Approvers: map[string][]string{"team-lead": {fmt.Sprintf("U%04dLEAD", i)}}})
	}
	ctx := context.Background()
	r := roster.New(team, dir, nil)
	if err := r.Resolve(ctx, p); err != nil {
		b.Fatal(err)
	}
	svc := decisions.New(domain.NewPolicies(p), st, &quietNotifier{}, r, nil, &fakeClock{now: t0}, nil)
	req := box.Request{Activity: "discount", Amount: money.FromMajor(900), Customer: "ACME", Reason: "billing error"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d, err := svc.Log(ctx, team, user, req)
		if err != nil {
			b.Fatal(err)
		}
		if teams > 0 && d.TeamName != "team-42" {
			b.Fatalf("routed to %q", d.TeamName)
		}
	}
}

// quietNotifier posts cards that go nowhere.
type quietNotifier struct{ notifier }

func (*quietNotifier) PostCard(_ context.Context, _ *domain.DecisionRecord, level int) (domain.DecisionMessage, error) {
	return domain.DecisionMessage{Level: level, MessageRef: domain.MessageRef{Channel: "C0ESCALATE", TS: "1000.0001"}}, nil
}

func (*quietNotifier) Changed(context.Context, *domain.DecisionRecord) {}
