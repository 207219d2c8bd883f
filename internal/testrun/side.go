package testrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
)

// Response is one side's answer to a case.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// compared is the response as the comparison engine takes it.
func (r *Response) compared() compare.Response {
	return compare.Response{Status: r.Status, Header: r.Header, Body: r.Body}
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
// `mockloop serve` runs) through an in-memory response recorder, with no network.
type HandlerSide struct {
	Label   string
	Handler http.Handler
	// Header is added to every request (X-Mockloop-Mode for a hybrid handler).
	Header http.Header
}

// Name is the side's label.
func (s *HandlerSide) Name() string { return s.Label }

// Do serves req with the handler, as a server would receive it.
func (s *HandlerSide) Do(ctx context.Context, req *http.Request) (*Response, error) {
	in := req.Clone(ctx)
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	for k, vs := range s.Header {
		in.Header[k] = vs
	}
	rec := &recorder{header: http.Header{}}
	s.Handler.ServeHTTP(rec, in)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// recorder is a minimal http.ResponseWriter (net/http/httptest is for tests: it registers a
// command-line flag).
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(p) > MaxBody {
		return 0, fmt.Errorf("body larger than %d MiB", MaxBody>>20)
	}
	return r.body.Write(p)
}

// Flush lets streaming handlers (the reverse proxy) flush; everything is in memory anyway.
func (r *recorder) Flush() {}
