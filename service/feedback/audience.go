package feedback

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Audience is the people a round's DM goes to.
type Audience struct {
	// People are the user IDs to DM, sorted, each once.
	People []string
	// Excluded counts the IDs left out: bots, deactivated users, IDs the
	// workspace does not know, the user groups it would not list, and the
	// leaders away.
	Excluded int
	// Unresolved are the user groups whose members the workspace would not
	// list; they are among Excluded.
	Unresolved []string
}

// Audience returns the frontline: the policy's frontline users and the
// members of its frontline user groups, each once, without bots and
// deactivated users. A group the workspace will not list is left out (and
// named in Unresolved): one bad group must not keep everyone else from
// their DM.
func (s *Service) Audience(ctx context.Context) (Audience, error) {
	var candidates, unresolved []string
	for _, id := range s.conf().Frontline {
		if !strings.HasPrefix(id, "S") {
			candidates = append(candidates, id)
			continue
		}
		members, err := s.dir.GroupMembers(ctx, id)
		switch {
		case errors.Is(err, ErrUnknownGroup):
			unresolved = append(unresolved, id)
			continue
		case err != nil:
			return Audience{}, fmt.Errorf("list members of user group %s: %w", id, err)
		}
		candidates = append(candidates, members...)
	}
	candidates = dedupe(candidates)
	a := Audience{People: make([]string, 0, len(candidates)), Excluded: len(unresolved), Unresolved: unresolved}
	if len(candidates) == 0 {
		return a, nil
	}
	known, err := s.dir.People(ctx, candidates)
	if err != nil {
		return Audience{}, err
	}
	for _, id := range candidates {
		p, ok := known[id]
		if !ok || p.Bot || p.Deactivated {
			a.Excluded++
			continue
		}
		a.People = append(a.People, id)
	}
	var away int
	a.People, away = s.withoutAway(ctx, a.People) // leaders away get no DMs (away.go)
	a.Excluded += away
	return a, nil
}

// dedupe returns ids without empty or repeated entries, sorted.
func dedupe(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}
