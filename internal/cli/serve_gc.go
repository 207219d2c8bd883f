package cli

import (
	"runtime/debug"
	"runtime/metrics"
)

// Garbage-collector headroom for `mockloop serve` and `mockloop test run`.
//
// Go collects when the heap has grown by GOGC percent (100) of what survived the last
// collection, and each collection marks that whole live heap. The collector's CPU per request
// is then about (bytes a request allocates) x (mark cost per live byte) x 100/GOGC: at a fixed
// percent it does not depend on the size of the live heap, and it falls as the percent rises.
// A mock server keeps the loaded document, the prepared operations and the request ring buffer
// alive while every request allocates a few KB inside net/http, so at GOGC=100 the collector
// took about 4% of the CPU at 80k requests/s on petstore, against 1.5% for a bare net/http
// server whose live heap is near zero; on GitHub's document (60 MB live) 100 against 400 cost
// 0.9 us per request (6%).
//
// So serve gives the collector maxGCPercent (4x the live heap of room) while that is at most
// serveGCHeadroom bytes, and serveGCHeadroom of room beyond: every document up to 32 MB of live
// heap pays the same collector cost per request, GitHub's about half of what 100 cost, and the
// memory a large document may take while serving stays its live heap plus 128 MB. (The
// headroom was 32 MB, which dropped every document above 8 MB live heap towards 100: the
// 3,000-operation document of bench/scale.sh paid 10% more CPU per request than the
// 10-operation one on the same paths; 1% now.)
//
// test run is a short run that loads the whole document (the heap grows from nothing to it:
// at 100 the collector marked GitHub's heap at 1, 14, 27, 51 and 78 MB on the way) and then
// allocates a few hundred KB per case for the answers, their validation and comparison. It
// runs at maxGCPercent from its start, and once the document is loaded with runGCHeadroom of
// room (capped as for serve): on GitHub's document (bench/load.sh's runner part) about a
// quarter less CPU (0.38 s against 0.49 s), for a peak RSS of about 240 MB instead of 190 MB.
//
// An explicit GOGC in the environment is left alone (and GOMEMLIMIT works as usual).
const (
	serveGCHeadroom = 128 << 20
	runGCHeadroom   = 256 << 20
	maxGCPercent    = 400
)

// gcPercentFor is the GC percent that gives a heap of live bytes headroom bytes of room,
// between 100 (Go's default) and maxGCPercent.
func gcPercentFor(live, headroom uint64) int {
	if live == 0 {
		return 100
	}
	pct := headroom * 100 / live
	return int(min(max(pct, 100), maxGCPercent))
}

// setGCPercent sets the GC percent and returns the function that restores the previous one;
// it does nothing when GOGC is set in the environment.
func setGCPercent(lookupEnv func(string) (string, bool), pct int) (restore func()) {
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(pct)
	return func() { debug.SetGCPercent(old) }
}

// tuneServeGC sets the GC percent for serving the heap as it is now (call it once the document
// is loaded and prepared) and returns the function that restores the previous setting. It does
// nothing when GOGC is set in the environment.
func tuneServeGC(lookupEnv func(string) (string, bool)) (restore func()) {
	return setGCPercent(lookupEnv, gcPercentFor(liveHeap(), serveGCHeadroom))
}

// tuneRunGC sets test run's GC percent: maxGCPercent while the document loads; after (call the
// returned loaded function once it is), runGCHeadroom of room for the heap as it is then. The
// returned restore puts back the percent from before.
func tuneRunGC(lookupEnv func(string) (string, bool)) (loaded, restore func()) {
	restore = setGCPercent(lookupEnv, maxGCPercent)
	loaded = func() {
		if _, set := lookupEnv("GOGC"); set {
			return
		}
		// The load ran at maxGCPercent, so the last collection may be long before the document
		// was complete: size the room by every heap object now, garbage included (an
		// overestimate, which only makes the percent smaller).
		debug.SetGCPercent(gcPercentFor(max(liveHeap(), heapObjects()), runGCHeadroom))
	}
	return loaded, restore
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

// heapObjects is the memory of every heap object now, live or garbage not yet collected.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}
