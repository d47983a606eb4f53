package domain

import (
	"context"
	"slices"
	"testing"
)

func TestLaterRunsAfterTheReply(t *testing.T) {
	var got []string
	ctx, after := WithAfterReply(context.Background())
	Later(ctx, func(ctx context.Context) {
		got = append(got, "card")
		Later(ctx, func(context.Context) { got = append(got, "left by the card") })
	})
	Later(ctx, func(context.Context) { got = append(got, "confirmation") })
	got = append(got, "reply")
	after.Run(ctx)
	if want := []string{"reply", "card", "confirmation", "left by the card"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	after.Run(ctx) // nothing left: runs nothing twice
	if len(got) != 4 {
		t.Errorf("a second Run ran %q again", got[4:])
	}
}

func TestLaterWithoutAfterReplyRunsNow(t *testing.T) {
	ran := false
	Later(context.Background(), func(context.Context) { ran = true })
	if !ran {
		t.Error("Later without an AfterReply did not run f at once")
	}
	var a *AfterReply
	a.Run(context.Background()) // nil is fine
}
