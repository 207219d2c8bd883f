// Package latency is mockloop's one latency histogram: fixed logarithmic buckets shared by the
// server's live metrics and the test runner's reports, so that percentiles of runs done apart
// (shards) merge exactly.
//
// Bucket layout: eight buckets per doubling of the latency in microseconds, linear inside a
// doubling, from 1 µs to 2^30 µs (about 18 minutes). Bucket b holds the latencies in
// (Upper(b-1), Upper(b)], where Upper(b) = (8 + b mod 8) × 2^(b div 8) / 8 µs, rounded down
// to a whole microsecond; bucket 0 holds everything up to 1 µs and the last bucket everything
// longer. Each bucket is at most 12.5% wide, so a percentile reported as the upper bound of its
// bucket is at most 12.5% above the exact value.
package latency

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// PerDoubling is the number of buckets in each doubling of the latency.
const PerDoubling = 8

// Buckets is the number of buckets.
const Buckets = 30*PerDoubling + 1

// Bucket is the bucket of latency d: the smallest b with Upper(b) >= d (the last bucket for
// anything longer than the layout reaches).
func Bucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us <= 1 {
		return 0
	}
	// us = 2^e * (1 + f/8 + rest): bucket 8e + f, plus one unless us is exactly the lower edge,
	// so that Upper(Bucket(d)) >= d.
	e := bits.Len64(us) - 1
	var f uint64
	var exact bool
	if e >= 3 {
		f = (us >> (e - 3)) & 7
		exact = us&(1<<(e-3)-1) == 0
	} else {
		f = (us << (3 - e)) & 7
		exact = true
	}
	b := PerDoubling*e + int(f)
	if !exact {
		b++
	}
	if b >= Buckets {
		return Buckets - 1
	}
	return b
}

// Upper is the upper bound of bucket b: (8 + b mod 8) × 2^(b div 8) / 8 µs.
func Upper(b int) time.Duration {
	e, f := b/PerDoubling, uint64(b%PerDoubling)
	return time.Duration((8+f)<<e/8) * time.Microsecond
}

// Histogram counts latencies in the fixed buckets, lock-free: safe for concurrent use, and
// its memory never grows however many latencies it sees.
type Histogram struct {
	counts [Buckets]atomic.Int64
}

// Observe counts one latency.
func (h *Histogram) Observe(d time.Duration) { h.counts[Bucket(d)].Add(1) }

// Quantiles returns how many latencies were observed and the latency at each q (0 < q <= 1),
// in order, from one reading of the buckets: the upper bound of the bucket that holds the
// q-th latency (nearest rank).
func (h *Histogram) Quantiles(qs ...float64) (total int64, out []time.Duration) {
	c := h.Counts()
	out = make([]time.Duration, len(qs))
	for i, q := range qs {
		out[i] = c.Quantile(q)
	}
	return c.Total(), out
}

// Counts is a snapshot of the buckets in the sparse form.
func (h *Histogram) Counts() Counts {
	c := Counts{}
	for b := range h.counts {
		if n := h.counts[b].Load(); n > 0 {
			c[b] = n
		}
	}
	return c
}

// Counts is a histogram in the sparse form reports carry: the number of latencies in each
// non-empty bucket, by bucket index. In JSON it is a list of [bucket, count] pairs in bucket
// order: [[80, 3], [98, 1]].
type Counts map[int]int64

// Add counts one latency.
func (c Counts) Add(d time.Duration) { c[Bucket(d)]++ }

// Merge adds the counts of o to c: the histogram of both sets of latencies, exactly.
func (c Counts) Merge(o Counts) {
	for b, n := range o {
		c[b] += n
	}
}

// Total is the number of latencies counted.
func (c Counts) Total() int64 {
	var t int64
	for _, n := range c {
		t += n
	}
	return t
}

// Quantile is the latency at q (0 < q <= 1): the upper bound of the bucket holding the
// latency of nearest rank ceil(q × total); 0 when c is empty.
func (c Counts) Quantile(q float64) time.Duration {
	total := c.Total()
	if total == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(total))), 1)
	var seen int64
	for _, b := range c.buckets() {
		seen += c[b]
		if seen >= rank {
			return Upper(b)
		}
	}
	return Upper(Buckets - 1)
}

func (c Counts) buckets() []int {
	bs := make([]int, 0, len(c))
	for b, n := range c {
		if n > 0 {
			bs = append(bs, b)
		}
	}
	slices.Sort(bs)
	return bs
}

// MarshalJSON writes [[bucket, count], ...] in bucket order, [] when empty.
func (c Counts) MarshalJSON() ([]byte, error) {
	pairs := make([][2]int64, 0, len(c))
	for _, b := range c.buckets() {
		pairs = append(pairs, [2]int64{int64(b), c[b]})
	}
	return json.Marshal(pairs)
}

// UnmarshalJSON reads the pairs MarshalJSON writes; a bucket outside the layout, a count
// below 1 or a bucket given twice is an error.
func (c *Counts) UnmarshalJSON(data []byte) error {
	var pairs [][2]int64
	if err := json.Unmarshal(data, &pairs); err != nil {
		return errors.New("histogram: want a list of [bucket, count] pairs")
	}
	out := make(Counts, len(pairs))
	for _, p := range pairs {
		switch {
		case p[0] < 0 || p[0] >= Buckets:
			return fmt.Errorf("histogram: bucket %d outside 0..%d", p[0], Buckets-1)
		case p[1] < 1:
			return fmt.Errorf("histogram: bucket %d: count %d is not positive", p[0], p[1])
		}
		if _, dup := out[int(p[0])]; dup {
			return fmt.Errorf("histogram: bucket %d given twice", p[0])
		}
		out[int(p[0])] = p[1]
	}
	*c = out
	return nil
}
