package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

func TestQuestionOfWeek(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	p := &domain.Policy{Location: chicago, Feedback: domain.Feedback{Questions: []string{"A?", "B?", "C?"}}}
	mon := time.Date(2026, 3, 2, 9, 0, 0, 0, chicago) // a Monday
	_, base := QuestionOfWeek(p, mon)
	tests := []struct {
		name string
		at   time.Time
		step int // weeks after mon's question
	}{
		{"same Monday", mon, 0},
		{"Sunday night, same week", time.Date(2026, 3, 8, 23, 59, 0, 0, chicago), 0},
		{"next Monday, just after midnight local", time.Date(2026, 3, 9, 0, 0, 1, 0, chicago), 1},
		{"Sunday night local is Monday in UTC", time.Date(2026, 3, 9, 4, 30, 0, 0, time.UTC), 0},
		{"two weeks later", mon.AddDate(0, 0, 14), 2},
		{"three weeks later wraps", mon.AddDate(0, 0, 21), 0},
		{"a week before", mon.AddDate(0, 0, -7), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, i := QuestionOfWeek(p, tt.at)
			want := (base + tt.step) % 3
			if i != want || q != p.Feedback.Questions[want] {
				t.Errorf("QuestionOfWeek(%v) = %q, %d; want %q, %d", tt.at, q, i, p.Feedback.Questions[want], want)
			}
		})
	}
	// No questions in the policy: the six defaults.
	q, _ := QuestionOfWeek(&domain.Policy{}, mon)
	found := false
	for _, d := range domain.DefaultQuestions() {
		found = found || d == q
	}
	if !found {
		t.Errorf("QuestionOfWeek without questions = %q; want one of the defaults", q)
	}
}

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
