package domain

import "testing"

func TestPolicyLookups(t *testing.T) {
	p := &Policy{
		Currency:   "USD",
		Levels:     []Level{{Name: "lead"}, {Name: "manager"}},
		Activities: []Activity{{Name: "discount"}, {Name: "refund", Unit: "EUR"}},
	}
	if a, ok := p.Activity("refund"); !ok || a.Name != "refund" {
		t.Errorf("Activity(refund) = %+v, %v; want refund, true", a, ok)
	}
	if _, ok := p.Activity("travel"); ok {
		t.Errorf("Activity(travel) found, want not found")
	}
	for name, want := range map[string]int{"lead": 0, "manager": 1, "ceo": -1} {
		if got := p.LevelIndex(name); got != want {
			t.Errorf("LevelIndex(%q) = %d, want %d", name, got, want)
		}
	}
	discount, _ := p.Activity("discount")
	refund, _ := p.Activity("refund")
	for _, tt := range []struct {
		act  Activity
		want string
	}{{discount, "USD"}, {refund, "EUR"}, {Activity{}, "USD"}} {
		if got := p.CurrencyOf(tt.act); got != tt.want {
			t.Errorf("CurrencyOf(%q) = %q, want %q", tt.act.Name, got, tt.want)
		}
	}
}
