package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/empowerbot/empowerbot/domain"
)

func TestFeedbackPost(t *testing.T) {
	tests := []struct {
		name, author string
		want, never  []string
	}{
		{"named", "U0ALICE", []string{"<@U0ALICE>", "&lt;!here&gt;"}, []string{"<!here>", "Anonymous"}},
		{"anonymous", "", []string{"Anonymous", "&lt;!here&gt;"}, []string{"<!here>", "<@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, blocks := feedbackPostBlocks("What helps <you>?", "More time <!here>", tt.author)
			raw, err := json.Marshal(blocks)
			if err != nil {
				t.Fatal(err)
			}
			got := text + string(raw)
			got = strings.ReplaceAll(got, `\u0026`, "&")
			got = strings.ReplaceAll(got, `\u003c`, "<")
			got = strings.ReplaceAll(got, `\u003e`, ">")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("post %s lacks %q", got, w)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("post %s contains %q", got, n)
				}
			}
		})
	}
}

func TestFeedbackModalAnonymityOption(t *testing.T) {
	r := domain.FeedbackRound{ID: "1", Question: "Q?"}
	for _, allowed := range []bool{true, false} {
		v := feedbackModal(r, allowed)
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), feedbackAnonBlock); got != allowed {
			t.Errorf("modal with anonymous_allowed=%v has the anonymity checkbox: %v", allowed, got)
		}
		if v.PrivateMetadata != "1" || v.CallbackID != ViewFeedback {
			t.Errorf("modal metadata %q, callback %q; want round 1, %q", v.PrivateMetadata, v.CallbackID, ViewFeedback)
		}
	}
}
