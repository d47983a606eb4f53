package box_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/box"
)

func TestLimits(t *testing.T) {
	p := chainPolicy()
	got, ok := box.Limits(p, "refund")
	if !ok {
		t.Fatal("Limits(refund) not found")
	}
	want := box.ActivityLimits{
		Activity: "refund", Currency: "USD", Frontline: usd(100), Policy: usd(100),
		Levels: []box.LevelLimit{
			{Level: 0, Name: "team-lead", Approvers: []string{"U0BOB"}, NoLimit: true},
			{Level: 1, Name: "manager", Approvers: []string{"U0CAROL", "S0MANAGERS"}, Limit: usd(1000)},
			{Level: 2, Name: "director", Approvers: []string{"U0DIANA"}, NoLimit: true},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Limits(refund) mismatch (-want +got):\n%s", diff)
	}
	if _, ok := box.Limits(p, "nope"); ok {
		t.Error("Limits(nope) found; want not found")
	}
	all := box.AllLimits(p)
	var names []string
	for _, a := range all {
		names = append(names, a.Activity)
	}
	if want := []string{"discount", "travel-waiver", "refund"}; !slices.Equal(names, want) {
		t.Errorf("AllLimits activities = %v; want %v", names, want)
	}
	// The result is a copy: changing it leaves the policy alone.
	got.Levels[1].Approvers[0] = "UCHANGED"
	if p.Levels[1].Approvers[0] != "U0CAROL" {
		t.Error("changing Limits' approvers changed the policy")
	}
}

func TestEscalationTagsAndAllowedTags(t *testing.T) {
	p := chainPolicy()
	wantRules := []box.TagRule{
		{Tag: "legal", Level: 2, LevelName: "director"},
		{Tag: "minor", Level: 0, LevelName: "team-lead"},
		{Tag: "safety", Level: 1, LevelName: "manager"},
	}
	if diff := cmp.Diff(wantRules, box.EscalationTags(p)); diff != "" {
		t.Errorf("EscalationTags mismatch (-want +got):\n%s", diff)
	}
	p.Values = append(p.Values, "Safety") // a value that is also an escalation tag
	want := []string{"customer-first", "ownership", "courage", "safety", "legal", "minor"}
	if got := box.AllowedTags(p); !slices.Equal(got, want) {
		t.Errorf("AllowedTags = %v; want %v", got, want)
	}
}
