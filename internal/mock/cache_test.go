package mock

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func TestVerdictCache(t *testing.T) {
	var c verdictCache
	if _, ok := c.get([]byte("/a?")); ok {
		t.Fatal("empty cache hit")
	}
	c.put([]byte("/first"), verdict{status: 422})
	if c.table.Load() != nil {
		t.Error("one key allocated the table; it belongs in an inline slot")
	}
	for i := range 1000 {
		c.put([]byte("/a?x="+strconv.Itoa(i)), verdict{status: 400 + i%2})
	}
	hits := 0
	for i := range 1000 {
		v, ok := c.get([]byte("/a?x=" + strconv.Itoa(i)))
		if !ok {
			continue
		}
		hits++
		if v.status != 400+i%2 {
			t.Fatalf("key %d: status %d, want %d (an entry answered for another key)", i, v.status, 400+i%2)
		}
	}
	if hits == 0 || hits > inlineSlots+cacheSlots {
		t.Errorf("%d of 1000 keys cached, want 1..%d", hits, inlineSlots+cacheSlots)
	}
	if v, ok := c.get([]byte("/first")); !ok || v.status != 422 {
		t.Errorf("the first key, in its inline slot, was evicted: %v %v", v, ok)
	}
}

// held is the total size of the bodies a cache holds.
func held(c *bodyCache) int64 {
	var n int64
	for i := range c.inline {
		if e := c.inline[i].Load(); e != nil {
			n += int64(len(e.body))
		}
	}
	if t := c.table.Load(); t != nil {
		for i := range t {
			if e := t[i].Load(); e != nil {
				n += int64(len(e.body))
			}
		}
	}
	return n
}

// TestBodyCacheBytes checks that the shared byte count follows what is stored and replaced, and
// that nothing is stored past the limit.
func TestBodyCacheBytes(t *testing.T) {
	var c bodyCache
	var total atomic.Int64
	for seed := range uint64(2000) {
		c.put(seed, make([]byte, seed%7), &total, 1<<20)
		if b, ok := c.get(seed); !ok || len(b) != int(seed%7) {
			t.Fatalf("seed %d: not found right after put", seed)
		}
		if got, want := total.Load(), held(&c); got != want {
			t.Fatalf("after seed %d: total = %d, the cache holds %d", seed, got, want)
		}
	}
	c.put(3, make([]byte, 100), &total, 1<<20) // the same seed again replaces its entry
	if got, want := total.Load(), held(&c); got != want {
		t.Errorf("after a replacement: total = %d, the cache holds %d", got, want)
	}
	var small bodyCache
	var used atomic.Int64
	small.put(1, make([]byte, 10), &used, 5)
	if _, ok := small.get(1); ok || used.Load() != 0 {
		t.Errorf("a body over the limit was stored (used %d)", used.Load())
	}
}
