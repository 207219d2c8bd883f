package cli

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		name string
		live uint64
		want int
	}{
		{"unknown heap keeps the default", 0, 100},
		{"tiny heap is capped", 1 << 20, maxServeGCPercent},
		{"heap of a typical spec", 16 << 20, 200},
		{"heap as large as the headroom", serveGCHeadroom, 100},
		{"large spec keeps the default", 512 << 20, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gcPercentFor(tt.live); got != tt.want {
				t.Errorf("gcPercentFor(%d) = %d, want %d", tt.live, got, tt.want)
			}
		})
	}
}

func TestTuneServeGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	t.Run("GOGC set: left alone", func(t *testing.T) {
		restore := tuneServeGC(func(k string) (string, bool) { return "50", k == "GOGC" })
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("GC percent = %d with GOGC set, want it untouched (100)", got)
		}
		restore()
	})
	t.Run("restore puts the previous percent back", func(t *testing.T) {
		want := gcPercentFor(liveHeap())
		restore := tuneServeGC(func(string) (string, bool) { return "", false })
		got := debug.SetGCPercent(100)
		debug.SetGCPercent(got)
		if got < 100 || got > maxServeGCPercent || (want > 100 && got == 100) {
			t.Errorf("GC percent while serving = %d (for a %d-byte heap, about %d expected)", got, liveHeap(), want)
		}
		restore()
		if after := debug.SetGCPercent(100); after != 100 {
			t.Errorf("GC percent after restore = %d, want 100", after)
		}
	})
}
