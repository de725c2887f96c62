package loadgen

import (
	"context"
	"testing"
	"time"
)

func TestScheduleArithmetic(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		rate  float64
		dur   time.Duration
		total int64
	}{
		{rate: 1, dur: time.Second, total: 1},
		{rate: 1, dur: time.Second + 1, total: 2},
		{rate: 10, dur: time.Second, total: 10},
		{rate: 3, dur: time.Second, total: 3},
		{rate: 2000, dur: 60 * time.Second, total: 120000},
		{rate: 0.5, dur: 10 * time.Second, total: 5},
		{rate: 7.3, dur: 10 * time.Second, total: 73},
		{rate: 0, dur: time.Second, total: 0},
		{rate: 5, dur: 0, total: 0},
	} {
		s := Schedule{Start: start, Rate: tc.rate, Duration: tc.dur}
		if got := s.Total(); got != tc.total {
			t.Errorf("rate %v for %v: Total = %d, want %d", tc.rate, tc.dur, got, tc.total)
		}
		if tc.total == 0 {
			continue
		}
		// The last request is due before the end, the next would not be.
		if last := s.At(tc.total - 1); !last.Before(start.Add(tc.dur)) {
			t.Errorf("rate %v: last due %v not before end", tc.rate, last.Sub(start))
		}
		if next := s.At(tc.total); next.Before(start.Add(tc.dur)) {
			t.Errorf("rate %v: request %d due %v is inside the window", tc.rate, tc.total, next.Sub(start))
		}
	}
}

func TestScheduleDueBy(t *testing.T) {
	start := time.Unix(1000, 0)
	s := Schedule{Start: start, Rate: 4, Duration: 2 * time.Second} // due at 0, .25, .5, … 1.75
	for _, tc := range []struct {
		at   time.Duration
		want int64
	}{
		{-time.Nanosecond, 0},
		{0, 1},
		{249 * time.Millisecond, 1},
		{250 * time.Millisecond, 2},
		{time.Second, 5},
		{1750 * time.Millisecond, 8},
		{time.Hour, 8},
	} {
		if got := s.DueBy(start.Add(tc.at)); got != tc.want {
			t.Errorf("DueBy(+%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
	// DueBy agrees with At for an awkward rate at every due time.
	s = Schedule{Start: start, Rate: 3333.3, Duration: time.Second}
	for i := range s.Total() {
		if got := s.DueBy(s.At(i)); got != i+1 {
			t.Fatalf("DueBy(At(%d)) = %d", i, got)
		}
		if got := s.DueBy(s.At(i).Add(-1)); got != i {
			t.Fatalf("DueBy(At(%d)-1ns) = %d", i, got)
		}
	}
}

func TestDispatchIssuesEveryRequestInOrderNotEarly(t *testing.T) {
	s := Schedule{Start: time.Now(), Rate: 500, Duration: 200 * time.Millisecond}
	var got []int64
	n := dispatch(context.Background(), s, func(_ context.Context, i int64, due time.Time) bool {
		if now := time.Now(); now.Before(due) {
			t.Errorf("request %d issued %v early", i, due.Sub(now))
		}
		if !due.Equal(s.At(i)) {
			t.Errorf("request %d: due %v, want %v", i, due, s.At(i))
		}
		got = append(got, i)
		return true
	})
	if n != s.Total() || int64(len(got)) != s.Total() {
		t.Fatalf("issued %d (%d calls), want %d", n, len(got), s.Total())
	}
	for k, i := range got {
		if int64(k) != i {
			t.Fatalf("call %d issued request %d", k, i)
		}
	}
}

func TestDispatchStops(t *testing.T) {
	// issue refusing stops at once.
	s := Schedule{Start: time.Now(), Rate: 1000, Duration: time.Hour}
	calls := 0
	n := dispatch(context.Background(), s, func(context.Context, int64, time.Time) bool { calls++; return calls < 3 })
	if n != 2 || calls != 3 {
		t.Errorf("refusal: issued %d after %d calls", n, calls)
	}
	// A cancelled context stops the wait for the next due time.
	ctx, cancel := context.WithCancel(context.Background())
	s = Schedule{Start: time.Now(), Rate: 0.001, Duration: time.Hour} // request 1 due in 1000 s
	done := make(chan int64)
	go func() {
		done <- dispatch(ctx, s, func(context.Context, int64, time.Time) bool { cancel(); return true })
	}()
	select {
	case n := <-done:
		if n != 1 {
			t.Errorf("cancelled: issued %d, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dispatch did not stop on cancel")
	}
}
