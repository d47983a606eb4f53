package domain

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// encodeDataSlow is EncodeData's general path: json.Marshal, keys sorted.
func encodeDataSlow(t testing.TB, p Payload) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if sorted, ok := sortKeys(b); ok {
		return sorted
	}
	if b, err = sortKeysDecoded(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCreatedDataAsMarshal: a decision.created event's data is written
// as the general path writes it, for data with any of its fields set (a
// field added and not written fails it).
func TestCreatedDataAsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		var p DecisionCreatedData
		fill(r, reflect.ValueOf(&p).Elem())
		got, err := Event{Subject: "D-1", At: time.Now(), Payload: p}.EncodeData()
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeDataSlow(t, p); !bytes.Equal(got, want) {
			t.Fatalf("data %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// BenchmarkCreatedData measures a decision.created event's data.
func BenchmarkCreatedData(b *testing.B) {
	p := DecisionCreatedData{DecisionFacts{Activity: "discount", Amount: 25000, Currency: "USD", Requester: "U0DAVE",
		Autonomous: true, CreatedAt: 1772467200000, Customer: "ACME"}}
	ev := Event{Subject: "D-1", Payload: p}
	b.Run("EncodeData", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ev.EncodeData(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal+sortKeys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeDataSlow(b, p)
		}
	})
}
