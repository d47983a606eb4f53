package store

import (
	"context"
	"fmt"
)

// App Home.
//
//	<prefix>:{T}:home:opened   set of the people who opened the bot's App Home:
//	                           only their Home is re-published after a change

func (s *Store) homeOpenedKey(team string) string { return s.keys.Team(team, "home", "opened") }

// MarkHomeOpened records that user has opened the App Home.
func (s *Store) MarkHomeOpened(ctx context.Context, team, user string) error {
	if err := s.rdb.SAdd(ctx, s.homeOpenedKey(team), user).Err(); err != nil {
		return fmt.Errorf("mark home opened: %w", err)
	}
	return nil
}

// HomeOpened returns those of users who have opened the App Home.
func (s *Store) HomeOpened(ctx context.Context, team string, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	members := make([]any, len(users))
	for i, u := range users {
		members[i] = u
	}
	ok, err := s.rdb.SMIsMember(ctx, s.homeOpenedKey(team), members...).Result()
	if err != nil {
		return nil, fmt.Errorf("home opened: %w", err)
	}
	var out []string
	for i, yes := range ok {
		if yes {
			out = append(out, users[i])
		}
	}
	return out, nil
}
