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
	if hits == 0 || hits > cacheSlots {
		t.Errorf("%d of 1000 keys cached, want 1..%d", hits, cacheSlots)
	}
}

// TestBodyCacheBytes checks that the shared byte count follows what is stored and replaced, and
// that nothing is stored past the limit.
func TestBodyCacheBytes(t *testing.T) {
	var c bodyCache
	var total atomic.Int64
	var want int64
	held := map[uint64]int64{} // slot -> size of the body it holds
	for seed := range uint64(2000) {
		c.put(seed, make([]byte, seed%7), &total, 1<<20)
		want += int64(seed%7) - held[slotOf(seed)]
		held[slotOf(seed)] = int64(seed % 7)
		if b, ok := c.get(seed); !ok || len(b) != int(seed%7) {
			t.Fatalf("seed %d: not found right after put", seed)
		}
	}
	if total.Load() != want {
		t.Errorf("total = %d, want %d", total.Load(), want)
	}
	var small bodyCache
	var used atomic.Int64
	small.put(1, make([]byte, 10), &used, 5)
	if _, ok := small.get(1); ok || used.Load() != 0 {
		t.Errorf("a body over the limit was stored (used %d)", used.Load())
	}
}
