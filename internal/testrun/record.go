package testrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// recordingSide is a live side whose every answer is recorded (test run --record) with the
// one recording writer serve --record uses.
type recordingSide struct {
	Side
	w   *record.Writer
	doc *spec.Document
}

// Do sends req to the wrapped side and records the answer. A recording that cannot be written
// is the call's error: a run asked to record must not pass without its recordings.
func (s *recordingSide) Do(ctx context.Context, req *http.Request) (*Response, error) {
	var body []byte
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			body, _ = io.ReadAll(io.LimitReader(rc, MaxBody))
			rc.Close()
		}
	}
	start := time.Now()
	resp, err := s.Side.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if _, ok := gatewayFailure(resp); ok {
		return resp, nil // the proxy engine's answer for an unreachable upstream, not the API's
	}
	x := &server.Exchange{
		Operation: s.doc.Find(req.Method, req.URL.EscapedPath()).Operation, Request: req, RequestBody: body,
		Status: resp.Status, Header: resp.Header, Body: resp.Body, Started: start, Latency: time.Since(start),
	}
	if err := s.w.Add(x); err != nil {
		return nil, fmt.Errorf("record %s: %w", s.w.Dir(), err)
	}
	return resp, nil
}
