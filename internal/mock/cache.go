package mock

import (
	"hash/maphash"
	"sync/atomic"
)

// The request-path caches (validation verdicts per operation, generated bodies per media
// type) are read on every request from every core, so they take no lock: each is a few slots
// held inline in the operation or media type, then, once those are taken, a direct-mapped table
// of cacheSlots slots allocated on first overflow. Slots are atomic pointers to immutable
// entries. A key has one inline slot and one table slot, chosen by its hash: it is stored in its
// inline slot when that is free (or holds the same key), else in its table slot, replacing what
// that held; a reader sees either the old entry or the new one, whole. Two keys that share a
// table slot evict each other: both are still answered correctly, one of them is just computed
// again. A cache never holds more than inlineSlots+cacheSlots entries.
//
// The inline slots are what most operations ever use (a client sends a handful of distinct
// requests to each): they cost no table (2 KB each, which a warm server on a document of
// thousands of operations held for each of them), and a hit reads the entry straight from the
// operation, without loading a table first, which shows when requests spread over thousands of
// operations whose state is out of the CPU's caches.
const (
	inlineSlots = 4
	cacheSlots  = 256
)

// cacheSeed seeds the verdict keys' hash, per process, so clients cannot aim for collisions.
var cacheSeed = maphash.MakeSeed()

// verdictCache maps a request's verdict key (see appendVerdictKey) to its validation result.
type verdictCache struct {
	inline [inlineSlots]atomic.Pointer[verdictEntry]
	table  atomic.Pointer[[cacheSlots]atomic.Pointer[verdictEntry]]
}

type verdictEntry struct {
	key string
	v   verdict
}

// verdictSlots are the inline and table slots of a key's hash.
func verdictSlots(h uint64) (inline, table uint64) {
	return h % inlineSlots, (h >> 8) % cacheSlots
}

// get looks key up; key is not retained, so it can live in a stack buffer.
func (c *verdictCache) get(key []byte) (verdict, bool) {
	in, ti := verdictSlots(maphash.Bytes(cacheSeed, key))
	if e := c.inline[in].Load(); e != nil && e.key == string(key) {
		return e.v, true
	}
	t := c.table.Load()
	if t == nil {
		return verdict{}, false
	}
	if e := t[ti].Load(); e != nil && e.key == string(key) {
		return e.v, true
	}
	return verdict{}, false
}

func (c *verdictCache) put(key []byte, v verdict) {
	in, ti := verdictSlots(maphash.Bytes(cacheSeed, key))
	e := &verdictEntry{key: string(key), v: v}
	if old := c.inline[in].Load(); old == nil || old.key == e.key {
		if c.inline[in].CompareAndSwap(old, e) {
			return
		}
	}
	t := loadTable(&c.table)
	t[ti].Store(e)
}

// bodyCache maps a request seed (see seedFrom) to the body generated for it.
type bodyCache struct {
	inline [inlineSlots]atomic.Pointer[bodyEntry]
	table  atomic.Pointer[[cacheSlots]atomic.Pointer[bodyEntry]]
}

type bodyEntry struct {
	seed uint64
	body []byte
}

// slotOf spreads the seed's bits over the table (the seed is a hash, but its low bits alone
// are not guaranteed to be well mixed).
func slotOf(seed uint64) uint64 { return (seed * 0x9e3779b97f4a7c15) >> 56 }

// inlineOf is the seed's inline slot, from other bits than slotOf's.
func inlineOf(seed uint64) uint64 { return ((seed * 0x9e3779b97f4a7c15) >> 40) % inlineSlots }

func (c *bodyCache) get(seed uint64) ([]byte, bool) {
	if e := c.inline[inlineOf(seed)].Load(); e != nil && e.seed == seed {
		return e.body, true
	}
	t := c.table.Load()
	if t == nil {
		return nil, false
	}
	if e := t[slotOf(seed)].Load(); e != nil && e.seed == seed {
		return e.body, true
	}
	return nil, false
}

// put stores body unless total, the size of all of an engine's cached bodies, would exceed
// limit; total is kept up to date with what the store adds and replaces.
func (c *bodyCache) put(seed uint64, body []byte, total *atomic.Int64, limit int64) {
	if total.Load()+int64(len(body)) > limit {
		return
	}
	e := &bodyEntry{seed: seed, body: body}
	var old *bodyEntry
	slot := &c.inline[inlineOf(seed)]
	if cur := slot.Load(); (cur == nil || cur.seed == seed) && slot.CompareAndSwap(cur, e) {
		old = cur
	} else {
		old = loadTable(&c.table)[slotOf(seed)].Swap(e)
	}
	delta := int64(len(body))
	if old != nil {
		delta -= int64(len(old.body))
	}
	total.Add(delta)
}

// loadTable returns the table, allocating it if this is the first store (when two race, one
// table wins and the other is dropped).
func loadTable[E any](p *atomic.Pointer[[cacheSlots]atomic.Pointer[E]]) *[cacheSlots]atomic.Pointer[E] {
	if t := p.Load(); t != nil {
		return t
	}
	t := new([cacheSlots]atomic.Pointer[E])
	if p.CompareAndSwap(nil, t) {
		return t
	}
	return p.Load()
}
