package cli

import (
	"runtime/debug"
	"runtime/metrics"
)

// Garbage-collector headroom for `mockloop serve`.
//
// Go collects when the heap has grown by GOGC percent (100) of what survived the last
// collection, with a 4 MB floor sized for programs that keep almost nothing. A mock server keeps
// the loaded document, the prepared operations and the request ring buffer alive (a few MB for
// a typical spec) while every request allocates a few KB inside net/http, so at GOGC=100 it
// collects every few MB served and marks that whole live heap each time: about 4% of the CPU at
// 80k requests/s on petstore, against 1.5% for a bare net/http server whose live heap is near
// zero. Giving the collector room for serveGCHeadroom bytes between collections removes most of
// that cost for the price of that much memory. The percent is capped by maxServeGCPercent, so a
// heap that grows after the measurement (caches filling) costs at most that multiple; documents
// whose live heap is already larger than the headroom (GitHub's) keep the default. An explicit
// GOGC in the environment is left alone.
const (
	serveGCHeadroom   = 32 << 20
	maxServeGCPercent = 400
)

// gcPercentFor is the GC percent that gives a live heap of live bytes serveGCHeadroom of room,
// between 100 (Go's default) and maxServeGCPercent.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return 100
	}
	pct := uint64(serveGCHeadroom) * 100 / live
	return int(min(max(pct, 100), maxServeGCPercent))
}

// tuneServeGC sets the GC percent for serving the heap as it is now (call it once the document
// is loaded and prepared) and returns the function that restores the previous setting. It does
// nothing when GOGC is set in the environment.
func tuneServeGC(lookupEnv func(string) (string, bool)) (restore func()) {
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	pct := gcPercentFor(liveHeap())
	if pct == 100 {
		return func() {}
	}
	old := debug.SetGCPercent(pct)
	return func() { debug.SetGCPercent(old) }
}

// liveHeap is the heap that survived the last collection, or, before the first one, all heap
// objects (an overestimate, which only makes the percent smaller).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 && v.Value.Uint64() > 0 {
			return v.Value.Uint64()
		}
	}
	return 0
}
