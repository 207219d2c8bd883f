// Package override changes, at run time, what the mock answers for an operation: one fixed
// answer (status, headers, body), a named example of the operation, or a sequence of answers
// (each used once, then the last repeats, or the sequence starts again), optionally for a
// number of answers only. Overrides come from the plugin file, the admin API
// (/__mockloop/overrides) and MCP. A Store is a server.Answerer: it answers on the mock side
// before the stateful mock and the engine, and says so in X-Mockloop-Simulation.
package override

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Errors of Set and Delete; the admin API answers them with 404 and 400.
var (
	ErrUnknownOperation = errors.New("no such operation")
	ErrInvalid          = errors.New("invalid override")
	ErrNotSet           = errors.New("no override")
)

// Store holds the overrides of one document's operations. It is safe for concurrent use.
type Store struct {
	doc    *spec.Document
	engine *mock.Engine

	mu   sync.Mutex
	byOp map[*spec.Operation]*active
	// set is len(byOp), stored under mu after each change: Answer reads it first, so that a
	// server without overrides (the usual case) takes no lock per request.
	set atomic.Int64

	answered atomic.Int64
}

// active is one operation's override and where its sequence is.
type active struct {
	op       *spec.Operation
	spec     plugin.Override
	seq      []answer
	next     int // index of the answer to give next
	used     int // answers given
	warnings []problem.Item
}

// answer is one prepared answer: a body encoded once, or a named example of the operation.
type answer struct {
	status  int
	header  http.Header // with Content-Type and Content-Length when there is a body
	body    []byte
	example string
}

// New returns an empty store for doc's operations, answering examples with engine.
func New(doc *spec.Document, engine *mock.Engine) *Store {
	return &Store{doc: doc, engine: engine, byOp: map[*spec.Operation]*active{}}
}

// Operation finds an operation by operationId, or by "METHOD /template".
func (s *Store) Operation(id string) *spec.Operation {
	id = strings.TrimSpace(id)
	for _, op := range s.doc.Operations {
		if op.ID == id {
			return op
		}
	}
	if method, path, ok := strings.Cut(id, " "); ok {
		method = strings.ToUpper(method)
		for _, op := range s.doc.Operations {
			if op.Method == method && op.Path == strings.TrimSpace(path) {
				return op
			}
		}
	}
	return nil
}

// Set replaces the override of the operation id names. An override whose bodies violate the
// response schema, or whose status the operation does not declare, is set all the same
// (testing bad answers is legitimate): what is wrong comes back as warnings. Errors:
// ErrUnknownOperation, ErrInvalid (what Override.Check reports, an example the operation does
// not declare, a body that cannot be encoded).
func (s *Store) Set(id string, o plugin.Override) ([]problem.Item, error) {
	op := s.Operation(id)
	if op == nil {
		return nil, fmt.Errorf("%w %q in %s", ErrUnknownOperation, id, s.doc.Source)
	}
	if msgs := o.Check(); len(msgs) > 0 {
		return nil, fmt.Errorf("%w for %s: %s", ErrInvalid, name(op), strings.Join(msgs, "; "))
	}
	a := &active{op: op, spec: o}
	for i, r := range o.Sequence() {
		where := ""
		if len(o.Responses) > 0 {
			where = fmt.Sprintf("responses[%d].", i)
		}
		ans, warns, err := s.prepare(op, r, where)
		if err != nil {
			if where != "" {
				err = fmt.Errorf("%s: %w", strings.TrimSuffix(where, "."), err)
			}
			return nil, fmt.Errorf("%w for %s: %v", ErrInvalid, name(op), err)
		}
		a.seq = append(a.seq, ans)
		a.warnings = append(a.warnings, warns...)
	}
	s.mu.Lock()
	s.byOp[op] = a
	s.set.Store(int64(len(s.byOp)))
	s.mu.Unlock()
	return a.warnings, nil
}

// prepare encodes one answer and checks it against the operation.
func (s *Store) prepare(op *spec.Operation, r plugin.OverrideResponse, where string) (answer, []problem.Item, error) {
	ans := answer{status: r.Status, example: r.Example, header: http.Header{}}
	for k, v := range r.Headers {
		ans.header.Set(k, v)
	}
	probe := &http.Request{Method: op.Method, URL: &url.URL{Path: op.Path}, Header: http.Header{}}
	m := spec.Match{Operation: op}
	if ans.example != "" {
		if !s.engine.RespondAs(discard{}, probe, m, ans.status, ans.example) {
			if ans.status != 0 {
				return ans, nil, fmt.Errorf("%s declares no example %q for status %d", op.Key(), ans.example, ans.status)
			}
			return ans, nil, fmt.Errorf("%s declares no example %q", op.Key(), ans.example)
		}
		return ans, nil, nil
	}
	if ans.status == 0 {
		ans.status = s.engine.Success(op).Status
		if ans.status == 0 {
			ans.status = http.StatusOK
		}
	}
	if r.Body != nil {
		ct := ans.header.Get("Content-Type")
		if ct == "" {
			ct = "application/json"
			ans.header.Set("Content-Type", ct)
		}
		if text, ok := r.Body.(string); ok && !spec.IsJSONMediaType(ct) {
			ans.body = []byte(text)
		} else {
			data, err := json.Marshal(r.Body)
			if err != nil {
				return ans, nil, fmt.Errorf("body: %v", err)
			}
			ans.body = data
		}
		ans.header.Set("Content-Length", strconv.Itoa(len(ans.body)))
	}
	var warns []problem.Item
	if !s.engine.RespondAs(discard{}, probe, m, ans.status, "") {
		warns = append(warns, problem.Item{Location: where + "status",
			Message: fmt.Sprintf("%s declares no response %d (nor its range or a default)", op.Key(), ans.status)})
	}
	for _, it := range s.engine.ValidateResponse(op, probe, ans.status, ans.header, ans.body) {
		it.Location = where + it.Location
		warns = append(warns, it)
	}
	return ans, warns, nil
}

// Delete removes the override of the operation id names (ErrUnknownOperation, ErrNotSet).
func (s *Store) Delete(id string) error {
	op := s.Operation(id)
	if op == nil {
		return fmt.Errorf("%w %q in %s", ErrUnknownOperation, id, s.doc.Source)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byOp[op] == nil {
		return fmt.Errorf("%w for %s", ErrNotSet, name(op))
	}
	delete(s.byOp, op)
	s.set.Store(int64(len(s.byOp)))
	return nil
}

// Clear removes every override and returns how many there were.
func (s *Store) Clear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.byOp)
	clear(s.byOp)
	s.set.Store(0)
	return n
}

// View is one override as the admin API and MCP show it.
type View struct {
	OperationID string          `json:"operation_id,omitempty"`
	Operation   string          `json:"operation"` // "GET /pets/{id}"
	Override    plugin.Override `json:"override"`
	Answered    int             `json:"answered"`            // answers given so far
	Next        int             `json:"next"`                // index in the sequence of the next answer
	Remaining   *int            `json:"remaining,omitempty"` // answers left, with times
	Warnings    []problem.Item  `json:"warnings,omitempty"`
}

func (a *active) view() View {
	v := View{OperationID: a.op.ID, Operation: a.op.Key(), Override: a.spec, Answered: a.used, Next: a.next, Warnings: a.warnings}
	if a.spec.Times > 0 {
		left := a.spec.Times - a.used
		v.Remaining = &left
	}
	return v
}

// List is every override, in document order.
func (s *Store) List() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.byOp))
	for _, a := range s.byOp {
		out = append(out, a.view())
	}
	index := map[string]int{}
	for i, op := range s.doc.Operations {
		index[op.Key()] = i
	}
	sort.Slice(out, func(i, j int) bool { return index[out[i].Operation] < index[out[j].Operation] })
	return out
}

// Get is the override of the operation id names (ErrUnknownOperation, ErrNotSet).
func (s *Store) Get(id string) (View, error) {
	op := s.Operation(id)
	if op == nil {
		return View{}, fmt.Errorf("%w %q in %s", ErrUnknownOperation, id, s.doc.Source)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.byOp[op]
	if a == nil {
		return View{}, fmt.Errorf("%w for %s", ErrNotSet, name(op))
	}
	return a.view(), nil
}

// Answer gives the operation's next overridden answer, when it has an override.
func (s *Store) Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	if s.set.Load() == 0 {
		return false
	}
	s.mu.Lock()
	a := s.byOp[m.Operation]
	if a == nil {
		s.mu.Unlock()
		return false
	}
	i := a.next
	switch {
	case i < len(a.seq)-1:
		a.next++
	case a.spec.Cycle:
		a.next = 0
	}
	a.used++
	if a.spec.Times > 0 && a.used >= a.spec.Times {
		delete(s.byOp, m.Operation)
		s.set.Store(int64(len(s.byOp)))
	}
	ans := a.seq[i]
	s.mu.Unlock()
	s.answered.Add(1)

	label := "override=" + name(m.Operation)
	if len(a.seq) > 1 {
		label += " " + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(a.seq))
	}
	h := w.Header()
	h.Add(server.HeaderSimulation, label)
	if ans.example != "" {
		for k, v := range ans.header {
			h[k] = v
		}
		if !s.engine.RespondAs(w, r, m, ans.status, ans.example) {
			problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "the override's example " + ans.example + " is gone"})
		}
		return true
	}
	for k, v := range ans.header {
		h[k] = v // prepared once, never changed: shared
	}
	w.WriteHeader(ans.status)
	if len(ans.body) > 0 && r.Method != http.MethodHead && ans.status >= 200 && ans.status != http.StatusNoContent && ans.status != http.StatusNotModified {
		_, _ = w.Write(ans.body)
	}
	return true
}

// Status is what GET /__mockloop/status shows of the overrides.
type Status struct {
	Active           int   `json:"active"`
	Answered         int64 `json:"answered"`
	SchemaViolations int   `json:"schema_violations"` // problems of the active overrides' answers against the spec
}

// Status counts the active overrides, the answers they gave, and their violations.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Active: len(s.byOp), Answered: s.answered.Load()}
	for _, a := range s.byOp {
		st.SchemaViolations += len(a.warnings)
	}
	return st
}

// name is how answers and messages name an operation: its operationId, else METHOD /template.
func name(op *spec.Operation) string {
	if op.ID != "" {
		return op.ID
	}
	return op.Key()
}

// discard is a ResponseWriter that keeps nothing: RespondAs into it tells whether the engine
// can give an answer.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// decodeOverride reads an override sent as JSON: unknown keys are errors, numbers exact.
func decodeOverride(data []byte) (plugin.Override, error) {
	var o plugin.Override
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return o, err
	}
	if dec.More() {
		return o, errors.New("more than one JSON value")
	}
	return o, nil
}
