package slacktext

import (
	"reflect"
	"testing"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Word
	}{
		{"", nil},
		{"  ", nil},
		{"praise <@U1|dave smith>  well done", []Word{{"praise", 0, 6}, {"<@U1|dave smith>", 7, 23}, {"well", 25, 29}, {"done", 30, 34}}},
		{"a<b c", []Word{{"a<b", 0, 3}, {"c", 4, 5}}},
		{"<<x> y>", []Word{{"<<x>", 0, 4}, {"y>", 5, 7}}},
		{"héllo\twörld", []Word{{"héllo", 0, 6}, {"wörld", 7, 13}}},
	} {
		if got := Words(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Words(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
