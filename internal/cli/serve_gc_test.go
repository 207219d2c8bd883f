package cli

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		name     string
		live     uint64
		headroom uint64
		want     int
	}{
		{"unknown heap keeps the default", 0, serveGCHeadroom, 100},
		{"tiny heap is capped", 1 << 20, serveGCHeadroom, maxGCPercent},
		{"heap of a quarter of the headroom is still capped", serveGCHeadroom / 4, serveGCHeadroom, maxGCPercent},
		{"GitHub's heap gets the headroom", 64 << 20, serveGCHeadroom, 200},
		{"heap as large as the headroom", serveGCHeadroom, serveGCHeadroom, 100},
		{"large spec keeps the default", 512 << 20, serveGCHeadroom, 100},
		{"a run's larger headroom", 128 << 20, runGCHeadroom, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gcPercentFor(tt.live, tt.headroom); got != tt.want {
				t.Errorf("gcPercentFor(%d, %d) = %d, want %d", tt.live, tt.headroom, got, tt.want)
			}
		})
	}
}

// gcPercent reads the GC percent without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestTuneServeGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	t.Run("GOGC set: left alone", func(t *testing.T) {
		restore := tuneServeGC(func(k string) (string, bool) { return "50", k == "GOGC" })
		if got := gcPercent(); got != 100 {
			t.Errorf("GC percent = %d with GOGC set, want it untouched (100)", got)
		}
		restore()
	})
	t.Run("restore puts the previous percent back", func(t *testing.T) {
		want := gcPercentFor(liveHeap(), serveGCHeadroom)
		restore := tuneServeGC(func(string) (string, bool) { return "", false })
		if got := gcPercent(); got < 100 || got > maxGCPercent || (want > 100 && got == 100) {
			t.Errorf("GC percent while serving = %d (for a %d-byte heap, about %d expected)", got, liveHeap(), want)
		}
		restore()
		if after := gcPercent(); after != 100 {
			t.Errorf("GC percent after restore = %d, want 100", after)
		}
	})
}

func TestTuneRunGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	noEnv := func(string) (string, bool) { return "", false }

	t.Run("GOGC set: left alone", func(t *testing.T) {
		loaded, restore := tuneRunGC(func(k string) (string, bool) { return "50", k == "GOGC" })
		if got := gcPercent(); got != 100 {
			t.Errorf("GC percent while loading = %d with GOGC set, want it untouched (100)", got)
		}
		loaded()
		if got := gcPercent(); got != 100 {
			t.Errorf("GC percent after loading = %d with GOGC set, want it untouched (100)", got)
		}
		restore()
	})
	t.Run("the most room while loading, the headroom after, the default back", func(t *testing.T) {
		loaded, restore := tuneRunGC(noEnv)
		if got := gcPercent(); got != maxGCPercent {
			t.Errorf("GC percent while loading = %d, want %d", got, maxGCPercent)
		}
		loaded()
		// A test binary's heap is far below the headroom: the percent stays at the cap.
		if got, want := gcPercent(), gcPercentFor(max(liveHeap(), heapObjects()), runGCHeadroom); got != want {
			t.Errorf("GC percent after loading = %d, want %d", got, want)
		}
		restore()
		if got := gcPercent(); got != 100 {
			t.Errorf("GC percent after restore = %d, want 100", got)
		}
	})
}
