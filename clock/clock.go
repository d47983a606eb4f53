// Package clock gives time-dependent code a clock that tests and the sandbox
// can move, so that "due tomorrow" or "3 days overdue" is tested without
// waiting.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the real wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Offset is the real clock shifted by an adjustable offset. The zero value is
// the real clock. It is safe for concurrent use.
type Offset struct {
	mu     sync.RWMutex
	offset time.Duration // guarded by mu
}

// Now returns the real time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return time.Now().Add(o.offset)
}

// Advance moves the clock forward by d (backwards when d is negative).
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	o.offset += d
	o.mu.Unlock()
}

// Set moves the clock so that Now returns t (plus the time that passes).
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	o.offset = time.Until(t)
	o.mu.Unlock()
}

// Offset returns the current offset from the real clock.
func (o *Offset) Offset() time.Duration {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.offset
}
