// Package spec loads OpenAPI documents (3.0, 3.1 and Swagger 2.0, JSON or YAML, from a file,
// stdin or a URL), validates them, and indexes their operations by method and path template so
// a request can be routed to its operation without touching the document again.
// kin-openapi stays inside this package and internal/mock.
package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// Options tune Load. The zero value reads stdin from os.Stdin and URLs with http.DefaultClient.
type Options struct {
	Stdin  io.Reader    // read when the source is "-"
	Client *http.Client // fetches http(s) sources and their external $refs
}

// Document is a loaded, indexed OpenAPI document.
type Document struct {
	// T is the document as OpenAPI 3 (Swagger 2.0 input is converted).
	T *openapi3.T
	// Source is where it came from, as the user named it (a path, "-" or a URL).
	Source string
	// SourceVersion is the version the source declared: "2.0", "3.0.3", "3.1.0", ...
	SourceVersion string
	// Warnings are problems that do not stop serving (bad examples, unused components).
	Warnings []Warning
	// Operations lists every operation in path order, then method order.
	Operations []*Operation

	router *Router
}

// Warning is a non-fatal problem found while loading, with where it is.
type Warning struct {
	Location string // JSON pointer into the document, e.g. /paths/~1pets/get
	Message  string
}

func (w Warning) String() string {
	if w.Location == "" {
		return w.Message
	}
	return w.Location + ": " + w.Message
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

// Error is a load or validation failure that names the source and the location in it.
type Error struct {
	Source   string
	Location string // JSON pointer, or "line:column" where known
	Err      error
}

func (e *Error) Error() string {
	if e.Location == "" {
		return fmt.Sprintf("load spec %q: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("load spec %q: %s: %v", e.Source, e.Location, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads, parses, converts (Swagger 2.0), resolves and indexes the document at source:
// a file path, "-" for stdin, or an http(s) URL. External $refs resolve relative to it.
func Load(ctx context.Context, source string, opts Options) (*Document, error) {
	data, base, err := read(ctx, source, opts)
	if err != nil {
		return nil, &Error{Source: source, Err: err}
	}
	return LoadData(ctx, source, base, data, opts)
}

// LoadData is Load for bytes already in memory; base is the location external $refs resolve
// against (nil: the current directory).
func LoadData(ctx context.Context, source string, base *url.URL, data []byte, opts Options) (*Document, error) {
	var head struct {
		OpenAPI string `yaml:"openapi"`
		Swagger string `yaml:"swagger"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, &Error{Source: source, Err: fmt.Errorf("parse: %w", err)}
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.Context = ctx
	var t *openapi3.T
	var version string
	switch {
	case head.Swagger != "":
		version = head.Swagger
		if !strings.HasPrefix(head.Swagger, "2.") {
			return nil, &Error{Source: source, Location: "/swagger", Err: fmt.Errorf("unsupported swagger version %q (want 2.0)", head.Swagger)}
		}
		var t2 openapi2.T
		if err := yaml.Unmarshal(data, &t2); err != nil {
			return nil, &Error{Source: source, Err: fmt.Errorf("parse swagger 2.0: %w", err)}
		}
		t3, err := openapi2conv.ToV3(&t2)
		if err != nil {
			return nil, &Error{Source: source, Err: fmt.Errorf("convert swagger 2.0: %w", err)}
		}
		if err := loader.ResolveRefsIn(t3, base); err != nil {
			return nil, &Error{Source: source, Err: err}
		}
		t = t3
	case head.OpenAPI != "":
		version = head.OpenAPI
		if !strings.HasPrefix(head.OpenAPI, "3.0") && !strings.HasPrefix(head.OpenAPI, "3.1") {
			return nil, &Error{Source: source, Location: "/openapi", Err: fmt.Errorf("unsupported openapi version %q (want 3.0 or 3.1)", head.OpenAPI)}
		}
		t, err := loader.LoadFromDataWithPath(data, base)
		if err != nil {
			return nil, &Error{Source: source, Err: err}
		}
		return newDocument(source, version, t)
	default:
		return nil, &Error{Source: source, Err: errors.New(`not an OpenAPI document: no "openapi" or "swagger" version field`)}
	}
	return newDocument(source, version, t)
}

func newDocument(source, version string, t *openapi3.T) (*Document, error) {
	d := &Document{T: t, Source: source, SourceVersion: version}
	if t.Paths != nil {
		for _, path := range t.Paths.Keys() {
			item := t.Paths.Value(path)
			for _, method := range methodOrder {
				op := item.GetOperation(method)
				if op == nil {
					continue
				}
				d.Operations = append(d.Operations, &Operation{
					Method:     method,
					Path:       path,
					ID:         op.OperationID,
					Op:         op,
					PathItem:   item,
					Parameters: mergeParams(item.Parameters, op.Parameters),
				})
			}
		}
	}
	r, err := NewRouter(d.Operations)
	if err != nil {
		return nil, &Error{Source: source, Location: "/paths", Err: err}
	}
	d.router = r
	return d, nil
}

var methodOrder = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace,
}

func mergeParams(pathLevel, opLevel openapi3.Parameters) openapi3.Parameters {
	out := make(openapi3.Parameters, 0, len(pathLevel)+len(opLevel))
	seen := map[string]bool{}
	for _, p := range opLevel {
		if p == nil || p.Value == nil {
			continue
		}
		seen[p.Value.In+"\x00"+p.Value.Name] = true
		out = append(out, p)
	}
	for _, p := range pathLevel {
		if p == nil || p.Value == nil || seen[p.Value.In+"\x00"+p.Value.Name] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Find routes a request to its operation. See Router.Find.
func (d *Document) Find(method, path string) Match { return d.router.Find(method, path) }

// Title is the document's info.title, or its source when there is none.
func (d *Document) Title() string {
	if d.T.Info != nil && d.T.Info.Title != "" {
		return d.T.Info.Title
	}
	return d.Source
}

func read(ctx context.Context, source string, opts Options) ([]byte, *url.URL, error) {
	switch {
	case source == "-":
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, nil, fmt.Errorf("read stdin: %w", err)
		}
		wd, _ := os.Getwd()
		return data, &url.URL{Path: filepath.ToSlash(wd) + "/"}, nil
	case strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://"):
		u, err := url.Parse(source)
		if err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return nil, nil, err
		}
		client := opts.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return nil, nil, fmt.Errorf("GET %s: %s", source, resp.Status)
		}
		data, err := io.ReadAll(resp.Body)
		return data, u, err
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
