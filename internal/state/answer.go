package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Answer answers a CRUD-shaped operation of a stateful collection from the store; it leaves
// the rest to the engine, and also a request whose Prefer asks for a given code or example,
// or whose Accept does not take JSON.
func (s *Store) Answer(w http.ResponseWriter, r *http.Request, m spec.Match) bool {
	b := s.bindings[m.Operation]
	if b == nil || !acceptsJSON(r.Header["Accept"]) {
		return false
	}
	if prefer := r.Header["Prefer"]; len(prefer) > 0 {
		if p := mock.ParsePrefer(prefer); p.Code != "" || p.Example != "" {
			return false
		}
	}
	var body map[string]any
	if b.act == actCreate || b.act == actReplace || b.act == actMerge {
		if !isJSON(r.Header.Get("Content-Type")) {
			return false // a form or another media type the operation takes: the engine's
		}
	}
	if s.engine.Refuse(w, r, m) {
		return true
	}
	if b.act == actCreate || b.act == actReplace || b.act == actMerge {
		var ok bool
		if body, ok = readObject(w, r); !ok {
			return true
		}
	}
	a := &answering{s: s, b: b, w: w, r: r, m: m, scope: b.scopeOf(m.PathParams)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.parentExists(b.col, a.scope) {
		a.notFound(b.col.parent, strings.TrimSuffix(b.collectionURL(r.URL.Path), "/"+lastSegment(b.col.path)))
		return true
	}
	switch b.act {
	case actCreate:
		a.create(body)
	case actList:
		a.list()
	case actRead:
		a.read()
	case actReplace, actMerge:
		a.update(body)
	case actDelete:
		a.remove()
	}
	return true
}

// answering is one request being answered; the store's lock is held.
type answering struct {
	s     *Store
	b     *binding
	w     http.ResponseWriter
	r     *http.Request
	m     spec.Match
	scope []string
}

func (a *answering) label(what, path string) {
	a.w.Header().Add(server.HeaderSimulation, "state="+what+" "+path)
}

// id is the request's resource id: the path parameter, or the body's id for PUT /pet.
func (a *answering) id(body map[string]any) string {
	if a.b.byBody {
		if a.b.col.idProp == "" {
			return ""
		}
		return keyOf(body[a.b.col.idProp])
	}
	return a.m.PathParams[a.b.idParam]
}

func (a *answering) create(body map[string]any) {
	c := a.b.col
	var key string
	if c.idProp != "" && body[c.idProp] != nil {
		key = keyOf(body[c.idProp])
		if a.s.get(c, a.scope, key) != nil {
			a.label("conflict", a.b.itemURL(a.r.URL.Path, key))
			a.refuse(http.StatusConflict, fmt.Sprintf("%s %s exists already", c.path, key))
			return
		}
	} else {
		id := a.s.newID(c, a.scope)
		key = keyOf(id)
		if c.idProp != "" {
			body[c.idProp] = id
		}
	}
	c.item.Complete(body, a.s.seedFor(c.key, key))
	a.s.put(c, a.scope, key, body)
	loc := a.b.itemURL(a.r.URL.Path, key)
	a.label("created", loc)
	if c.itemPath != "" {
		a.w.Header().Set("Location", loc)
	}
	a.resource(body)
}

func (a *answering) read() {
	key := a.id(nil)
	res := a.s.get(a.b.col, a.scope, key)
	if res == nil {
		a.notFound(a.b.col, a.r.URL.Path)
		return
	}
	a.label("read", a.r.URL.Path)
	a.resource(res.value)
}

func (a *answering) update(body map[string]any) {
	c := a.b.col
	key := a.id(body)
	if key == "" {
		a.refuse(http.StatusBadRequest, fmt.Sprintf("the body has no %s: say which %s to change", orDefault(c.idProp, "id"), c.path))
		return
	}
	loc := a.b.itemURL(a.r.URL.Path, key)
	res := a.s.get(c, a.scope, key)
	verb := "replaced"
	switch {
	case res == nil && (a.b.act == actMerge || a.b.byBody || c.hasCreate):
		a.notFound(c, loc)
		return
	case res == nil:
		verb = "created" // PUT on an item of a collection without POST creates it
	case a.b.act == actMerge:
		body, verb = mergePatch(res.value, body), "merged"
	}
	if c.idProp != "" {
		if v, ok := pathID(c, key, res); ok {
			body[c.idProp] = v // the id is the path's, whatever the body says
		}
	}
	c.item.Complete(body, a.s.seedFor(c.key, key))
	a.s.put(c, a.scope, key, body)
	a.label(verb, loc)
	a.resource(body)
}

// pathID is the id value to store for key: the stored one, else the key in the id's type.
func pathID(c *collection, key string, res *resource) (any, bool) {
	if res != nil {
		v, ok := res.value[c.idProp]
		return v, ok
	}
	if c.idType == "integer" {
		if _, err := strconv.ParseFloat(key, 64); err == nil {
			return json.Number(key), true
		}
	}
	return key, true
}

func (a *answering) remove() {
	key := a.id(nil)
	res := a.s.get(a.b.col, a.scope, key)
	if res == nil {
		a.notFound(a.b.col, a.r.URL.Path)
		return
	}
	a.s.remove(a.b.col, a.scope, key)
	a.label("deleted", a.r.URL.Path)
	a.resource(res.value)
}

// list answers the collection's resources in the declared shape: a bare array, or the array
// under the wrapper's property with its counts. Query parameters the operation declares that
// name a property filter by it; limit and offset page.
func (a *answering) list() {
	c := a.b.col
	all := a.s.list(c, a.scope)
	q := a.r.URL.Query()
	var items []any
	for _, res := range all {
		if a.keep(res.value, q) {
			items = append(items, a.view(res.value))
		}
	}
	total := len(items)
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && a.b.paging["offset"] && n > 0 {
		items = items[min(n, len(items)):]
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && a.b.paging["limit"] && n >= 0 {
		items = items[:min(n, len(items))]
	}
	body := a.b.success.Body
	var out any
	switch {
	case body.Type() == "array":
		out = capItems(items, body)
	case listProperty(body) != "":
		// The list, its counts, and generated values for the wrapper's other required
		// properties only: an optional next_cursor or next link would promise a page that
		// is not there.
		prop := listProperty(body)
		wrapper := map[string]any{prop: capItems(items, body.Property(prop))}
		for _, p := range body.Properties() {
			if body.Property(p).Type() == "integer" && contains(countNames, strings.ToLower(p)) {
				wrapper[p] = total
			}
		}
		body.Complete(wrapper, a.s.seedFor(c.key, "list"))
		out = mustNormalize(wrapper)
	default:
		a.s.engine.RespondAs(a.w, a.r, a.m, 0, "") // a list shape mockloop does not know
		return
	}
	a.label("listed", a.r.URL.Path+" ("+strconv.Itoa(total)+")")
	a.write(a.b.success.Status, out)
}

// keep reports whether a resource passes the query's filters: a query parameter the list
// operation declares and the resource has as a scalar property keeps the resources whose
// value is one of the parameter's (repeated, or separated by commas).
func (a *answering) keep(v map[string]any, q map[string][]string) bool {
	for name, vals := range q {
		if !a.b.paging[name] || name == "limit" || name == "offset" {
			continue
		}
		prop, ok := v[name]
		if !ok {
			if !a.b.col.item.Property(name).Defined() {
				continue // not a property: a parameter of another kind
			}
			return false
		}
		switch prop.(type) {
		case map[string]any, []any:
			continue
		}
		match := false
		for _, val := range vals {
			for _, part := range strings.Split(val, ",") {
				if strings.TrimSpace(part) == keyOf(prop) {
					match = true
				}
			}
		}
		if !match {
			return false
		}
	}
	return true
}

func capItems(items []any, array mock.Schema) []any {
	if items == nil {
		items = []any{}
	}
	if n := array.MaxItems(); n >= 0 && len(items) > n {
		items = items[:n]
	}
	return items
}

// view is a stored resource as an answer carries it: a copy, writeOnly properties left out.
func (a *answering) view(v map[string]any) map[string]any {
	out := deepCopy(v).(map[string]any)
	return a.b.col.item.ResponseView(out)
}

// resource answers with one resource (see write).
func (a *answering) resource(v map[string]any) { a.write(a.b.success.Status, a.view(v)) }

// write answers status with body. status 0 is "the operation declares no success": the
// conventional status for the action (201 create, 204 delete, else 200) with the body as
// JSON. A success declared without a body is sent without one; a body that does not validate
// against the declared JSON body gets the spec's own answer for the status instead.
func (a *answering) write(status int, body any) {
	succ := a.b.success
	h := a.w.Header()
	if status == 0 {
		status = map[action]int{actCreate: http.StatusCreated, actDelete: http.StatusNoContent}[a.b.act]
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusNoContent {
			a.w.WriteHeader(status)
			return
		}
		writeJSON(a.w, a.r, status, "application/json", body)
		return
	}
	if succ.ContentType == "" || !succ.Body.Defined() || status == http.StatusNoContent || !succ.Body.Conforms(body) {
		// No JSON body to carry the resource (none, or another media type), or one it does
		// not fit: the spec's own answer for the status. Location stays ours.
		w := http.ResponseWriter(a.w)
		if loc := h.Get("Location"); loc != "" {
			w = keepHeader{ResponseWriter: a.w, name: "Location", value: loc}
		}
		if !a.s.engine.RespondAs(w, a.r, a.m, status, "") {
			w.WriteHeader(status)
		}
		return
	}
	for k, v := range succ.Header {
		if _, ok := h[k]; !ok {
			h[k] = v // declared headers, generated; what the answer set (Location) wins
		}
	}
	writeJSON(a.w, a.r, status, succ.ContentType, body)
}

// keepHeader keeps one header's value whatever the handler it is given to sets (the engine
// sets a declared Location header to its example).
type keepHeader struct {
	http.ResponseWriter
	name, value string
}

func (k keepHeader) WriteHeader(code int) {
	k.Header().Set(k.name, k.value)
	k.ResponseWriter.WriteHeader(code)
}

func (k keepHeader) Unwrap() http.ResponseWriter { return k.ResponseWriter }

// notFound answers the spec's 404 for the operation, problem+json when it declares none.
func (a *answering) notFound(c *collection, path string) {
	a.label("not-found", path)
	a.refuse(http.StatusNotFound, fmt.Sprintf("no resource %s in %s", path, c.path))
}

// refuse answers status as the spec declares it (exactly, by range or default), else as
// problem+json with detail.
func (a *answering) refuse(status int, detail string) {
	if a.s.engine.RespondAs(a.w, a.r, a.m, status, "") {
		return
	}
	problem.Write(a.w, problem.Details{Status: status, Detail: detail})
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "encode the resource: " + err.Error()})
		return
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// readObject reads the request body as a JSON object; a body that is not one is answered 400.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	data, err := io.ReadAll(r.Body)
	var v any
	if err == nil {
		v, err = decode(data)
	}
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		detail := "the body must be a JSON object"
		if err != nil {
			detail += ": " + err.Error()
		}
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid request", Detail: detail})
		return nil, false
	}
	return obj, true
}

func isJSON(contentType string) bool {
	return contentType != "" && spec.IsJSONMediaType(contentType) && !strings.HasPrefix(strings.TrimSpace(contentType), "*/*")
}

// acceptsJSON reports whether Accept takes application/json (no Accept takes anything).
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || params["q"] == "0" {
				continue
			}
			if mt == "*/*" || mt == "application/*" || spec.IsJSONMediaType(mt) {
				return true
			}
		}
	}
	return false
}

func mustNormalize(v any) any {
	out, err := normalize(v)
	if err != nil {
		return nil
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lastSegment(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
