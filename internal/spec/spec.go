// Package spec loads OpenAPI documents (3.0, 3.1 and Swagger 2.0, JSON or YAML, from a file,
// stdin, an http(s) URL or the embedded example), validates them, and indexes their operations
// by method and path template so a request can be routed to its operation without touching the
// document again. kin-openapi stays inside this package and internal/mock.
//
// Loading has two levels. Load succeeds whenever the document can be served: it fails only when
// the document cannot be read, parsed or resolved. Problems that do not stop serving are not
// errors: the cheap checks (regex patterns Go cannot compile, schema keywords no value can
// satisfy, unused components, conflicting path templates) are reported as Document.Warnings;
// examples that do not match their schemas are left to Document.Validate, the strict check,
// because checking them takes seconds on large specs (GitHub's).
package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/redact"
)

// ExampleSource is the source name of the embedded example API: Load(ctx, ExampleSource, opts)
// loads it. Plugin files store this string as their spec when none was given.
const ExampleSource = "mockloop:example"

// Options tune Load. The zero value reads stdin from os.Stdin and URLs with http.DefaultClient,
// each fetch bounded by DefaultFetchTimeout.
type Options struct {
	Stdin  io.Reader    // read when the source is "-"
	Client *http.Client // fetches http(s) sources and their external $refs
	// NoCache turns the load cache off (cache.go); so does MOCKLOOP_NO_CACHE=1.
	NoCache bool
	// Overlays are OpenAPI Overlay 1.0 documents (files or http(s) URLs) applied in order to
	// the document after it is read and before it is parsed (see overlay.go).
	Overlays []string

	// AllowRefs are the hosts, besides its own, that the external $refs of a document loaded
	// from a URL may reach (including through redirects). Without them such a document may
	// refer only to URLs with its own scheme, host and port, so that a remote spec cannot make
	// the loader fetch from loopback or private addresses and serve what it found. Each entry
	// is a glob in path.Match syntax over the host name ("schemas.example.com",
	// "*.example.com", "*" for any), or over host:port when it names a port
	// ("127.0.0.1:8081"); the scheme may be http or https. CheckAllowRefs validates them.
	// Documents read from files or stdin may refer to any http(s) URL, as before; documents
	// loaded from a URL may never refer to local files.
	AllowRefs []string
	// FetchTimeout bounds each URL fetch (the document, each external $ref), from the request
	// to the last byte of the body; 0 or less means DefaultFetchTimeout.
	FetchTimeout time.Duration

	offline  bool   // refuse external $refs and skip the cache (the fuzz target must not touch disk or network)
	maxFetch int64  // the size cap of one fetch, when not maxFetch (tests)
	cacheDir string // tests: the cache directory instead of the user's
	cacheAll bool   // tests: cache documents of every size
}

// DefaultFetchTimeout bounds each URL fetch the loader makes when Options.FetchTimeout is 0.
const DefaultFetchTimeout = 30 * time.Second

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
	// uncompilable patterns and schema keywords no value satisfies (an unknown type name,
	// crossed bounds), conflicting path templates, unused components.
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

	index int // position in its Document's Operations
}

// Key is "METHOD /path/template", unique within a document.
func (o *Operation) Key() string { return o.Method + " " + o.Path }

// Index is the operation's position in the Operations of the Document that Load made it for
// (0 for an Operation made otherwise): engines keep per-operation state in a slice by it.
func (o *Operation) Index() int { return o.index }

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
	if IsHTTP(src) {
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
	if err := CheckAllowRefs(opts.AllowRefs); err != nil {
		return nil, &Error{Source: source, Err: err}
	}
	data, base, err := read(ctx, source, opts)
	if err != nil {
		return nil, &Error{Source: source, Err: err}
	}
	if len(opts.Overlays) == 0 {
		return LoadData(ctx, source, base, data, opts)
	}
	data, warnings, applied, err := applyOverlays(ctx, source, data, opts)
	if err != nil {
		return nil, err
	}
	doc, err := LoadData(ctx, source, base, data, opts)
	if err == nil && !applied {
		err = &Error{Source: source, Err: fmt.Errorf("cannot apply overlays: the document does not parse as JSON or YAML")}
	}
	if err != nil {
		return nil, err
	}
	doc.Warnings = append(slices.Clip(doc.Warnings), warnings...) // the document may be the cache's
	return doc, nil
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
		data, err := iostreams.ReadInput("-", opts.Stdin, maxFetch)
		if err != nil {
			return nil, nil, err
		}
		return data, cwdBase(), nil
	case IsHTTP(source):
		u, err := url.Parse(source)
		if err != nil {
			return nil, nil, err
		}
		data, err := fetch(ctx, opts, u, nil)
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

// IsHTTP reports whether Load fetches source over HTTP (an http:// or https:// URL) rather
// than reading a file or stdin.
func IsHTTP(s string) bool {
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

// fetch GETs u within the fetch timeout and size cap. check, when set, vets every redirect
// target before it is requested. Errors name the URL without its user info and secret query
// values.
func fetch(ctx context.Context, opts Options, u *url.URL, check func(*url.URL) error) ([]byte, error) {
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	if check != nil {
		c := *client
		next := client.CheckRedirect
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if err := check(req.URL); err != nil {
				return err
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}
		client = &c
	}
	timeout := opts.FetchTimeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	limit := opts.maxFetch
	if limit <= 0 {
		limit = maxFetch
	}
	shown := redact.Default.URLOf(u)
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	failed := func(err error) error {
		if ctx.Err() == nil && errors.Is(fctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("GET %s: no complete answer within %v: %w", shown, timeout, context.DeadlineExceeded)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the whole URL
		}
		return fmt.Errorf("GET %s: %w", shown, err)
	}
	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, failed(err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		return nil, failed(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", shown, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("GET %s: document larger than %s", shown, sizeText(limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, failed(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: document larger than %s", shown, sizeText(limit))
	}
	return data, nil
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetchRef reads an http(s) $ref target of the document at base under the policy of
// Options.AllowRefs.
func fetchRef(ctx context.Context, base *url.URL, opts Options, u *url.URL) ([]byte, error) {
	check := func(target *url.URL) error { return refAllowed(base, opts.AllowRefs, target) }
	if err := check(u); err != nil {
		return nil, err
	}
	return fetch(ctx, opts, u, check)
}

// refAllowed says whether a document at base may reach target through a $ref: anything when
// the document is not from a URL, else its own scheme, host and port, and allowed hosts.
func refAllowed(base *url.URL, allow []string, target *url.URL) error {
	if base == nil || !isHTTPScheme(base.Scheme) {
		return nil
	}
	if !isHTTPScheme(target.Scheme) {
		return fmt.Errorf("cannot read $ref %q: unsupported scheme %q", redact.Default.URLOf(target), target.Scheme)
	}
	if strings.EqualFold(base.Scheme, target.Scheme) && strings.EqualFold(base.Hostname(), target.Hostname()) &&
		portOf(base) == portOf(target) {
		return nil
	}
	host, hostPort := strings.ToLower(target.Hostname()), strings.ToLower(target.Hostname())+":"+portOf(target)
	for _, p := range allow {
		subject := host
		if _, port := splitPattern(p); port != "" {
			subject = hostPort
		}
		if ok, _ := path.Match(normalizePattern(p), subject); ok {
			return nil
		}
	}
	return fmt.Errorf("cannot read $ref %q: not on %s, where the document came from (allow its host with --allow-ref)",
		redact.Default.URLOf(target), originOf(base))
}

func isHTTPScheme(s string) bool {
	return strings.EqualFold(s, "http") || strings.EqualFold(s, "https")
}

// portOf is the URL's port, the scheme's default when none is written.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

func originOf(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// splitPattern splits an allow-list entry into its host and port globs: "h", "h:8080",
// "[::1]", "[::1]:*".
func splitPattern(p string) (host, port string) {
	if strings.HasPrefix(p, "[") {
		end := strings.IndexByte(p, ']')
		if end < 0 {
			return p, ""
		}
		host, rest := p[1:end], p[end+1:]
		port, _ = strings.CutPrefix(rest, ":")
		return host, port
	}
	if i := strings.LastIndexByte(p, ':'); i >= 0 && strings.Count(p, ":") == 1 {
		return p[:i], p[i+1:]
	}
	return p, ""
}

// normalizePattern is the entry as matched: lower case, brackets of an IPv6 literal removed.
func normalizePattern(p string) string {
	host, port := splitPattern(strings.ToLower(strings.TrimSpace(p)))
	if port != "" {
		return host + ":" + port
	}
	return host
}

// CheckAllowRefs validates Options.AllowRefs entries: host globs, optionally with a port; the
// error names the first bad entry.
func CheckAllowRefs(patterns []string) error {
	for _, p := range patterns {
		host, port := splitPattern(strings.TrimSpace(p))
		var why string
		switch {
		case host == "":
			why = "empty host"
		case strings.Contains(p, "://") || strings.ContainsAny(p, "/?#@"):
			why = "want a host glob (example.com, *.example.com, host:8080), not a URL"
		case strings.HasPrefix(p, "[") && !strings.Contains(p, "]"):
			why = "unclosed ["
		default:
			if _, err := path.Match(normalizePattern(p), ""); err != nil {
				why = "bad glob"
			} else if port != "" {
				if _, err := path.Match(port, ""); err != nil || strings.Trim(port, "0123456789*?") != "" {
					why = "bad port"
				}
			}
		}
		if why != "" {
			return fmt.Errorf("allowed $ref host %q: %s", p, why)
		}
	}
	return nil
}
