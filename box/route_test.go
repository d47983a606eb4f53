package box_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/empowerbot/empowerbot/box"
	"github.com/empowerbot/empowerbot/domain"
	"github.com/empowerbot/empowerbot/money"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		policy   *domain.Policy
		activity string
		amount   money.Amount
		tags     []string
		want     box.Route
	}{
		{"one cent", chainPolicy(), "discount", 1, nil, box.Route{Autonomous: true, Level: -1}},
		{"exactly the frontline limit", chainPolicy(), "discount", usd(500), nil, box.Route{Autonomous: true, Level: -1}},
		{"a cent above the box", chainPolicy(), "discount", usd(500) + 1, nil,
			box.Route{Level: 0, Reasons: []string{"$500.01 is above your $500 box"}}},
		{"exactly the team-lead limit", chainPolicy(), "discount", usd(2000), nil,
			box.Route{Level: 0, Reasons: []string{"$2,000 is above your $500 box"}}},
		{"a cent above team-lead", chainPolicy(), "discount", usd(2000) + 1, nil,
			box.Route{Level: 1, Reasons: []string{"$2,000.01 is above your $500 box"}}},
		{"exactly the manager limit", chainPolicy(), "discount", usd(10000), nil,
			box.Route{Level: 1, Reasons: []string{"$10,000 is above your $500 box"}}},
		{"a cent above manager", chainPolicy(), "discount", usd(10000) + 1, nil,
			box.Route{Level: 2, Reasons: []string{"$10,000.01 is above your $500 box"}}},
		{"exactly the director limit", chainPolicy(), "discount", usd(50000), nil,
			box.Route{Level: 2, Reasons: []string{"$50,000 is above your $500 box"}}},
		{"above every limit", chainPolicy(), "discount", usd(50000) + 1, nil,
			box.Route{Level: 2, ExceedsAll: true, Reasons: []string{"$50,000.01 is above every limit, so it goes to the top (director)"}}},
		{"just below 1e9", chainPolicy(), "discount", money.Max - 1, nil,
			box.Route{Level: 2, ExceedsAll: true, Reasons: []string{"$999,999,999.99 is above every limit, so it goes to the top (director)"}}},
		{"no level limits: lowest level", chainPolicy(), "travel-waiver", usd(250) + 1, nil,
			box.Route{Level: 0, Reasons: []string{"$250.01 is above your $250 box"}}},
		{"no level limits: never above every limit", chainPolicy(), "travel-waiver", usd(900_000_000), nil,
			box.Route{Level: 0, Reasons: []string{"$900,000,000 is above your $250 box"}}},
		{"a level without a limit of its own covers", chainPolicy(), "refund", usd(5000), nil,
			box.Route{Level: 0, Reasons: []string{"$5,000 is above your $100 box"}}},
		{"tag inside the box", chainPolicy(), "discount", usd(10), []string{"safety"},
			box.Route{Level: 1, Reasons: []string{"tagged #safety"}}},
		{"tag at the limit", chainPolicy(), "discount", usd(500), []string{"minor"},
			box.Route{Level: 0, Reasons: []string{"tagged #minor"}}},
		{"tag lower than the amount's level", chainPolicy(), "discount", usd(5000), []string{"minor"},
			box.Route{Level: 1, Reasons: []string{"$5,000 is above your $500 box", "tagged #minor"}}},
		{"tag higher than the amount's level", chainPolicy(), "discount", usd(900), []string{"legal"},
			box.Route{Level: 2, Reasons: []string{"$900 is above your $500 box", "tagged #legal"}}},
		{"two tags: the higher wins", chainPolicy(), "discount", usd(10), []string{"safety", "minor"},
			box.Route{Level: 1, Reasons: []string{"tagged #safety", "tagged #minor"}}},
		{"repeated tag", chainPolicy(), "discount", usd(10), []string{"safety", "safety"},
			box.Route{Level: 1, Reasons: []string{"tagged #safety"}}},
		{"value tags stay inside", chainPolicy(), "discount", usd(10), []string{"customer-first", "courage"},
			box.Route{Autonomous: true, Level: -1}},
		{"tag above every limit", chainPolicy(), "discount", usd(60000), []string{"safety"},
			box.Route{Level: 2, ExceedsAll: true, Reasons: []string{"$60,000 is above every limit, so it goes to the top (director)", "tagged #safety"}}},
		{"product: $900", productPolicy(), "discount", usd(900), nil,
			box.Route{Level: 0, Reasons: []string{"$900 is above your $500 box"}}},
		{"product: #safety on $10 goes to manager", productPolicy(), "discount", usd(10), []string{"safety"},
			box.Route{Level: 1, Reasons: []string{"tagged #safety"}}},
		{"product: $20,000", productPolicy(), "discount", usd(20000), nil,
			box.Route{Level: 1, ExceedsAll: true, Reasons: []string{"$20,000 is above every limit, so it goes to the top (manager)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := box.Decide(tt.policy, tt.activity, tt.amount, tt.tags)
			if err != nil {
				t.Fatalf("Decide(%s, %s, %v) error = %v", tt.activity, tt.amount, tt.tags, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide(%s, %s, %v) mismatch (-want +got):\n%s", tt.activity, tt.amount, tt.tags, diff)
			}
		})
	}
}

func TestDecideCurrency(t *testing.T) {
	p := productPolicy()
	p.Currency = "EUR"
	p.Activities[1].Unit = ""
	got, err := box.Decide(p, "travel-waiver", usd(1250)+50, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1,250.50 EUR is above your 250 EUR box"}; !slices.Equal(got.Reasons, want) {
		t.Errorf("Reasons = %q; want %q", got.Reasons, want)
	}
}

func TestDecideErrors(t *testing.T) {
	noLevels := productPolicy()
	noLevels.Levels = nil
	tests := []struct {
		name      string
		policy    *domain.Policy
		activity  string
		amount    money.Amount
		wantInput string // the InputError's message, "" for another error
	}{
		{"unknown activity", productPolicy(), "discont", usd(10), `I don't know the activity "discont": did you mean discount?`},
		{"zero", productPolicy(), "discount", 0, ""},
		{"negative", productPolicy(), "discount", -1, ""},
		{"no levels above the box", noLevels, "discount", usd(900), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := box.Decide(tt.policy, tt.activity, tt.amount, nil)
			if err == nil {
				t.Fatal("Decide() error = nil; want an error")
			}
			var ie *box.InputError
			if isInput := errors.As(err, &ie); isInput != (tt.wantInput != "") {
				t.Fatalf("Decide() error = %v (InputError %v); want InputError %v", err, isInput, tt.wantInput != "")
			}
			if tt.wantInput != "" && ie.Message != tt.wantInput {
				t.Errorf("message = %q; want %q", ie.Message, tt.wantInput)
			}
		})
	}
	// Inside the box, no levels are needed.
	if r, err := box.Decide(noLevels, "discount", usd(10), nil); err != nil || !r.Autonomous {
		t.Errorf("Decide inside the box without levels = %+v, %v; want autonomous", r, err)
	}
}

func TestMayAct(t *testing.T) {
	p := chainPolicy()
	tests := []struct {
		name           string
		activity       string
		amount         money.Amount
		current, actor int
		want           bool
	}{
		{"current level", "discount", usd(900), 0, 0, true},
		{"higher level covering", "discount", usd(900), 0, 1, true},
		{"top level covering", "discount", usd(900), 0, 2, true},
		{"lower level", "discount", usd(5000), 1, 0, false},
		{"escalated: lower level may no longer act", "discount", usd(900), 1, 0, false},
		{"escalated: new level", "discount", usd(900), 1, 1, true},
		{"current level above its own limit", "discount", usd(5000), 0, 0, true},
		{"higher level exactly at its limit", "discount", usd(10000), 0, 1, true},
		{"higher level a cent above its limit", "discount", usd(10000) + 1, 0, 1, false},
		{"top level when routed there above every limit", "discount", usd(60000), 2, 2, true},
		{"level below the top, above every limit", "discount", usd(60000), 2, 1, false},
		{"tagged: team-lead may not", "discount", usd(10), 1, 0, false},
		{"tagged: manager may", "discount", usd(10), 1, 1, true},
		{"tagged: director may", "discount", usd(10), 1, 2, true},
		{"higher level above its limit may not", "refund", usd(5000), 0, 1, false},
		{"higher level without a limit of its own may", "refund", usd(5000), 0, 2, true},
		{"activity without limits", "travel-waiver", usd(5000), 0, 2, true},
		{"activity gone from the policy", "gone", usd(5000), 0, 1, true},
		{"actor of no level", "discount", usd(900), 0, -1, false},
		{"actor level out of range", "discount", usd(900), 0, 3, false},
		{"current level out of range", "discount", usd(900), 3, 2, false},
		{"autonomous decision", "discount", usd(10), -1, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := box.MayAct(p, tt.activity, tt.amount, tt.current, tt.actor); got != tt.want {
				t.Errorf("MayAct(%s, %s, current %d, actor %d) = %v; want %v", tt.activity, tt.amount, tt.current, tt.actor, got, tt.want)
			}
		})
	}
}

func TestActingLevels(t *testing.T) {
	p := chainPolicy()
	tests := []struct {
		activity string
		amount   money.Amount
		current  int
		want     []int
	}{
		{"discount", usd(900), 0, []int{0, 1, 2}},
		{"discount", usd(20000), 1, []int{1, 2}},
		{"discount", usd(60000), 2, []int{2}},
		{"refund", usd(5000), 0, []int{0, 2}},
	}
	for _, tt := range tests {
		if got := box.ActingLevels(p, tt.activity, tt.amount, tt.current); !slices.Equal(got, tt.want) {
			t.Errorf("ActingLevels(%s, %s, %d) = %v; want %v", tt.activity, tt.amount, tt.current, got, tt.want)
		}
	}
}
