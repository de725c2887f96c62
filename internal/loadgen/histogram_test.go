package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBoundaries(t *testing.T) {
	// Every value lies within its bucket, and buckets are contiguous and
	// increasing.
	vals := []uint64{0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<20 + 12345, 1<<62 + 99, 1<<63 - 1}
	for _, v := range vals {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		hi := bucketHigh(i)
		lo := uint64(0)
		if i > 0 {
			lo = bucketHigh(i-1) + 1
		}
		if v < lo || v > hi {
			t.Errorf("v=%d: bucket %d holds [%d,%d]", v, i, lo, hi)
		}
		if v >= 256 && float64(hi-lo+1)/float64(lo) > 1.0/subBuckets+1e-12 {
			t.Errorf("v=%d: bucket width %d too wide for %d", v, hi-lo+1, lo)
		}
	}
	for i := 1; i < numBuckets; i++ {
		if bucketHigh(i) <= bucketHigh(i-1) {
			t.Fatalf("bucket %d high %d not above bucket %d high %d", i, bucketHigh(i), i-1, bucketHigh(i-1))
		}
		if bucketOf(bucketHigh(i)) != i || bucketOf(bucketHigh(i-1)+1) != i {
			t.Fatalf("bucket %d bounds do not map back", i)
		}
	}
}

func TestHistogramQuantilesMatchSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]time.Duration, 100_000)
	for i := range samples {
		// log-uniform from 10 µs to 10 s
		d := time.Duration(float64(10*time.Microsecond) * math.Pow(10, 6*r.Float64()))
		samples[i] = d
		h.Record(d)
	}
	slices.Sort(samples)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		idx := int(q*float64(len(samples))+0.999999) - 1
		want := samples[idx]
		got := h.Quantile(q)
		if got < want || float64(got-want) > float64(want)/subBuckets {
			t.Errorf("q=%v: got %v, exact %v (error above 0.8%%)", q, got, want)
		}
	}
	if h.Max() != samples[len(samples)-1] || h.Min() != samples[0] {
		t.Errorf("max/min = %v/%v, want %v/%v", h.Max(), h.Min(), samples[len(samples)-1], samples[0])
	}
	if h.Count() != uint64(len(samples)) {
		t.Errorf("count %d", h.Count())
	}
}

func TestHistogramSmallAndEdgeCases(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram must answer 0")
	}
	for _, d := range []time.Duration{5, 1, 3, 2, 4} {
		h.Record(d)
	}
	h.Record(-7) // clamps to 0
	if got := h.Quantile(0.5); got != 2 {
		t.Errorf("p50 of {0..5} = %v, want 2", got)
	}
	if got := h.Quantile(1); got != 5 {
		t.Errorf("p100 = %v, want 5", got)
	}
	if got := h.Quantile(0); got != 0 {
		t.Errorf("p0 = %v, want 0", got)
	}
	var o Histogram
	o.Record(time.Second)
	h.Merge(&o)
	if h.Count() != 7 || h.Max() != time.Second || h.Quantile(1) != time.Second {
		t.Errorf("after merge: count %d max %v p100 %v", h.Count(), h.Max(), h.Quantile(1))
	}
	s := h.Summary()
	if s.Count != 7 || s.Max != 1000 {
		t.Errorf("summary %+v", s)
	}
}
