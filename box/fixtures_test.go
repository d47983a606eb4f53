package box_test

import (
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

// productPolicy is the example policy of PRODUCT.md.
func productPolicy() *domain.Policy {
	return &domain.Policy{
		Currency: "USD",
		Values:   []string{"customer-first", "ownership", "courage"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}},
			{Name: "manager", Approvers: []string{"U0CAROL"}},
		},
		Activities: []domain.Activity{
			{Name: "discount", Summary: "Invoice discount to keep a customer relationship", Unit: "USD", FrontlineLimit: usd(500),
				LevelLimits: map[string]money.Amount{"team-lead": usd(2000), "manager": usd(10000)}},
			{Name: "travel-waiver", Unit: "USD", FrontlineLimit: usd(250)},
		},
		AlwaysEscalate: map[string]string{"safety": "manager", "legal": "manager"},
	}
}

// chainPolicy has three levels, a level without a limit of its own and an
// always_escalate tag at every level.
func chainPolicy() *domain.Policy {
	return &domain.Policy{
		Currency: "USD",
		Values:   []string{"customer-first", "ownership", "courage"},
		Levels: []domain.Level{
			{Name: "team-lead", Approvers: []string{"U0BOB"}},
			{Name: "manager", Approvers: []string{"U0CAROL", "S0MANAGERS"}},
			{Name: "director", Approvers: []string{"U0DIANA"}},
		},
		Activities: []domain.Activity{
			{Name: "discount", FrontlineLimit: usd(500),
				LevelLimits: map[string]money.Amount{"team-lead": usd(2000), "manager": usd(10000), "director": usd(50000)}},
			{Name: "travel-waiver", FrontlineLimit: usd(250)},
			// team-lead has no limit of its own for refunds; the manager's is 1,000.
			{Name: "refund", FrontlineLimit: usd(100), LevelLimits: map[string]money.Amount{"manager": usd(1000)}},
		},
		AlwaysEscalate: map[string]string{"minor": "team-lead", "safety": "manager", "legal": "director"},
	}
}

func usd(n int64) money.Amount { return money.FromMajor(n) }
