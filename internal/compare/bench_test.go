package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// largeDocs generates two JSON documents of about size bytes: objects holding arrays of 10k
// objects each; in live about 1% of the leaf values differ.
func largeDocs(size int) (mock, live []byte) {
	r := rand.New(rand.NewPCG(7, 11))
	var m, l strings.Builder
	leaf := func(mv, lv string) {
		m.WriteString(mv)
		if r.IntN(100) == 0 {
			if strings.HasPrefix(lv, `"`) {
				lv = `"` + "changed-" + lv[1:]
			} else {
				lv = lv + "1"
			}
		}
		l.WriteString(lv)
	}
	both := func(s string) { m.WriteString(s); l.WriteString(s) }
	both("{")
	for a := 0; m.Len() < size; a++ {
		if a > 0 {
			both(",")
		}
		both(fmt.Sprintf(`"array%d":[`, a))
		for i := range 10000 {
			if i > 0 {
				both(",")
			}
			both(`{"id":`)
			v := fmt.Sprint(a*10000 + i)
			leaf(v, v)
			both(`,"name":`)
			v = fmt.Sprintf(`"user-%d"`, r.IntN(1e6))
			leaf(v, v)
			both(`,"email":`)
			v = fmt.Sprintf(`"u%d@example.com"`, r.IntN(1e6))
			leaf(v, v)
			both(`,"price":`)
			v = fmt.Sprintf("%d.%02d", r.IntN(1000), r.IntN(100))
			leaf(v, v)
			both(`,"active":true,"tags":[`)
			for k := range 3 {
				if k > 0 {
					both(",")
				}
				v = fmt.Sprintf(`"tag%d"`, r.IntN(50))
				leaf(v, v)
			}
			both(`],"address":{"street":`)
			v = fmt.Sprintf(`"%d Main Street"`, r.IntN(9999))
			leaf(v, v)
			both(`,"city":"Springfield","zip":`)
			v = fmt.Sprintf(`"%05d"`, r.IntN(99999))
			leaf(v, v)
			both(`},"scores":[`)
			for k := range 4 {
				if k > 0 {
					both(",")
				}
				v = fmt.Sprintf("%d.5", r.IntN(100))
				leaf(v, v)
			}
			both(`],"created":"2024-01-01T00:00:00Z","note":"lorem ipsum dolor sit amet, consectetur adipiscing elit"}`)
		}
		both("]")
	}
	both("}")
	return []byte(m.String()), []byte(l.String())
}

// BenchmarkCompareLarge compares two ~20 MB documents (strict_arrays off) and, in the same
// iterations, decodes both with json.Unmarshal; the "ratio" metric is compare time divided by
// unmarshal time (the target is <= 1.5).
func BenchmarkCompareLarge(b *testing.B) {
	mock, live := largeDocs(20 << 20)
	c, err := Compile(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(mock) + len(live)))
	var tCompare, tUnmarshal time.Duration
	var diffs int
	for b.Loop() {
		start := time.Now()
		var x, y any
		if err := json.Unmarshal(mock, &x); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(live, &y); err != nil {
			b.Fatal(err)
		}
		tUnmarshal += time.Since(start)

		start = time.Now()
		res, err := c.CompareJSON(mock, live)
		if err != nil {
			b.Fatal(err)
		}
		tCompare += time.Since(start)
		diffs = len(res.Differences)
	}
	b.ReportMetric(float64(tCompare)/float64(tUnmarshal), "ratio")
	b.ReportMetric(float64(tUnmarshal.Milliseconds())/float64(b.N), "unmarshal-ms/op")
	b.ReportMetric(float64(tCompare.Milliseconds())/float64(b.N), "compare-ms/op")
	b.ReportMetric(float64(diffs), "differences")
}

// TestLargeDocsDifferences checks the benchmark's premise on a smaller document: in-order
// arrays with ~1% changed values give only "changed" differences, one per changed value.
func TestLargeDocsDifferences(t *testing.T) {
	mock, live := largeDocs(1 << 20)
	c, _ := Compile(Config{})
	res, err := c.CompareJSON(mock, live)
	if err != nil {
		t.Fatal(err)
	}
	counts := res.Counts()
	if counts[KindChanged] == 0 || counts[KindMissing] != 0 || counts[KindExtra] != 0 || counts[KindType] != 0 {
		t.Fatalf("counts = %v", counts)
	}
}

// BenchmarkNumbersEqual measures a tolerance comparison of two numbers: typical prices, the
// float64 range crossed, and literals of a million digits (linear, not quadratic, in length).
func BenchmarkNumbersEqual(b *testing.B) {
	long := "1" + strings.Repeat("3", 1_000_000)
	for _, bc := range []struct{ name, a, b string }{
		{"price", "104.99", "99.95"},
		{"huge-exponent", "1e999999999", "1.05e999999999"},
		{"million-digits", long, long[:len(long)-1] + "4"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a, c := []byte(bc.a), []byte(bc.b)
			for b.Loop() {
				if !numbersEqual(a, c, 0.1) {
					b.Fatal("want equal within 10%")
				}
			}
		})
	}
}

// BenchmarkCompareSameBody compares two answers with the same bytes (a mock that agrees with
// its live API, the common case of a test run): the bytes decide, the JSON is not parsed.
func BenchmarkCompareSameBody(b *testing.B) {
	body, _ := largeDocs(1 << 20)
	live := bytes.Clone(body)
	c, err := Compile(Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	b.SetBytes(int64(2 * len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Compare(Response{Status: 200, Header: h, Body: body}, Response{Status: 200, Header: h, Body: live}); !res.Equal() {
			b.Fatal(res.Differences)
		}
	}
}
