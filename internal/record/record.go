// Package record is mockloop's recordings of live answers: the file format (one JSON file per
// operation, documented in docs/recordings.md), request fingerprints, the one writer that
// serve --record and test run --record use (atomic 0600 writes, bounded bodies and entries,
// secrets redacted before anything is written), the reader, and the replayer that answers
// from recordings on the mock side of serve --replay.
package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatVersion is the version of the recording file format written in every file.
const FormatVersion = 1

// File is one operation's recordings: what a recording file holds.
type File struct {
	// Version is FormatVersion.
	Version int `json:"mockloop_recording"`
	// Operation is "METHOD /path/template", as the spec declares it.
	Operation   string `json:"operation"`
	OperationID string `json:"operation_id,omitempty"`
	// Entries are oldest first.
	Entries []Entry `json:"entries"`
}

// Entry is one recorded exchange.
type Entry struct {
	// Fingerprint identifies the request (see Fingerprint): equal requests have equal ones.
	Fingerprint string    `json:"fingerprint"`
	Request     Request   `json:"request"`
	Response    Response  `json:"response"`
	LatencyMS   float64   `json:"latency_ms"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// Request is what a recording keeps of a request: never its body (only a hash), and its
// headers and query with credentials replaced by ***.
type Request struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	PathParams map[string]string   `json:"path_params,omitempty"`
	Query      map[string][]string `json:"query,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	// BodySHA256 is the hex SHA-256 of the body as the fingerprint reads it ("" for none).
	BodySHA256 string `json:"body_sha256,omitempty"`
	BodySize   int    `json:"body_size,omitempty"`
}

// Response is the recorded answer.
type Response struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers,omitempty"`
	// The body is in one of three forms: Body for JSON (kept as JSON), BodyText for other
	// UTF-8 text, BodyBase64 for anything else.
	Body       json.RawMessage `json:"body,omitempty"`
	BodyText   *string         `json:"body_text,omitempty"`
	BodyBase64 string          `json:"body_base64,omitempty"`
	// Truncated says the body was longer than the recording's bound: what is kept is its
	// beginning (never replayed, never accepted as an example). TruncatedNote says why.
	Truncated     bool   `json:"truncated,omitempty"`
	TruncatedNote string `json:"truncated_note,omitempty"`
	// Redacted lists the body locations replaced by *** (JSONPaths, as comparison
	// differences name them).
	Redacted []string `json:"redacted,omitempty"`
}

// SetBody stores b in the form that suits it and ct (the Content-Type).
func (r *Response) SetBody(b []byte, ct string) {
	r.Body, r.BodyText, r.BodyBase64 = nil, nil, ""
	switch {
	case len(b) == 0:
	case isJSONType(ct) && json.Valid(b):
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			r.Body = buf.Bytes()
		} else {
			r.Body = bytes.Clone(b)
		}
	case utf8.Valid(b):
		s := string(b)
		r.BodyText = &s
	default:
		r.BodyBase64 = base64.StdEncoding.EncodeToString(b)
	}
}

// BodyBytes is the body as it was sent (JSON bodies compacted: the file indents them).
func (r *Response) BodyBytes() ([]byte, error) {
	switch {
	case r.Body != nil:
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Body); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return buf.Bytes(), nil
	case r.BodyText != nil:
		return []byte(*r.BodyText), nil
	case r.BodyBase64 != "":
		b, err := base64.StdEncoding.DecodeString(r.BodyBase64)
		if err != nil {
			return nil, fmt.Errorf("body_base64: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

// ContentType is the recorded Content-Type header, "" when none.
func (r *Response) ContentType() string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Content-Type") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Header is the recorded headers as an http.Header (canonical names).
func (r *Response) Header() http.Header {
	h := make(http.Header, len(r.Headers))
	for k, vs := range r.Headers {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return h
}

// isJSONType reports whether a Content-Type is JSON (application/json, +json).
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// check reports what makes a decoded file unusable.
func (f *File) check() error {
	if f.Version != FormatVersion {
		return fmt.Errorf("mockloop_recording: version %d is not supported (want %d)", f.Version, FormatVersion)
	}
	method, path, ok := strings.Cut(f.Operation, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("operation %q: want \"METHOD /path/template\"", f.Operation)
	}
	for i, e := range f.Entries {
		if e.Response.Status < 100 || e.Response.Status > 599 {
			return fmt.Errorf("entries[%d].response.status %d: want 100 to 599", i, e.Response.Status)
		}
		if e.Fingerprint == "" {
			return fmt.Errorf("entries[%d]: no fingerprint", i)
		}
		if _, err := e.Response.BodyBytes(); err != nil {
			return fmt.Errorf("entries[%d].response.%w", i, err)
		}
	}
	return nil
}

// errNoFile is returned by reading a directory without recordings.
var errNoFile = errors.New("no recording files (*.json)")
