// Package spec loads OpenAPI documents (3.0, 3.1 and Swagger 2.0, JSON or YAML, from a file,
// stdin, an http(s) URL or the embedded example), validates them, and indexes their operations
// by method and path template so a request can be routed to its operation without touching the
// document again. kin-openapi stays inside this package and internal/mock.
//
// Loading has two levels. Load succeeds whenever the document can be served: it fails only when
// the document cannot be read, parsed or resolved. Problems that do not stop serving are not
// errors: the cheap checks (regex patterns Go cannot compile, unused components, conflicting
// path templates) are reported as Document.Warnings; examples that do not match their schemas
// are left to Document.Validate, the strict check, because checking them takes seconds on large
// specs (GitHub's).
package spec

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/redact"
)

// ExampleSource is the source name of the embedded example API: Load(ctx, ExampleSource, opts)
// loads it. Plugin files store this string as their spec when none was given.
const ExampleSource = "mockloop:example"

// Options tune Load. The zero value reads stdin from os.Stdin and URLs with http.DefaultClient.
type Options struct {
	Stdin  io.Reader    // read when the source is "-"
	Client *http.Client // fetches http(s) sources and their external $refs

	offline bool // refuse external $refs (the fuzz target must not touch disk or network)
}

// Document is a loaded, indexed OpenAPI document.
type Document struct {
	// T is the document as OpenAPI 3 (Swagger 2.0 input is converted). Schema patterns that Go's
	// regexp cannot compile are removed from it (and listed in Warnings), so validating values
	// against T never fails on them.
	T *openapi3.T
	// Source is where it came from, as the user named it (a path, "-", a URL or ExampleSource).
	Source string
	// SourceVersion is the version the source declared: "2.0", "3.0.3", "3.1.0", ...
	SourceVersion string
	// Warnings are problems found at load that do not stop serving, in a stable order:
	// uncompilable patterns, conflicting path templates, unused components.
	Warnings []problem.Item
	// Operations lists every operation in path order, then method order.
	Operations []*Operation
	// BasePath is the path of servers[0].url ("/v2" for https://x/v2), "" when it is "/" or
	// absent or templated. Find matches request paths with and without it.
	BasePath string

	router *Router
	raw    []byte // the source bytes, kept to put line numbers on Validate's problems
	isJSON bool
}

// Operation is one method on one path template.
type Operation struct {
	Method   string // upper case
	Path     string // the template as written in the document, e.g. /pets/{petId}
	ID       string // operationId, may be empty
	Op       *openapi3.Operation
	PathItem *openapi3.PathItem
	// Parameters are the path item's and the operation's parameters merged (operation wins).
	Parameters openapi3.Parameters
}

// Key is "METHOD /path/template", unique within a document.
func (o *Operation) Key() string { return o.Method + " " + o.Path }

// Error is a load failure that names the source and the location in it. Its message is one
// line: load spec "SOURCE": LOCATION: what is wrong. A URL source is shown without its query
// and user info, which may hold credentials.
type Error struct {
	Source string
	// Location is a JSON pointer, with " (line L)" where known, or "line L, column C" for
	// syntax errors; empty when the failure has no place in the document (file not found).
	Location string
	Err      error
}

func (e *Error) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = oneLine(e.Err.Error())
	}
	src := e.Source
	if isHTTP(src) {
		if u, err := url.Parse(src); err == nil {
			src = redact.Default.URLOf(u)
		}
	}
	if e.Location == "" {
		return fmt.Sprintf("load spec %q: %s", src, msg)
	}
	return fmt.Sprintf("load spec %q: %s: %s", src, e.Location, msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// oneLine folds a multi-line message (kin-openapi and YAML errors have some) onto one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Load reads, parses, converts (Swagger 2.0), resolves and indexes the document at source: a
// file path, "-" for stdin, an http(s) URL, or ExampleSource. External $refs resolve relative
// to it. Every failure is an *Error.
func Load(ctx context.Context, source string, opts Options) (*Document, error) {
	data, base, err := read(ctx, source, opts)
	if err != nil {
		return nil, &Error{Source: source, Err: err}
	}
	return LoadData(ctx, source, base, data, opts)
}

// Find routes a request to its operation. See Router.Find; the path may also carry the server
// base path (BasePath).
func (d *Document) Find(method, path string) Match {
	m := d.router.Find(method, path)
	if m.Operation != nil || d.BasePath == "" {
		return m
	}
	if rest, ok := strings.CutPrefix(path, d.BasePath); ok && (rest == "" || rest[0] == '/') {
		if m2 := d.router.Find(method, rest); m2.Operation != nil || len(m2.Allowed) > 0 {
			return m2
		}
	}
	return m
}

// Title is the document's info.title, or its source when there is none.
func (d *Document) Title() string {
	if d.T.Info != nil && d.T.Info.Title != "" {
		return d.T.Info.Title
	}
	return d.Source
}

// Operation returns the operation with the given operationId, or nil.
func (d *Document) Operation(id string) *Operation {
	for _, op := range d.Operations {
		if op.ID == id {
			return op
		}
	}
	return nil
}

// read returns the bytes of source and the location its relative $refs resolve against.
func read(ctx context.Context, source string, opts Options) ([]byte, *url.URL, error) {
	switch {
	case source == ExampleSource:
		return Example(), &url.URL{Path: "/mockloop-example.yaml"}, nil
	case source == "-":
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, cwdBase(), nil
	case isHTTP(source):
		u, err := url.Parse(source)
		if err != nil {
			return nil, nil, err
		}
		data, err := fetch(ctx, opts.Client, u)
		return data, u, err
	case source == "":
		return nil, nil, fmt.Errorf("no spec given")
	default:
		data, err := os.ReadFile(source)
		if err != nil {
			return nil, nil, err
		}
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, nil, err
		}
		return data, &url.URL{Path: filepath.ToSlash(abs)}, nil
	}
}

func isHTTP(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// cwdBase is the base for documents without a location of their own (stdin): a file in the
// current directory, so that "other.yaml" resolves next to where the user is.
func cwdBase() *url.URL {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	return &url.URL{Path: filepath.ToSlash(wd) + "/-"}
}

// maxFetch bounds a document fetched over HTTP; real specs are well under it.
const maxFetch = 256 << 20

func fetch(ctx context.Context, client *http.Client, u *url.URL) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", redact.Default.URLOf(u), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redact.Default.URLOf(u), err)
	}
	if len(data) > maxFetch {
		return nil, fmt.Errorf("GET %s: document larger than %d MB", redact.Default.URLOf(u), maxFetch>>20)
	}
	return data, nil
}
