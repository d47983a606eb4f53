package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzString checks String against json.Marshal.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", `a "quoted" \ back`, "<b> & </b>", "tab\tnl\nret\rbs\bff\f\x00\x1f\x7f",
		"é ü 日本 🙂", "\u2028\u2029", "bad \xff\xfe utf-8 \xe2\x82", "@channel :wave:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := String(nil, s); !bytes.Equal(got, want) {
			t.Errorf("String(%q) = %s, json.Marshal = %s", s, got, want)
		}
	})
}

func TestField(t *testing.T) {
	b := []byte("{")
	b = Field(b, "a")
	b = Int(b, -3)
	b = Field(b, "b")
	b = Bool(b, true)
	b = Field(b, "c")
	b = append(b, '[')
	b = String(b, "x")
	b = append(b, ']', '}')
	if got, want := string(b), `{"a":-3,"b":true,"c":["x"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func BenchmarkString(b *testing.B) {
	s := ":white_check_mark: Logged `D-ABC123`: *discount* of *$250* for *ACME*. This one was yours to make, and you made it: it's inside your box <so> no one needs to sign off."
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = String(buf[:0], s)
	}
}

func TestStrings(t *testing.T) {
	for _, ss := range [][]string{{}, {"safety"}, {"safety", `le"gal`, "é <x>"}} {
		want, err := json.Marshal(ss)
		if err != nil {
			t.Fatal(err)
		}
		if got := Strings(nil, ss); !bytes.Equal(got, want) {
			t.Errorf("Strings(%q) = %s, json.Marshal = %s", ss, got, want)
		}
	}
}
