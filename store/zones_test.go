package store

import (
	"testing"
	"time"
)

func TestUserZonesCacheRoundTrip(t *testing.T) {
	s, _ := newLeaseStore(t)
	ctx := t.Context()
	if _, ok, err := s.UserZone(ctx, "T1", "U1"); err != nil || ok {
		t.Fatalf("UserZone of nobody = %v, %v; want none", ok, err)
	}
	if at, err := s.ZonesRefreshed(ctx, "T1"); err != nil || !at.IsZero() {
		t.Fatalf("ZonesRefreshed before any = %v, %v", at, err)
	}
	at := time.UnixMilli(1_800_000_000_000)
	zones := map[string]string{"U1": "Asia/Tokyo", "U2": ""}
	for i := range 2500 {
		zones["UX"+time.Duration(i).String()] = "Europe/Berlin"
	}
	if err := s.SaveUserZones(ctx, "T1", zones, at, true); err != nil {
		t.Fatal(err)
	}
	z, ok, err := s.UserZone(ctx, "T1", "U1")
	if err != nil || !ok || z.TZ != "Asia/Tokyo" || !z.Checked.Equal(at) {
		t.Fatalf("UserZone = %+v, %v, %v", z, ok, err)
	}
	all, err := s.UserZones(ctx, "T1")
	if err != nil || len(all) != len(zones) || all["U2"].TZ != "" || all["U1"].TZ != "Asia/Tokyo" {
		t.Fatalf("UserZones = %d entries, %v; want %d", len(all), err, len(zones))
	}
	if got, err := s.ZonesRefreshed(ctx, "T1"); err != nil || !got.Equal(at) {
		t.Fatalf("ZonesRefreshed = %v, %v; want %v", got, err, at)
	}
	if err := s.SaveUserZones(ctx, "T1", map[string]string{"U1": "America/Chicago"}, at.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	z, _, _ = s.UserZone(ctx, "T1", "U1")
	if got, _ := s.ZonesRefreshed(ctx, "T1"); z.TZ != "America/Chicago" || !got.Equal(at) {
		t.Fatalf("after one user's update: %+v, refreshed %v", z, got)
	}
}
