package latency

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 100; i++ {
		h.Observe(time.Duration(i) * time.Millisecond)
	}
	n, q := h.Quantiles(0.5, 0.95, 0.99)
	if n != 100 {
		t.Errorf("Quantiles total = %d, want 100", n)
	}
	want := []time.Duration{50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond}
	for i := range q {
		// A bucket is at most 12.5% wide; the reported value is its upper bound.
		if q[i] < want[i] || float64(q[i]) > float64(want[i])*1.125 {
			t.Errorf("quantile %d = %v, want within [%v, +12.5%%]", i, q[i], want[i])
		}
	}
	var empty Histogram
	if _, got := empty.Quantiles(0.5); got[0] != 0 {
		t.Errorf("empty histogram p50 = %v, want 0", got[0])
	}
	if b := Bucket(time.Hour); b != Buckets-1 {
		t.Errorf("Bucket(1h) = %d, want the last bucket %d", b, Buckets-1)
	}
	for us := 1; us < 5000; us++ {
		d := time.Duration(us) * time.Microsecond
		b := Bucket(d)
		if up := Upper(b); up < d || (b > 0 && Upper(b-1) >= d) {
			t.Fatalf("%v in bucket %d (%v, %v]", d, b, Upper(b-1), up)
		}
	}
}

func TestCounts(t *testing.T) {
	var h Histogram
	c := Counts{}
	for _, ms := range []int{1, 2, 2, 5, 40} {
		d := time.Duration(ms) * time.Millisecond
		h.Observe(d)
		c.Add(d)
	}
	if got := h.Counts(); len(got) != len(c) || got.Total() != 5 {
		t.Fatalf("histogram counts %v, want %v", got, c)
	}
	a, b := Counts{}, Counts{}
	a.Add(time.Millisecond)
	a.Add(2 * time.Millisecond)
	b.Add(2 * time.Millisecond)
	b.Add(5 * time.Millisecond)
	b.Add(40 * time.Millisecond)
	a.Merge(b)
	for _, q := range []float64{0.01, 0.5, 0.9, 1} {
		if a.Quantile(q) != c.Quantile(q) {
			t.Errorf("merged p%v = %v, all at once %v", q*100, a.Quantile(q), c.Quantile(q))
		}
	}
	if (Counts{}).Quantile(0.5) != 0 {
		t.Errorf("empty quantile is not 0")
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "[[80,1],[88,2],[98,1],[122,1]]" {
		t.Errorf("json = %s", out)
	}
	var back Counts
	if err := json.Unmarshal(out, &back); err != nil || back.Total() != 5 || back[88] != 2 {
		t.Errorf("round trip %v %v", back, err)
	}
	if out, _ := json.Marshal(Counts{}); string(out) != "[]" {
		t.Errorf("empty json = %s", out)
	}
	for _, bad := range []string{`{"1":2}`, `[[241,1]]`, `[[-1,1]]`, `[[3,0]]`, `[[3,1],[3,2]]`, `[[1]]`} {
		var c Counts
		err := json.Unmarshal([]byte(bad), &c)
		if err == nil || !strings.HasPrefix(err.Error(), "histogram") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

// FuzzCounts: any JSON either reads as a histogram or is an error naming it; what reads writes
// back to the same histogram.
func FuzzCounts(f *testing.F) {
	for _, s := range []string{"[]", "[[80,1],[88,2]]", `[[1]]`, `[[240,9223372036854775807]]`, `null`, `[[0,1],[0,1]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Counts
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		_ = c.Quantile(0.99)
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Counts
		if err := json.Unmarshal(out, &back); err != nil || len(back) != len(c) {
			t.Fatalf("%s -> %s -> %v (%v)", data, out, back, err)
		}
	})
}
