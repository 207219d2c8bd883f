package record

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/spec"
)

// Response headers of a replayed answer.
const (
	// SourceRecording is the X-Mockloop-Source of an answer replayed from a recording.
	SourceRecording = "recording"
	// HeaderReplay says how the recording was chosen: exact (same fingerprint) or closest.
	HeaderReplay = "X-Mockloop-Replay"
)

// ReplayOptions tune a Replayer.
type ReplayOptions struct {
	// Exact answers only requests whose fingerprint was recorded; otherwise a request of a
	// recorded operation gets the closest recording of that operation.
	Exact bool
	// Redactor must redact as the recording did, so that fingerprints match; nil is the
	// default policy.
	Redactor *Redactor
}

// Replayer answers requests on the mock side from recordings (a server.Answerer): a request
// whose fingerprint was recorded gets that answer (several answers to the same request are
// served in order, the last one repeated), another request of a recorded operation gets the
// closest recording (unless Exact), and everything else is left to the mock engine. A
// request with `Prefer: example=...` or `dynamic=true` asks for the spec's answer and is left
// to the engine; `Prefer: code=N` is answered from the recordings of status N only. Truncated
// recordings are never replayed. It is safe for concurrent use.
type Replayer struct {
	ops  map[string]*replayOp
	opts ReplayOptions
}

type replayOp struct {
	all  []*Entry            // the replayable entries, oldest first
	byFP map[string][]*Entry // in recorded order

	mu   sync.Mutex
	next map[string]int // the next position in each fingerprint's sequence
}

// NewReplayer indexes set for doc's operations. Recordings of operations doc does not declare
// are skipped, each named in the returned warnings.
func NewReplayer(set *Set, doc *spec.Document, opts ReplayOptions) (*Replayer, []string) {
	if opts.Redactor == nil {
		opts.Redactor, _ = NewRedactor(nil, nil, nil)
	}
	known := map[string]bool{}
	for _, op := range doc.Operations {
		known[op.Key()] = true
	}
	rp := &Replayer{ops: map[string]*replayOp{}, opts: opts}
	var warnings []string
	for _, key := range set.Keys() {
		f := set.Files[key]
		if !known[key] {
			warnings = append(warnings, fmt.Sprintf("recording %s: the spec has no operation %s; not replayed", set.Names[key], key))
			continue
		}
		ro := &replayOp{byFP: map[string][]*Entry{}, next: map[string]int{}}
		for i := range f.Entries {
			e := &f.Entries[i]
			if e.Response.Truncated {
				continue
			}
			ro.all = append(ro.all, e)
			ro.byFP[e.Fingerprint] = append(ro.byFP[e.Fingerprint], e)
		}
		if len(ro.all) > 0 {
			rp.ops[key] = ro
		}
	}
	return rp, warnings
}

// Operations is the number of operations with replayable recordings.
func (rp *Replayer) Operations() int { return len(rp.ops) }

// maxReplayBody bounds the request body read to compute a fingerprint (the server bounds it
// first).
const maxReplayBody = 64 << 20

// Answer answers r from the recordings of m's operation, or returns false.
func (rp *Replayer) Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	ro := rp.ops[m.Operation.Key()]
	if ro == nil {
		return false
	}
	status, ok := preferredStatus(r.Header["Prefer"])
	if !ok {
		return false
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxReplayBody))
		if err != nil {
			return false
		}
		body = b
		// The engine answers when no recording does: it must see the body too.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	}
	req, fp := rp.opts.Redactor.request(m.Operation.Method, r.URL.Path, r.URL.RawQuery, m.PathParams, r.Header, body, m.Operation.Key())
	if e := ro.exact(fp, status); e != nil {
		writeEntry(w, r, e, "exact")
		return true
	}
	if rp.opts.Exact {
		return false
	}
	if e := ro.closest(req, status); e != nil {
		writeEntry(w, r, e, "closest")
		return true
	}
	return false
}

// preferredStatus reads a Prefer header: ok false when it asks for a named example or
// dynamic data (the spec's answers), else the status it asks for (0: any).
func preferredStatus(values []string) (status int, ok bool) {
	for _, v := range values {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "example", "dynamic":
				return 0, false
			case "code":
				n, err := strconv.Atoi(val)
				if err != nil {
					return 0, false
				}
				status = n
			}
		}
	}
	return status, true
}

// exact is the next answer of fingerprint fp's sequence (the last one repeats).
func (ro *replayOp) exact(fp string, status int) *Entry {
	seq := ro.byFP[fp]
	if status != 0 {
		seq = slices.DeleteFunc(slices.Clone(seq), func(e *Entry) bool { return e.Response.Status != status })
	}
	if len(seq) == 0 {
		return nil
	}
	if len(seq) == 1 {
		return seq[0]
	}
	ro.mu.Lock()
	defer ro.mu.Unlock()
	key := fp + "\x00" + strconv.Itoa(status)
	i := min(ro.next[key], len(seq)-1)
	ro.next[key] = i + 1
	return seq[i]
}

// closest is the recording most like req: the same path parameters count most, then the same
// query values, then the same body; ties go to the newest.
func (ro *replayOp) closest(req Request, status int) *Entry {
	var best *Entry
	bestScore := -1
	for _, e := range ro.all {
		if status != 0 && e.Response.Status != status {
			continue
		}
		score := 0
		for k, v := range req.PathParams {
			if e.Request.PathParams[k] == v {
				score += 8
			}
		}
		for k, vs := range req.Query {
			if got, ok := e.Request.Query[k]; ok {
				score++
				if slices.Equal(got, vs) {
					score += 2
				}
			}
		}
		for k := range e.Request.Query {
			if _, ok := req.Query[k]; !ok {
				score--
			}
		}
		if e.Request.BodySHA256 == req.BodySHA256 {
			score++
		}
		if score >= bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// replayDropped are recorded headers a replayed answer does not repeat: they describe the
// original exchange, not this one.
var replayDropped = []string{"Date", "Content-Length", "Age"}

// writeEntry writes a recorded answer.
func writeEntry(w http.ResponseWriter, r *http.Request, e *Entry, how string) {
	h := w.Header()
	for k, vs := range e.Response.Headers {
		ck := http.CanonicalHeaderKey(k)
		if slices.Contains(replayDropped, ck) {
			continue
		}
		vals := slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == redact.Mask })
		if len(vals) > 0 {
			h[ck] = vals
		}
	}
	body, _ := e.Response.BodyBytes()
	h.Set(mock.HeaderSource, SourceRecording)
	h.Set(HeaderReplay, how)
	status := e.Response.Status
	noBody := status < 200 || status == http.StatusNoContent || status == http.StatusNotModified
	if !noBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if !noBody && r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
