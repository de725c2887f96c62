package loadgen

import (
	"math/bits"
	"time"
)

// subBucketBits sets the resolution of Histogram: every power-of-two range
// is cut into 2^subBucketBits buckets, so a recorded value is reported with
// a relative error below 1/2^subBucketBits (0.8 %).
const subBucketBits = 7

const (
	subBuckets = 1 << subBucketBits
	// numBuckets covers every non-negative int64.
	numBuckets = (64-subBucketBits-1)*subBuckets + 2*subBuckets
)

// Histogram records durations in a fixed log-linear bucket array (the HDR
// histogram layout): constant memory (about 60 KB) whatever the number of
// samples, exact below 128 ns, within 0.8 % above. The zero value is ready;
// it is not safe for concurrent use.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	max    time.Duration
	min    time.Duration
	sum    float64
}

// bucketOf returns the bucket index of v ≥ 0.
func bucketOf(v uint64) int {
	n := bits.Len64(v)
	if n <= subBucketBits+1 {
		return int(v)
	}
	shift := n - subBucketBits - 1
	return shift*subBuckets + int(v>>shift)
}

// bucketHigh returns the largest value that falls into bucket i.
func bucketHigh(i int) uint64 {
	if i < 2*subBuckets {
		return uint64(i)
	}
	shift := i/subBuckets - 1
	mant := uint64(i%subBuckets + subBuckets)
	return (mant+1)<<shift - 1
}

// Record adds one sample; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += float64(d)
}

// Merge adds every sample of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample (exact), 0 without samples.
func (h *Histogram) Max() time.Duration { return h.max }

// Min is the smallest sample (exact), 0 without samples.
func (h *Histogram) Min() time.Duration { return h.min }

// Mean is the average sample, 0 without samples.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the smallest recorded value v (to the bucket's upper
// bound, never above Max) such that at least q of the samples are ≤ v;
// q is clamped to [0, 1]. 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++ // ceil
	}
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketHigh(i)), h.max)
		}
	}
	return h.max
}

// Summary returns the usual percentiles of h.
func (h *Histogram) Summary() LatencySummary {
	return LatencySummary{
		Count: h.n,
		P50:   ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)),
		Max: ms(h.max), Mean: ms(h.Mean()),
	}
}

// LatencySummary is a latency distribution in milliseconds.
type LatencySummary struct {
	// Count is the number of samples.
	Count uint64 `json:"count"`
	// P50, P90, P99 and P999 are percentiles (within 0.8 %).
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	// Max is the largest sample (exact); Mean the average.
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// ms converts d to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
