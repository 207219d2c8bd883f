package server

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// countingObserver counts the exchanges it sees; with sample set it is a LiveSampler that
// wants every other one.
type countingObserver struct {
	sample       bool
	asked, saw   atomic.Int64
	lastBodySize int
}

func (o *countingObserver) ObserveLive(x *Exchange) { o.saw.Add(1); o.lastBodySize = len(x.Body) }

type samplingObserver struct{ *countingObserver }

func (o samplingObserver) WantsLive(r *http.Request, m spec.Match) bool {
	return o.asked.Add(1)%2 == 1
}

func TestLiveSamplers(t *testing.T) {
	plain := &countingObserver{}
	sampler := samplingObserver{&countingObserver{}}
	s := newTestServer(t, Config{Mode: plugin.ModeProxy, Live: &fakeLive{}, LiveObservers: []LiveObserver{sampler, plain}})
	for range 4 {
		if w := do(s, "GET", "/pets", nil, ""); w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
	}
	if sampler.asked.Load() != 4 || sampler.saw.Load() != 2 {
		t.Errorf("sampler asked %d, saw %d; want 4 and 2 (only what it wanted)", sampler.asked.Load(), sampler.saw.Load())
	}
	if plain.saw.Load() != 4 || plain.lastBodySize == 0 {
		t.Errorf("a plain observer saw %d exchanges (body %d bytes), want all 4", plain.saw.Load(), plain.lastBodySize)
	}

	// Only samplers, none wanting: nothing is captured or observed.
	none := samplingObserver{&countingObserver{}}
	none.asked.Store(1) // it wants odd calls: the next is the 2nd
	s2 := newTestServer(t, Config{Mode: plugin.ModeProxy, Live: &fakeLive{}, LiveObservers: []LiveObserver{none}})
	if w := do(s2, "GET", "/pets", nil, ""); w.Code != 200 || w.Body.String() != `{"live":"/pets"}` {
		t.Fatalf("unobserved answer: %d %s", w.Code, w.Body)
	}
	if none.saw.Load() != 0 {
		t.Errorf("an exchange no sampler wanted was observed")
	}
}
