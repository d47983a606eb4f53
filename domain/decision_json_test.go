package domain

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/money"
)

// fill sets every exported field of v (a struct, through a pointer) to a
// value drawn from r, or leaves it zero, so that a field added to Decision
// and not to AppendJSON shows as a difference.
func fill(r *rand.Rand, v reflect.Value) {
	strs := []string{"", "D-ABC123", "U0DAVE", "ACME <Corp> & \"Sons\"", "line\nbreak\t\u2028", "bad \xff utf-8", "é🙂"}
	zones := []*time.Location{time.UTC, time.FixedZone("CST", -6*3600), time.FixedZone("IST", 5*3600+1800)}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[r.IntN(len(strs))])
	case reflect.Int, reflect.Int64:
		if r.IntN(3) > 0 {
			v.SetInt(r.Int64N(2_000_000) - 1000)
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Slice:
		n := r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(r, s.Index(i))
		}
		if n > 0 || r.IntN(2) == 0 {
			v.Set(s)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if r.IntN(4) > 0 {
				t := time.Date(2026, 3, 2, 16, 4, 5, int(r.Int64N(1e9))*r.IntN(2), zones[r.IntN(len(zones))])
				v.Set(reflect.ValueOf(t.AddDate(r.IntN(3), r.IntN(12), 0)))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	}
}

// TestDecisionAppendJSONAsMarshal: AppendJSON writes what json.Marshal
// writes, for decisions with any of their fields set.
func TestDecisionAppendJSONAsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var d Decision
		fill(r, reflect.ValueOf(&d).Elem())
		want, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AppendJSON([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("decision %d:\n got %s\nwant %s", i, got[1:], want)
		}
	}
}

// TestDecisionAppendJSONOddTimes: a time json.Marshal writes another way
// or refuses is left to it.
func TestDecisionAppendJSONOddTimes(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", 3600+30)),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		d := Decision{ID: "D-1", CreatedAt: at}
		want, wantErr := json.Marshal(&d)
		got, err := d.AppendJSON(nil)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("at %v: got %s, %v; want %s, %v", at, got, err, want, wantErr)
		}
	}
}

// BenchmarkDecisionJSON measures encoding an inside-the-box decision's
// record, by hand and by json.Marshal.
func BenchmarkDecisionJSON(b *testing.B) {
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	d := &Decision{ID: "D-ABC123", Team: "T1", Requester: "U0DAVE", Activity: "discount", Amount: money.FromMajor(250),
		Currency: "USD", Customer: "ACME", State: StateAutonomous, Level: -1, CreatedAt: now, OutcomeDue: now.AddDate(0, 0, 7)}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.AppendJSON(make([]byte, 0, 512)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
