package domain

import "testing"

// sortKeys gives the bytes the map round trip gives, or declines.
func TestSortKeysAsTheMapRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"b":1,"a":2}`,
		`{"a":"x,}y","c":{"z":[1,{"q":"]"}],"a":null},"b":[]}`,
		`{"z":"\"quoted\" \\ back","y":true,"x":false,"w":-1.5e3}`,
		`{"text":"\u003cb\u003e","activity":"discount","tags":["a","b"],"amount":90000}`,
		`{"é":1,"e":2,"E":3}`,
		`{"a\u0062":1,"aa":2}`,
		`{"a":1,"a":2}`,
		`{"a":{}}`, `{"a":[]}`, `{"b":"","a":""}`,
		`[1,2]`, `{"a":1`, `{"a"}`, `{"a":1,}`, `{"a":1}x`, `"s"`,
	} {
		want, werr := sortKeysDecoded([]byte(in))
		got, ok := sortKeys([]byte(in))
		switch {
		case ok && werr != nil:
			t.Errorf("%s: sortKeys accepted %s; the map round trip fails: %v", in, got, werr)
		case ok && string(got) != string(want):
			t.Errorf("%s: sortKeys %s, the map round trip %s", in, got, want)
		case !ok && werr == nil && !declined[in]:
			t.Errorf("%s: sortKeys declined a plain object", in)
		}
	}
}

// declined are the valid objects sortKeys leaves to the map round trip: an
// escaped key, a key twice.
var declined = map[string]bool{`{"a\u0062":1,"aa":2}`: true, `{"a":1,"a":2}`: true}

// BenchmarkEncodeData is the audit data of a decision's creation, on the
// ack path of every decision.
func BenchmarkEncodeData(b *testing.B) {
	d := &Decision{ID: "D-1", Requester: "U1", Activity: "discount", Amount: 25000, Currency: "USD",
		Customer: "ACME", State: StatePending, Level: 0, LevelName: "team-lead", Tags: []string{"a"}}
	ev := Event{Subject: d.ID, Payload: DecisionCreatedData{DecisionFacts: d.Facts()}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ev.EncodeData(); err != nil {
			b.Fatal(err)
		}
	}
}
