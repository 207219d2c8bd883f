package shadow

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/server"
)

// opDrift is one operation's drift. seen is counted on the request path (atomic); the rest
// under mu by the background goroutine and the admin endpoint.
type opDrift struct {
	key, id  string
	seen     atomic.Int64
	seenBase atomic.Int64 // seen at the last Reset
	skipped  atomic.Int64 // sampled but not compared (too large, dropped, the mock failed)

	mu             sync.Mutex
	compared       int64
	differing      int64
	locations      map[string]*locDrift
	otherLocations int64
}

// locDrift is one location (indexes as [*]) that differed.
type locDrift struct {
	count  int64
	kinds  map[compare.Kind]int64
	latest Example
}

// Example is the latest difference seen at a location.
type Example struct {
	Time    time.Time `json:"time"`
	Request string    `json:"request"` // "GET /items/7?q=..." (secret query values hidden)
	compare.Difference
}

func (o *opDrift) skip() { o.skipped.Add(1) }

func (o *opDrift) record(diffs []compare.Difference, clean func(compare.Difference) compare.Difference, request string, at time.Time, maxLoc int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.compared++
	if len(diffs) == 0 {
		return
	}
	o.differing++
	seen := map[string]bool{}
	for _, d := range diffs {
		loc := compare.Wildcard(d.Location)
		l := o.locations[loc]
		if l == nil {
			if len(o.locations) >= maxLoc {
				o.otherLocations++
				continue
			}
			l = &locDrift{kinds: map[compare.Kind]int64{}}
			o.locations[loc] = l
		}
		l.kinds[d.Kind]++
		if !seen[loc] { // a location counts once per request, however many elements differ
			seen[loc] = true
			l.count++
		}
		l.latest = Example{Time: at.UTC(), Request: request, Difference: clean(d)}
	}
}

// Report is what GET /__mockloop/drift answers.
type Report struct {
	Rate          float64    `json:"rate"`
	Since         time.Time  `json:"since"`
	Sampled       int64      `json:"sampled"`
	Compared      int64      `json:"compared"`
	Pending       int        `json:"pending"`
	Dropped       int64      `json:"dropped"`   // sampled while the queue was full
	Truncated     int64      `json:"truncated"` // bodies too large to compare
	Failed        int64      `json:"failed"`    // the mock could not answer
	QueueCapacity int        `json:"queue_capacity"`
	Operations    []OpReport `json:"operations"`
}

// OpReport is one operation's drift.
type OpReport struct {
	Operation   string `json:"operation"`
	OperationID string `json:"operation_id,omitempty"`
	// Requests is how many live answers the operation had; Compared how many of them the mock
	// answered again and were compared; WithDifferences how many of those differed.
	Requests        int64   `json:"requests"`
	Compared        int64   `json:"compared"`
	WithDifferences int64   `json:"with_differences"`
	DifferenceShare float64 `json:"difference_share"`
	Skipped         int64   `json:"skipped,omitempty"`
	// Locations are the locations that differed most, most often first.
	Locations      []LocReport `json:"locations"`
	OtherLocations int64       `json:"other_locations,omitempty"`
}

// LocReport is one differing location.
type LocReport struct {
	Location string                 `json:"location"`
	Count    int64                  `json:"count"` // requests it differed in
	Kinds    map[compare.Kind]int64 `json:"kinds"`
	Latest   Example                `json:"latest"`
}

// Snapshot is the drift so far: operations that had a request sampled, by operation, each
// with its limit most differing locations (0: all kept).
func (s *Shadow) Snapshot(limit int) Report {
	rep := Report{Rate: s.opts.Rate, Since: time.Unix(0, s.started.Load()).UTC(), Sampled: s.sampled.Load(), Compared: s.compared.Load(),
		Pending: len(s.queue), Dropped: s.dropped.Load(), Truncated: s.truncated.Load(), Failed: s.failed.Load(),
		QueueCapacity: cap(s.queue), Operations: []OpReport{}}
	for _, o := range s.ops {
		o.mu.Lock()
		skipped := o.skipped.Load()
		if o.compared == 0 && skipped == 0 {
			o.mu.Unlock()
			continue
		}
		r := OpReport{Operation: o.key, OperationID: o.id, Requests: o.seen.Load() - o.seenBase.Load(), Compared: o.compared, WithDifferences: o.differing,
			Skipped: skipped, Locations: []LocReport{}, OtherLocations: o.otherLocations}
		if o.compared > 0 {
			r.DifferenceShare = math.Round(float64(o.differing)/float64(o.compared)*1000) / 1000
		}
		for loc, l := range o.locations {
			r.Locations = append(r.Locations, LocReport{Location: loc, Count: l.count, Kinds: copyKinds(l.kinds), Latest: l.latest})
		}
		o.mu.Unlock()
		slices.SortFunc(r.Locations, func(a, b LocReport) int {
			if a.Count != b.Count {
				return int(b.Count - a.Count)
			}
			if a.Location < b.Location {
				return -1
			}
			return 1
		})
		if limit > 0 && len(r.Locations) > limit {
			r.Locations = r.Locations[:limit]
		}
		rep.Operations = append(rep.Operations, r)
	}
	slices.SortFunc(rep.Operations, func(a, b OpReport) int {
		if a.Operation < b.Operation {
			return -1
		}
		return 1
	})
	return rep
}

func copyKinds(m map[compare.Kind]int64) map[compare.Kind]int64 {
	out := make(map[compare.Kind]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Reset forgets the drift seen so far (DELETE /__mockloop/drift).
func (s *Shadow) Reset() {
	for _, o := range s.ops {
		o.mu.Lock()
		o.compared, o.differing, o.otherLocations = 0, 0, 0
		o.skipped.Store(0)
		o.seenBase.Store(o.seen.Load())
		o.locations = map[string]*locDrift{}
		o.mu.Unlock()
	}
	s.sampled.Store(0)
	s.compared.Store(0)
	s.dropped.Store(0)
	s.truncated.Store(0)
	s.failed.Store(0)
	s.started.Store(time.Now().UnixNano())
}

// DefaultLimit is how many locations per operation GET /__mockloop/drift shows without ?limit.
const DefaultLimit = 10

// AdminRoute is GET /__mockloop/drift (?limit=N locations per operation, ?operation=KEY or
// operationId for one) and DELETE /__mockloop/drift to start counting again.
func (s *Shadow) AdminRoute() server.AdminRoute {
	return server.AdminRoute{Name: "drift", Methods: "GET, DELETE", Handler: http.HandlerFunc(s.serveDrift)}
}

func (s *Shadow) serveDrift(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	limit := DefaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			server.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a number >= 0 (0: every location kept)"})
			return
		}
		limit = n
	}
	rep := s.Snapshot(limit)
	if op := r.URL.Query().Get("operation"); op != "" {
		rep.Operations = slices.DeleteFunc(rep.Operations, func(o OpReport) bool { return o.Operation != op && o.OperationID != op })
	}
	server.WriteJSON(w, http.StatusOK, rep)
}

func jsonText(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
