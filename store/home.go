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

// HomeOpenedAll returns everyone who has opened the App Home.
func (s *Store) HomeOpenedAll(ctx context.Context, team string) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, s.homeOpenedKey(team)).Result()
	if err != nil {
		return nil, fmt.Errorf("home opened: %w", err)
	}
	return out, nil
}
