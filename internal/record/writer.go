package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Defaults of the writer's bounds.
const (
	// DefaultMaxBody is the longest body recorded whole (1 MiB); longer ones are recorded
	// truncated, with a note.
	DefaultMaxBody = 1 << 20
	// DefaultMaxEntries is how many entries an operation's file keeps (the newest).
	DefaultMaxEntries = 100
)

// Options tune a Writer. The zero value keeps the newest answer per request, bodies up to
// DefaultMaxBody and DefaultMaxEntries entries per operation, and redacts with the default
// policy only.
type Options struct {
	MaxBody    int
	MaxEntries int
	// KeepAll keeps every answer to the same request, as a sequence that replay serves in
	// order; otherwise the newest replaces the older ones.
	KeepAll bool
	// Redactor keeps secrets out of the files; nil redacts what redact.Default names.
	Redactor *Redactor
	// Errors receives one line per operation whose file could not be written; nil discards.
	Errors io.Writer
}

// Writer records live answers into a directory, one file per operation. A file is always
// rewritten whole and atomically (a temporary file renamed over it, mode 0600), so a reader
// never sees half a file. Add writes at once; ObserveLive (serve --record) only updates the
// operation in memory and a background flush writes the changed files at most every
// FlushEvery, so a request never waits for the disk: Close writes what is left. It is safe
// for concurrent use.
type Writer struct {
	dir  string
	opts Options
	// doc and rd are the document that routes answers to path parameters and the redaction;
	// Reconfigure replaces them when serve reloads.
	doc atomic.Pointer[spec.Document]
	rd  atomic.Pointer[Redactor]

	mu       sync.Mutex
	ops      map[string]*opFile // by operation key
	names    map[string]string  // file name -> operation key
	failed   map[string]bool    // operations whose write failure was reported
	dirty    map[*opFile]bool
	flushing bool
	kick     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	closed   bool
}

// FlushEvery is how often ObserveLive's changes are written at most.
const FlushEvery = 100 * time.Millisecond

type opFile struct {
	mu   sync.Mutex
	name string
	file File
}

// NewWriter opens dir for recording the operations of doc, creating it (mode 0700) when
// missing. Recordings already there are kept and added to; a file there that is not a
// recording is an error naming it.
func NewWriter(dir string, doc *spec.Document, opts Options) (*Writer, error) {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Redactor == nil {
		opts.Redactor, _ = NewRedactor(nil, nil, nil)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	w := &Writer{dir: dir, opts: opts, ops: map[string]*opFile{}, names: map[string]string{}, failed: map[string]bool{},
		dirty: map[*opFile]bool{}, kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	w.Reconfigure(doc, opts.Redactor)
	files, err := readFiles(dir)
	if err != nil && !errors.Is(err, errNoFile) {
		return nil, err
	}
	for _, rf := range files {
		if prev, ok := w.ops[rf.file.Operation]; ok {
			return nil, fmt.Errorf("record: %s and %s both hold %s", filepath.Join(dir, prev.name), filepath.Join(dir, rf.name), rf.file.Operation)
		}
		w.ops[rf.file.Operation] = &opFile{name: rf.name, file: rf.file}
		w.names[rf.name] = rf.file.Operation
	}
	return w, nil
}

// Reconfigure makes doc (which may be nil) route the answers from now on, redacted by rd (nil
// keeps the redaction): serve calls it when it reloads the spec or the plugin.
func (w *Writer) Reconfigure(doc *spec.Document, rd *Redactor) {
	w.doc.Store(doc)
	if rd != nil {
		w.rd.Store(rd)
	}
}

// Dir is the directory recorded into.
func (w *Writer) Dir() string { return w.dir }

// ObserveLive records x (server.LiveObserver): in memory at once, on disk within
// FlushEvery. A write failure is reported once per operation on Options.Errors; the answer
// the client got is not affected.
func (w *Writer) ObserveLive(x *server.Exchange) {
	f := w.update(x)
	if f == nil {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.writeReporting(f)
		return
	}
	defer w.mu.Unlock()
	w.dirty[f] = true
	if !w.flushing {
		w.flushing = true
		go w.flushLoop()
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// flushLoop writes the changed files, at most every FlushEvery, until Close.
func (w *Writer) flushLoop() {
	defer close(w.stopped)
	for {
		select {
		case <-w.kick:
		case <-w.done:
			w.flush()
			return
		}
		w.flush()
		select {
		case <-time.After(FlushEvery):
		case <-w.done:
			w.flush()
			return
		}
	}
}

// flush writes every changed file.
func (w *Writer) flush() {
	w.mu.Lock()
	files := make([]*opFile, 0, len(w.dirty))
	for f := range w.dirty {
		files = append(files, f)
	}
	clear(w.dirty)
	w.mu.Unlock()
	for _, f := range files {
		w.writeReporting(f)
	}
}

// writeReporting writes f, reporting the first failure of its operation.
func (w *Writer) writeReporting(f *opFile) {
	f.mu.Lock()
	err := writeAtomic(filepath.Join(w.dir, f.name), f.file)
	key := f.file.Operation
	f.mu.Unlock()
	if err == nil {
		return
	}
	first := !w.failedOnce(key)
	if first && w.opts.Errors != nil {
		fmt.Fprintf(w.opts.Errors, "mockloop: record: %s: %v\n", key, err)
	}
}

func (w *Writer) failedOnce(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.failed[key]
	w.failed[key] = true
	return seen
}

// Close writes what ObserveLive has not written yet and stops the background flush. Later
// answers are written at once.
func (w *Writer) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	started := w.flushing
	w.mu.Unlock()
	if started {
		close(w.done)
		<-w.stopped
	}
	w.flush()
}

// Add records one live answer and writes its operation's file before it returns (test run
// --record). Answers to paths in no operation are not recorded (nil).
func (w *Writer) Add(x *server.Exchange) error {
	f := w.update(x)
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return writeAtomic(filepath.Join(w.dir, f.name), f.file)
}

// update adds x to its operation's entries in memory; nil when x is not recorded.
func (w *Writer) update(x *server.Exchange) *opFile {
	if x.Operation == nil || x.Request == nil || x.Request.URL == nil {
		return nil
	}
	op := x.Operation
	key := op.Key()
	rd := w.rd.Load()
	var params map[string]string
	if doc := w.doc.Load(); doc != nil {
		params = doc.Find(op.Method, x.Request.URL.EscapedPath()).PathParams
	}
	req, fp := rd.request(op.Method, x.Request.URL.Path, x.Request.URL.RawQuery, params, x.Request.Header, x.RequestBody, key)
	e := Entry{Fingerprint: fp, Request: req, LatencyMS: float64(x.Latency.Microseconds()) / 1000, RecordedAt: x.Started.UTC().Truncate(time.Millisecond)}
	if e.RecordedAt.IsZero() {
		e.RecordedAt = time.Now().UTC().Truncate(time.Millisecond)
	}
	e.Response.Status = x.Status
	e.Response.Headers = rd.Headers(x.Header)
	body := x.Body
	truncated := x.Truncated && len(body) >= w.opts.MaxBody
	if len(body) > w.opts.MaxBody {
		body, truncated = body[:w.opts.MaxBody], true
	}
	body, e.Response.Redacted = rd.Body(body)
	e.Response.SetBody(body, e.Response.ContentType())
	if truncated {
		e.Response.Truncated = true
		e.Response.TruncatedNote = fmt.Sprintf("the body was longer than %d bytes (--record-max-body): only its beginning is kept", w.opts.MaxBody)
	}

	f := w.opFile(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	entries := f.file.Entries
	if !w.opts.KeepAll {
		kept := entries[:0]
		for _, old := range entries {
			if old.Fingerprint != fp {
				kept = append(kept, old)
			}
		}
		entries = kept
	}
	entries = append(entries, e)
	if over := len(entries) - w.opts.MaxEntries; over > 0 {
		entries = entries[over:]
	}
	f.file.Entries = entries
	return f
}

// opFile is the state of op's file, created (and named) on first use.
func (w *Writer) opFile(op *spec.Operation) *opFile {
	key := op.Key()
	w.mu.Lock()
	defer w.mu.Unlock()
	if f, ok := w.ops[key]; ok {
		if f.file.OperationID == "" {
			f.file.OperationID = op.ID
		}
		return f
	}
	base := FileName(op)
	name := base + ".json"
	for i := 2; w.names[name] != ""; i++ {
		name = base + "-" + strconv.Itoa(i) + ".json"
	}
	f := &opFile{name: name, file: File{Version: FormatVersion, Operation: key, OperationID: op.ID}}
	w.ops[key] = f
	w.names[name] = key
	return f
}

var (
	safeIDRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	unsafeRun = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// FileName is the base name (without .json) of op's recording file: its operationId when
// that is a safe file name, else METHOD_path with the path's unsafe characters as '_'.
func FileName(op *spec.Operation) string {
	if safeIDRE.MatchString(op.ID) && !strings.Contains(op.ID, "..") {
		return op.ID
	}
	slug := strings.Trim(unsafeRun.ReplaceAllString(op.Path, "_"), "_.")
	if len(slug) > 90 {
		slug = slug[:90]
	}
	if slug == "" {
		slug = "root"
	}
	return op.Method + "_" + slug
}

// writeAtomic writes f as indented JSON to path, atomically, mode 0600.
func writeAtomic(path string, f File) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes(), 0o600)
}
