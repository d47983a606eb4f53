package domain

import (
	"testing"
	"time"
)

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

func TestPolicyLevels(t *testing.T) {
	p := &Policy{Levels: []Level{
		{Name: "lead", Approvers: []string{"U0BOB"}, RespondWithin: time.Hour},
		{Name: "manager", Approvers: []string{"S0MGR"}},
	}}
	for i, want := range []string{"level 0", "lead", "manager", "level 3"} {
		if got := p.LevelName(i - 1); got != want {
			t.Errorf("LevelName(%d) = %q, want %q", i-1, got, want)
		}
	}
	if got := p.LevelApprovers(1); len(got) != 1 || got[0] != "S0MGR" {
		t.Errorf("LevelApprovers(1) = %q, want [S0MGR]", got)
	}
	if got := p.LevelApprovers(2); got != nil {
		t.Errorf("LevelApprovers(2) = %q, want none", got)
	}
	if got, got2 := p.RespondWithin(0), p.RespondWithin(5); got != time.Hour || got2 != 0 {
		t.Errorf("RespondWithin(0), (5) = %v, %v; want 1h, 0", got, got2)
	}
}
