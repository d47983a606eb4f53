package doctor

import (
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

func TestPeopleListsEveryIDOnce(t *testing.T) {
	p := &domain.Policy{
		Frontline: []string{"U1", "S1", "U1"},
		Admins:    []string{"U9"},
		Levels:    []domain.Level{{Name: "a", Approvers: []string{"U2", "S2"}}},
		Teams:     []domain.Team{{Name: "n", Members: []string{"U3"}, Approvers: map[string][]string{"a": {"U4", "U2"}}}},
	}
	users, groups := people(p)
	if strings.Join(users, ",") != "U1,U2,U3,U4,U9" || strings.Join(groups, ",") != "S1,S2" {
		t.Errorf("people = %v %v", users, groups)
	}
}
