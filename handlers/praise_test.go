package handlers

import (
	"slices"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

func TestParsePraiseBody(t *testing.T) {
	h := &Handlers{Policies: domain.NewPolicies(&domain.Policy{Values: []string{"customer-first", "courage"}})}
	for _, c := range []struct {
		in      string
		credits bool
		text    string
		users   []string
		values  []string
		err     string
	}{
		{in: " saved the day #courage", text: "saved the day", values: []string{"courage"}},
		{in: "saved #Courage. the day", text: "saved the day", values: []string{"courage"}},
		{in: "line one\nline   two #courage #courage", text: "line one\nline two", values: []string{"courage"}},
		{in: "#1 fan of <!channel>", text: "#1 fan of <!channel>"},
		{in: "with <@U0ERIN|erin> and <@U0BOB>", text: "with @erin and @U0BOB", users: []string{"U0ERIN", "U0BOB"}},
		{in: "renewed <@U0DAVE|dave> <@U0ERIN|erin> #courage", credits: true, text: "renewed", users: []string{"U0DAVE", "U0ERIN"}, values: []string{"courage"}},
		{in: "renewed <#C1|general>", credits: true, text: "renewed <#C1|general>"},
		{in: "renewed <!subteam^S1|@team> <@U0DAVE|dave>", credits: true, text: "renewed <!subteam^S1|@team>", users: []string{"U0DAVE"}},
		{in: "shipped <!channel>", credits: true, text: "shipped <!channel>"},
		{in: "great #bravery", err: "`#bravery` isn't one of our values: #customer-first #courage"},
		{in: "<@U0DAVE|dave>", credits: true, text: "", users: []string{"U0DAVE"}},
	} {
		got, err := h.parsePraiseBody(c.in, "usage", c.credits)
		switch {
		case c.err != "":
			if domain.ErrorCode(err) != domain.Invalid || !strings.Contains(domain.ErrorMessage(err), c.err) {
				t.Errorf("parse(%q) err = %v; want %q", c.in, err, c.err)
			}
			continue
		case err != nil:
			t.Errorf("parse(%q): %v", c.in, err)
			continue
		}
		if got.Text != c.text || !slices.Equal(got.Users, c.users) || !slices.Equal(got.Values, c.values) {
			t.Errorf("parse(%q) = %q %v %v; want %q %v %v", c.in, got.Text, got.Users, got.Values, c.text, c.users, c.values)
		}
	}
}
