package box_test

import (
	"testing"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

func TestOwnLimitRoutesAndCaps(t *testing.T) {
	p := productPolicy()
	own := domain.PersonalLimits{"discount": {Activity: "discount", Amount: usd(900), Currency: "USD", By: "U0BOB", Level: "team-lead"}}
	for _, tt := range []struct {
		amount     int64
		autonomous bool
		why        string
	}{
		{900, true, ""},
		{901, false, "$901 is above your $900 box"},
		{400, true, ""},
	} {
		r, err := box.DecideFor(p, "discount", usd(tt.amount), nil, own)
		if err != nil {
			t.Fatal(err)
		}
		if r.Autonomous != tt.autonomous || (!tt.autonomous && (len(r.Reasons) == 0 || r.Reasons[0] != tt.why)) {
			t.Errorf("DecideFor($%d) = %+v; want autonomous %v, %q", tt.amount, r, tt.autonomous, tt.why)
		}
	}
	// Without a limit of their own, $900 is above the box; another
	// activity's limit does not count.
	if r, _ := box.DecideFor(p, "travel-waiver", usd(300), nil, own); r.Autonomous {
		t.Error("travel-waiver $300 is autonomous with a discount limit of one's own")
	}
	// A tag still escalates.
	if r, _ := box.DecideFor(p, "discount", usd(100), []string{"safety"}, own); r.Autonomous {
		t.Error("#safety is autonomous with a limit of one's own")
	}

	// The policy lowers the team-lead's limit below it: capped.
	act, _ := p.Activity("discount")
	act.LevelLimits = map[string]money.Amount{"team-lead": usd(700), "manager": usd(10000)}
	pl := own["discount"]
	if got, capped := box.OwnLimit(p, act, &pl); got != usd(700) || !capped {
		t.Errorf("OwnLimit under a $700 team-lead = %s, %v; want 700, capped", got, capped)
	}
	// The policy raises the frontline limit above it: the policy's wins.
	act.FrontlineLimit = usd(1000)
	if got, capped := box.OwnLimit(p, act, &pl); got != usd(1000) || capped {
		t.Errorf("OwnLimit under a $1,000 frontline limit = %s, %v; want 1,000, not capped", got, capped)
	}
	// Another currency gives nothing of its own.
	pl.Currency = "EUR"
	act.FrontlineLimit = usd(500)
	if got, _ := box.OwnLimit(p, act, &pl); got != usd(500) {
		t.Errorf("OwnLimit in another currency = %s; want the policy's 500", got)
	}

	// LimitsFor shows it, with the policy's limit beside it.
	all := box.LimitsFor(p, own)
	if all[0].Frontline != usd(900) || all[0].Policy != usd(500) || all[0].Own == nil || all[0].Capped {
		t.Errorf("LimitsFor discount = %+v; want 900 of one's own over the policy's 500", all[0])
	}
	if all[1].Own != nil {
		t.Errorf("LimitsFor travel-waiver has a limit of its own: %+v", all[1])
	}
}
