package testrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/spec"
)

// Response is one side's answer to a case.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Compared is the response as the comparison engine takes it, with the header names op
// declares for its status (what compare_headers: true compares); op may be nil.
func (r *Response) Compared(op *spec.Operation) compare.Response {
	return compare.Response{Status: r.Status, Header: r.Header, Body: r.Body, Declared: op.ResponseHeaders(r.Status)}
}

// Side answers the requests of a run: the mock or the live API. Do receives a request whose
// URL is relative to the API root (scheme and host are placeholders) and must be safe for
// concurrent use.
type Side interface {
	Name() string
	Do(ctx context.Context, req *http.Request) (*Response, error)
}

// MaxBody bounds a response body read by a side.
const MaxBody = 64 << 20

// HTTPSide sends requests over HTTP to a base URL (a live API, or a running `mockloop serve`),
// adding fixed headers (X-Mockloop-Mode when talking to a server).
type HTTPSide struct {
	Label  string
	Base   *url.URL
	Client *http.Client
	Header http.Header
	// Tag sends each request's X-Mockloop-Case (see Options.Tag): for a running server only,
	// never a live API.
	Tag bool
}

// Name is the side's label.
func (s *HTTPSide) Name() string { return s.Label }

// Do sends req to the base URL: the base's path is prefixed to the request path.
func (s *HTTPSide) Do(ctx context.Context, req *http.Request) (*Response, error) {
	out := req.Clone(ctx)
	out.RequestURI = ""
	u := *req.URL
	u.Scheme, u.Host = s.Base.Scheme, s.Base.Host
	prefix := strings.TrimSuffix(s.Base.EscapedPath(), "/")
	escaped := prefix + req.URL.EscapedPath()
	if dec, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = dec, escaped
	}
	out.URL = &u
	out.Host = ""
	for k, vs := range s.Header {
		out.Header[k] = vs
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(out)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s response: %w", s.Label, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("body larger than %d MiB", MaxBody>>20)
	}
	return b, nil
}

// HandlerSide answers in process: each request is served by Handler (the same handler
// `mockloop serve` runs) into memory, with no network.
type HandlerSide struct {
	Label   string
	Handler http.Handler
	// Header is added to every request (X-Mockloop-Mode for a hybrid handler).
	Header http.Header
}

// Name is the side's label.
func (s *HandlerSide) Name() string { return s.Label }

// Do serves req with the handler, as a server would receive it. A body larger than MaxBody
// is an error; so is a panic in the handler, which never takes the run down.
func (s *HandlerSide) Do(ctx context.Context, req *http.Request) (*Response, error) {
	in := req.Clone(ctx)
	for k, vs := range s.Header {
		in.Header[k] = vs
	}
	rec, err := ServeInProcess(s.Handler, in, MaxBody)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rec.Truncated {
		return nil, fmt.Errorf("body larger than %d MiB", MaxBody>>20)
	}
	return &Response{Status: rec.Status, Header: rec.HeaderMap, Body: rec.Body.Bytes()}, nil
}

// Recorder is the in-memory http.ResponseWriter mockloop serves in-process requests into
// (net/http/httptest is for tests: it registers a command-line flag). It keeps at most Limit
// bytes of the body; the rest is counted in Total and dropped, and Truncated is set.
type Recorder struct {
	HeaderMap http.Header
	Status    int
	Body      bytes.Buffer
	Total     int64
	Truncated bool
	Limit     int
}

// Header is the response header map.
func (r *Recorder) Header() http.Header { return r.HeaderMap }

// WriteHeader keeps the first status written.
func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
}

// Write keeps p up to the limit.
func (r *Recorder) Write(p []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	r.Total += int64(len(p))
	if room := r.Limit - r.Body.Len(); room < len(p) {
		r.Body.Write(p[:max(room, 0)])
		r.Truncated = true
		return len(p), nil
	}
	return r.Body.Write(p)
}

// Flush lets streaming handlers (the reverse proxy) flush; everything is in memory anyway.
func (r *Recorder) Flush() {}

// ServeInProcess serves req with h into a Recorder keeping at most limit bytes of body, as a
// server would receive the request (from loopback). A panic in h is returned as an error
// naming the request: serving in process never takes the process down.
func ServeInProcess(h http.Handler, req *http.Request, limit int) (rec *Recorder, err error) {
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req.RequestURI = req.URL.RequestURI()
	req.RemoteAddr = "127.0.0.1:0"
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	rec = &Recorder{HeaderMap: http.Header{}, Limit: limit}
	defer func() {
		if v := recover(); v != nil {
			rec = nil
			if v == http.ErrAbortHandler {
				err = errors.New("the handler aborted the response")
				return
			}
			err = fmt.Errorf("internal error serving %s %s: %v", req.Method, req.URL.Path, v)
		}
	}()
	h.ServeHTTP(rec, req)
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	return rec, nil
}

// Send builds the case's request and has side answer it, within timeout when it is positive:
// one request as the runner sends it, for callers that send cases on their own (noise
// learning).
func Send(ctx context.Context, c *Case, side Side, timeout time.Duration) (*Response, error) {
	req, err := c.NewRequest(placeholderBase)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	resp, err := side.Do(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) && timeout > 0 {
		return nil, fmt.Errorf("no answer within %s", timeout)
	}
	return resp, err
}
