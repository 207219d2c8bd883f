// Package shadow is `serve --shadow`: while clients get the live API's answers (proxy mode),
// a sampled share of their requests is answered again by the mock, in the background and off
// the client's path, and the two answers are compared with the plugin's comparison settings.
// GET /__mockloop/drift says, per operation, how many requests were compared, the share that
// differed, and the locations that differ most with their latest example, secrets redacted.
// Memory stays bounded: a fixed queue, a fixed number of locations per operation, one example
// per location.
package shadow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

// DefaultRate is the share of each operation's requests compared when Options.Rate is 0.
const DefaultRate = 0.1

// Defaults of the bounds.
const (
	DefaultQueue        = 256 // requests waiting for the mock's answer
	DefaultMaxLocations = 50  // differing locations kept per operation
	maxExampleValue     = 1024
)

// Options configure a Shadow.
type Options struct {
	Doc *spec.Document
	// Rate is the share of each operation's requests compared, 0 < Rate <= 1 (0: DefaultRate).
	// Sampling is by count: with 0.1 the 1st, 11th, 21st... request of each operation.
	Rate float64
	// Comparison is the plugin's comparison settings (learned noise included).
	Comparison compare.Config
	// Policy says which header and query names carry secrets; nil is redact.Default.
	Policy *redact.Policy
	// Queue bounds the requests waiting for the mock (0: DefaultQueue); a sampled request that
	// finds it full is dropped, never waited for.
	Queue int
	// MaxLocations bounds the differing locations kept per operation (0: DefaultMaxLocations);
	// more are counted as other locations.
	MaxLocations int
	// MaxBody bounds the mock's answer kept for the comparison (0: server.DefaultObserveBody).
	MaxBody int
}

// Shadow compares live answers with the mock's. It is a server.LiveObserver; its admin route
// serves GET /__mockloop/drift. Start it with the mock engine, Close it when done.
type Shadow struct {
	opts    Options
	cmp     *compare.Comparer
	permil  uint64 // the rate in millionths
	ops     map[*spec.Operation]*opDrift
	queue   chan *job
	engine  atomic.Pointer[mock.Engine]
	redact  func(string) string
	started atomic.Int64 // unix nanoseconds: since when the drift is counted

	sampled, dropped, truncated, compared, failed atomic.Int64
	pending                                       atomic.Int64 // queued or being compared
	stop                                          context.CancelFunc
	ctx                                           context.Context
	done                                          chan struct{}
	closeOnce                                     sync.Once
}

// job is one sampled request with the live answer.
type job struct {
	op         *opDrift
	method     string
	url        *url.URL
	header     http.Header
	body       []byte
	live       compare.Response
	liveStatus int
	at         time.Time
}

// New checks opts and compiles the comparison.
func New(opts Options) (*Shadow, error) {
	if opts.Doc == nil {
		return nil, errors.New("shadow: no spec document")
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.Rate <= 0 || opts.Rate > 1 || opts.Rate != opts.Rate {
		return nil, fmt.Errorf("shadow rate %v: want a share above 0 and at most 1", opts.Rate)
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	if opts.MaxLocations <= 0 {
		opts.MaxLocations = DefaultMaxLocations
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = server.DefaultObserveBody
	}
	if opts.Policy == nil {
		opts.Policy = redact.Default
	}
	cmp, err := compare.Compile(opts.Comparison)
	if err != nil {
		return nil, fmt.Errorf("shadow: comparison options: %w", err)
	}
	s := &Shadow{opts: opts, cmp: cmp, permil: uint64(opts.Rate*1e6 + 0.5), ops: make(map[*spec.Operation]*opDrift, len(opts.Doc.Operations)),
		queue: make(chan *job, opts.Queue), done: make(chan struct{})}
	s.started.Store(time.Now().UnixNano())
	for _, op := range opts.Doc.Operations {
		s.ops[op] = &opDrift{key: op.Key(), id: op.ID, locations: map[string]*locDrift{}}
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Start has engine answer the sampled requests, on one background goroutine: until it is
// called, nothing is sampled. hide replaces the secrets of the plugin's credentials in the
// examples shown (stack.Redact); nil hides only values at names that look secret.
func (s *Shadow) Start(engine *mock.Engine, hide func(string) string) {
	if engine == nil {
		return
	}
	if !s.engine.CompareAndSwap(nil, engine) {
		return
	}
	s.redact = hide // read only by the background goroutine, started after
	go s.work()
}

// Close stops the background work; requests still queued are not compared.
func (s *Shadow) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		if s.engine.Load() != nil {
			<-s.done
		}
	})
}

// Flush waits until every request sampled so far has been compared (or ctx ends).
func (s *Shadow) Flush(ctx context.Context) error {
	for s.pending.Load() > 0 {
		select {
		case <-time.After(2 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// WantsLive samples (server.LiveSampler): the n-th request of an operation is sampled when it
// takes the count of sampled ones past a whole number, ceil(n*rate) > ceil((n-1)*rate), so the
// first request always is and quiet operations are seen too. The server captures only the
// sampled exchanges.
func (s *Shadow) WantsLive(_ *http.Request, m spec.Match) bool {
	if m.Operation == nil || s.engine.Load() == nil {
		return false
	}
	od := s.ops[m.Operation]
	if od == nil {
		return false
	}
	n := uint64(od.seen.Add(1))
	return (n*s.permil+999_999)/1_000_000 != ((n-1)*s.permil+999_999)/1_000_000
}

// ObserveLive queues a sampled live answer (server.LiveObserver; the server calls it only for
// the exchanges WantsLive took). It runs on the client's request goroutine after the answer
// was sent, so it only copies what the mock needs and queues it: the mock's answer and the
// comparison happen on the background goroutine.
func (s *Shadow) ObserveLive(x *server.Exchange) {
	if x.Operation == nil || s.engine.Load() == nil {
		return
	}
	od := s.ops[x.Operation]
	if od == nil {
		return
	}
	s.sampled.Add(1)
	if x.Truncated {
		s.truncated.Add(1)
		od.skip()
		return
	}
	j := &job{op: od, method: x.Request.Method, header: x.Request.Header.Clone(), body: x.RequestBody, at: x.Started,
		live: compare.Response{Status: x.Status, Header: x.Header, Body: x.Body, Declared: x.Operation.ResponseHeaders(x.Status)}}
	u := *x.Request.URL
	j.url = &u
	s.pending.Add(1)
	select {
	case s.queue <- j:
	default:
		s.pending.Add(-1)
		s.dropped.Add(1)
		od.skip()
	}
}

func (s *Shadow) work() {
	defer close(s.done)
	for {
		select {
		case <-s.ctx.Done():
			for {
				select {
				case <-s.queue:
					s.pending.Add(-1)
				default:
					return
				}
			}
		case j := <-s.queue:
			s.compare(j)
			s.pending.Add(-1)
		}
	}
}

// compare has the mock answer the request as the client sent it, with a placeholder for each
// credential the client left to the proxy to inject (the mock checks presence only), and
// records the differences.
func (s *Shadow) compare(j *job) {
	engine := s.engine.Load()
	req, err := http.NewRequestWithContext(s.ctx, j.method, j.url.String(), bytes.NewReader(j.body))
	if err != nil {
		s.failed.Add(1)
		j.op.skip()
		return
	}
	req.Header = j.header
	req.ContentLength = int64(len(j.body))
	m := s.opts.Doc.Find(j.method, j.url.EscapedPath())
	if m.Operation == nil {
		s.failed.Add(1)
		j.op.skip()
		return
	}
	engine.AddPlaceholderCredentials(m.Operation, req)
	rec, err := testrun.ServeInProcess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { engine.Respond(w, r, m) }), req, s.opts.MaxBody)
	if err != nil || rec.Truncated {
		s.failed.Add(1)
		j.op.skip()
		return
	}
	mockResp := compare.Response{Status: rec.Status, Header: rec.HeaderMap, Body: rec.Body.Bytes(), Declared: m.Operation.ResponseHeaders(rec.Status)}
	res := s.cmp.Compare(mockResp, j.live)
	s.compared.Add(1)
	request := j.method + " " + j.url.Path
	if j.url.RawQuery != "" {
		request += "?" + s.opts.Policy.Query(j.url.RawQuery)
	}
	j.op.record(res.Differences, s.example, request, j.at, s.opts.MaxLocations)
}

// example is d as the drift endpoint shows it: secrets hidden, long values cut.
func (s *Shadow) example(d compare.Difference) compare.Difference {
	hide := false
	if name, ok := strings.CutPrefix(d.Location, "header "); ok {
		hide = s.opts.Policy.SecretHeader(name)
	} else if steps, ok := compare.ParseLocation(d.Location); ok && len(steps) > 0 {
		last := steps[len(steps)-1]
		hide = last.IsKey && redact.LooksSecret(last.Key)
	}
	clean := func(v []byte) []byte {
		if v == nil {
			return nil
		}
		if hide {
			return []byte(`"` + redact.Mask + `"`)
		}
		text := string(v)
		if s.redact != nil {
			text = s.redact(text)
		}
		if len(text) > maxExampleValue {
			return jsonText(fmt.Sprintf("%s... (%d bytes)", text[:maxExampleValue], len(text)))
		}
		return []byte(text)
	}
	out := d
	out.Mock, out.Live = clean(d.Mock), clean(d.Live)
	return out
}
