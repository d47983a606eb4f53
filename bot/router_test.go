package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/command"
	"github.com/empowerbot/empowerbot/handlers"
)

func TestRoutesBindEverySubcommand(t *testing.T) {
	r, err := Routes(&handlers.Handlers{})
	if err != nil {
		t.Fatalf("Routes: %v", err)
	}
	for _, s := range command.All() {
		for _, w := range append([]string{s.Name}, s.Aliases...) {
			c := &handlers.Command{Sub: w}
			if h, route := r.command(c); h == nil || route != w {
				t.Errorf("/empower %s is routed to %q, want its own route", w, route)
			}
		}
	}
	c := &handlers.Command{Sub: "discount", Text: "discount 250"}
	if h, route := r.command(c); h == nil || route != "decision" || c.Args != "discount 250" {
		t.Errorf("/empower discount 250: route %q, args %q; want the fallback with the whole text", route, c.Args)
	}
}

func TestSubcommandsFailWhenTableAndHandlersDisagree(t *testing.T) {
	noop := func(context.Context, *handlers.Command) (*handlers.Reply, error) { return nil, nil }
	table := []command.Sub{{Name: "box"}, {Name: "stats"}}
	tests := []struct {
		name  string
		bound map[string]handlers.CommandFunc
		want  string // "" for no error
	}{
		{"all bound", map[string]handlers.CommandFunc{"box": noop, "stats": noop}, ""},
		{"entry without handler", map[string]handlers.CommandFunc{"box": noop}, `subcommand "stats" has no handler`},
		{"nil handler", map[string]handlers.CommandFunc{"box": noop, "stats": nil}, `subcommand "stats" has no handler`},
		{"handler without entry", map[string]handlers.CommandFunc{"box": noop, "stats": noop, "foo": noop}, `handler for "foo" has no entry in the subcommand table`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewRouter().subcommands(table, tt.bound)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}
