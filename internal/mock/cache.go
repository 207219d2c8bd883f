package mock

import (
	"hash/maphash"
	"sync/atomic"
)

// The request-path caches (validation verdicts per operation, generated bodies per media
// type) are read on every request from every core, so they take no lock: each is a
// direct-mapped table of cacheSlots atomic pointers to immutable entries, allocated on first
// use. A key has one slot, chosen by its hash; storing replaces whatever the slot held, so a
// table never holds more than cacheSlots entries, and a reader sees either the old entry or
// the new one, whole. Two keys that share a slot evict each other: both are still answered
// correctly, one of them is just computed again.
const cacheSlots = 256

// cacheSeed seeds the verdict keys' hash, per process, so clients cannot aim for collisions.
var cacheSeed = maphash.MakeSeed()

// verdictCache maps a request's verdict key (see appendVerdictKey) to its validation result.
type verdictCache struct {
	table atomic.Pointer[[cacheSlots]atomic.Pointer[verdictEntry]]
}

type verdictEntry struct {
	key string
	v   verdict
}

// get looks key up; key is not retained, so it can live in a stack buffer.
func (c *verdictCache) get(key []byte) (verdict, bool) {
	t := c.table.Load()
	if t == nil {
		return verdict{}, false
	}
	if e := t[maphash.Bytes(cacheSeed, key)%cacheSlots].Load(); e != nil && e.key == string(key) {
		return e.v, true
	}
	return verdict{}, false
}

func (c *verdictCache) put(key []byte, v verdict) {
	t := loadTable(&c.table)
	t[maphash.Bytes(cacheSeed, key)%cacheSlots].Store(&verdictEntry{key: string(key), v: v})
}

// bodyCache maps a request seed (see seedFrom) to the body generated for it.
type bodyCache struct {
	table atomic.Pointer[[cacheSlots]atomic.Pointer[bodyEntry]]
}

type bodyEntry struct {
	seed uint64
	body []byte
}

// slotOf spreads the seed's bits over the table (the seed is a hash, but its low bits alone
// are not guaranteed to be well mixed).
func slotOf(seed uint64) uint64 { return (seed * 0x9e3779b97f4a7c15) >> 56 }

func (c *bodyCache) get(seed uint64) ([]byte, bool) {
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
	t := loadTable(&c.table)
	old := t[slotOf(seed)].Swap(&bodyEntry{seed: seed, body: body})
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
