package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

func awayEvent(a domain.Absence) domain.Event {
	return domain.Event{Actor: a.User, Subject: a.User, To: a.Until, At: a.Since,
		Payload: domain.AwayStartedData{Until: a.Until, Zone: a.Zone, Ends: domain.UnixMilliOf(a.Ends), Delegate: a.Delegate}}
}

func TestAwayPeriods(t *testing.T) {
	s, _, _ := setupDecisions(t)
	ctx := context.Background()
	ends := t0.Add(30 * time.Hour)
	bob := domain.Absence{User: "U0BOB", Delegate: "U0CAROL", Until: "2026-03-03", Zone: "America/Chicago", Ends: ends, Since: t0}
	for range 2 { // a redelivery writes nothing twice
		if err := s.SetAway(ctx, team, bob, t0, awayEvent(bob)); err != nil {
			t.Fatal(err)
		}
	}
	short := domain.Absence{User: "U0DAN", Until: "2026-03-02", Zone: "UTC", Ends: t0.Add(time.Hour), Since: t0}
	if err := s.SetAway(ctx, team, short, t0, awayEvent(short)); err != nil {
		t.Fatal(err)
	}
	as, err := s.Absences(ctx, team, t0)
	if err != nil || len(as) != 2 || as["U0BOB"].Delegate != "U0CAROL" || !as["U0BOB"].Ends.Equal(ends) {
		t.Fatalf("absences now: %+v, %v", as, err)
	}
	// Dan's period ends by itself; Bob's still runs a moment before its end.
	as, _ = s.Absences(ctx, team, ends.Add(-time.Millisecond))
	if len(as) != 1 || !as.IsAway("U0BOB") {
		t.Fatalf("absences later: %+v", as)
	}
	if as, _ := s.Absences(ctx, team, ends); len(as) != 0 {
		t.Fatalf("absences at the end: %+v", as)
	}
	back := domain.Event{Actor: "U0BOB", Subject: "U0BOB", From: bob.Until, To: "back", At: t0.Add(2 * time.Hour),
		Payload: domain.AwayEndedData{Until: bob.Until, Delegate: bob.Delegate}}
	ended, err := s.EndAway(ctx, team, "U0BOB", back.At, back)
	if err != nil || !ended {
		t.Fatalf("back: %v, %v", ended, err)
	}
	if ended, _ := s.EndAway(ctx, team, "U0BOB", back.At, back); ended {
		t.Error("back twice ended a period twice")
	}
	// Dan's period ended by itself: back finds nothing to end.
	if ended, _ := s.EndAway(ctx, team, "U0DAN", back.At, back); ended {
		t.Error("back after the period ended by itself")
	}
	evs, err := s.ReadAudit(ctx, team, t0.Add(-time.Hour), t0.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var types []domain.EventType
	for _, e := range evs {
		types = append(types, e.Type())
	}
	if len(types) != 3 || types[0] != domain.EventAwayStarted || types[1] != domain.EventAwayStarted || types[2] != domain.EventAwayEnded {
		t.Errorf("audit: %v", types)
	}
}
