// Package state is the stateful mock: collections of resources inferred from the paths of a
// document (POST /pets creates, GET /pets lists, GET, PUT, PATCH and DELETE /pets/{id} read,
// replace, merge and delete; nested collections such as /users/{uid}/orders are scoped by
// their parent), kept in memory, bounded, seeded from the spec's examples on request, and
// inspectable and resettable over the admin API. A Store is a server.Answerer: it answers the
// CRUD-shaped operations on the mock side (after any runtime override), with answers that
// validate against the spec, and leaves every other operation to the engine.
package state

import (
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/spec"
)

// DefaultMaxResources bounds each collection when Options.MaxResources is 0.
const DefaultMaxResources = 1000

// Options tune a Store.
type Options struct {
	// MaxResources bounds each collection (all its parent scopes together); when a create
	// would go beyond, the oldest resource goes. 0 is DefaultMaxResources.
	MaxResources int
	// Seed makes generated ids (uuids) and generated values of required fields repeatable.
	Seed uint64
	// SeedExamples fills the collections from the spec's examples at start and on reset.
	SeedExamples bool
}

// action is what an operation does to its collection.
type action int

const (
	actCreate  action = iota // POST /pets
	actList                  // GET /pets
	actRead                  // GET /pets/{id}
	actReplace               // PUT /pets/{id}, or PUT /pets with the id in the body
	actMerge                 // PATCH /pets/{id}, or PATCH /pets with the id in the body
	actDelete                // DELETE /pets/{id}
)

var actionNames = [...]string{"create", "list", "read", "replace", "merge", "delete"}

func (a action) String() string { return actionNames[a] }

// binding is one CRUD-shaped operation of a stateful collection.
type binding struct {
	op      *spec.Operation
	col     *collection
	act     action
	byBody  bool     // the id is in the body, not the path (PUT /pet)
	scope   []string // the names of the collection path's parameters in this operation's path
	idParam string   // item operations: the name of the id parameter
	success mock.Success
	body    mock.Schema // the JSON request body, for create, replace and merge
	paging  map[string]bool
}

// collection is one collection path of the document (its parameters' names erased).
type collection struct {
	key      string // "/users/{}/orders"
	path     string // the collection path as the first operation on it spells it
	itemPath string // "/users/{uid}/orders/{oid}", "" when no operation addresses one item
	depth    int    // number of parameters in the collection path
	parent   *collection
	children []*collection

	item       mock.Schema // the resource's schema
	idProp     string      // the resource's property that holds its id; "" when none
	idSchema   mock.Schema // the id property's schema (zero when idProp is "")
	idType     string      // "integer", "uuid" or "string"
	hasCreate  bool
	operations []*binding
}

// Store is the stateful mock of one document. It is safe for concurrent use.
type Store struct {
	doc         *spec.Document
	engine      *mock.Engine
	opts        Options
	collections []*collection // document order
	bindings    map[*spec.Operation]*binding

	mu   sync.Mutex
	data map[*collection]*colData
}

// New infers the collections of doc. Operations that are not CRUD-shaped (a body that is not
// a JSON object, a resource that is not an object, a path under no collection) are left to
// the engine.
func New(doc *spec.Document, engine *mock.Engine, opts Options) *Store {
	if opts.MaxResources <= 0 {
		opts.MaxResources = DefaultMaxResources
	}
	s := &Store{doc: doc, engine: engine, opts: opts, bindings: map[*spec.Operation]*binding{}, data: map[*collection]*colData{}}
	byKey := map[string]*collection{}
	var order []*collection
	for _, op := range doc.Operations {
		b := classify(op)
		if b == nil {
			continue
		}
		key := erase(b.colPath)
		c := byKey[key]
		if c == nil {
			c = &collection{key: key, path: b.colPath, depth: len(b.scope)}
			byKey[key] = c
			order = append(order, c)
		}
		if b.idParam != "" && c.itemPath == "" {
			c.itemPath = op.Path
		}
		b.col = c
		b.success = engine.Success(op)
		b.body = engine.RequestBody(op)
		c.operations = append(c.operations, &b.binding)
	}
	for _, c := range order {
		if s.resolve(c) {
			s.collections = append(s.collections, c)
		}
	}
	for _, c := range s.collections {
		if k := parentKey(c.key); k != "" {
			if p := byKey[k]; p != nil && slices.Contains(s.collections, p) {
				c.parent = p
				p.children = append(p.children, c)
			}
		}
		for _, b := range c.operations {
			s.bindings[b.op] = b
		}
	}
	s.reset()
	return s
}

// classified is a binding before its collection is known.
type classified struct {
	binding
	colPath string
}

// classify finds what op does to which collection path, nil when it is not CRUD-shaped.
func classify(op *spec.Operation) *classified {
	segs := strings.Split(strings.Trim(op.Path, "/"), "/")
	if len(segs) == 0 || segs[0] == "" {
		return nil
	}
	last := segs[len(segs)-1]
	b := &classified{binding: binding{op: op}}
	colSegs := segs
	if name, ok := param(last); ok {
		if len(segs) < 2 {
			return nil
		}
		if _, ok := param(segs[len(segs)-2]); ok {
			return nil // /a/{x}/{y}: no collection name between them
		}
		b.idParam = name
		colSegs = segs[:len(segs)-1]
		switch op.Method {
		case "GET":
			b.act = actRead
		case "PUT":
			b.act = actReplace
		case "PATCH":
			b.act = actMerge
		case "DELETE":
			b.act = actDelete
		default:
			return nil
		}
	} else {
		switch op.Method {
		case "POST":
			b.act = actCreate
		case "GET":
			b.act = actList
		case "PUT":
			b.act, b.byBody = actReplace, true
		case "PATCH":
			b.act, b.byBody = actMerge, true
		default:
			return nil
		}
	}
	for _, s := range colSegs {
		if name, ok := param(s); ok {
			b.scope = append(b.scope, name)
		} else if strings.ContainsAny(s, "{}") {
			return nil // a segment that is part parameter (/files/{name}.json)
		}
	}
	b.colPath = "/" + strings.Join(colSegs, "/")
	b.paging = map[string]bool{}
	if b.act == actList {
		params, _ := op.Inputs()
		for _, p := range params {
			if p.In == "query" {
				b.paging[p.Name] = true
			}
		}
	}
	return b
}

// param reports whether a path segment is exactly one parameter, and its name.
func param(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' && !strings.ContainsAny(seg[1:len(seg)-1], "{}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// erase replaces parameter names with {} so that /users/{id}/orders and /users/{uid}/orders
// are one collection.
func erase(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if _, ok := param(s); ok {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// parentKey is the erased collection path of the parent of the collection with key k
// (/users/{}/orders → /users), "" when it has none.
func parentKey(k string) string {
	i := strings.LastIndex(k, "/{}/")
	if i < 0 {
		return ""
	}
	if strings.Contains(k[i+4:], "/") {
		return ""
	}
	return k[:i]
}

// resolve decides whether c is stateful: it needs a resource that is a JSON object, a way to
// create one (a POST with a JSON object body, or a PUT on an item) and a way to read them (a
// GET on the collection or an item). It drops the operations whose bodies do not fit.
func (s *Store) resolve(c *collection) bool {
	var kept []*binding
	for _, b := range c.operations {
		switch b.act {
		case actCreate, actReplace, actMerge:
			if b.body.Type() != "object" {
				continue
			}
			if b.act == actCreate {
				c.hasCreate = true
			}
		}
		kept = append(kept, b)
	}
	c.operations = kept
	creates := c.hasCreate
	for _, b := range kept {
		if b.act == actReplace && !b.byBody {
			creates = true // PUT on an item upserts when there is no POST
		}
	}
	reads := false
	for _, b := range kept {
		reads = reads || b.act == actRead || b.act == actList
	}
	if !creates || !reads {
		return false // nothing to keep (POST /search), or nothing to put in it
	}
	c.item = resourceSchema(kept)
	if c.item.Type() != "object" {
		return false
	}
	c.pickID()
	return true
}

// resourceSchema is the schema of one resource: what reading one answers, else what creating
// answers, else a list's items, else what replacing answers, else what creating sends.
func resourceSchema(bs []*binding) mock.Schema {
	for _, want := range []action{actRead, actCreate, actList, actReplace, actMerge} {
		for _, b := range bs {
			if b.act != want {
				continue
			}
			body := b.success.Body
			if want == actList {
				body = listItems(body)
			}
			if body.Type() == "object" {
				return body
			}
		}
	}
	for _, b := range bs {
		if b.act == actCreate {
			return b.body
		}
	}
	return mock.Schema{}
}

// pickID finds the resource property that holds its id, and the id's type.
func (c *collection) pickID() {
	param := ""
	for _, b := range c.operations {
		if b.idParam != "" {
			param = b.idParam
			break
		}
	}
	props := c.item.Properties()
	singular := strings.TrimSuffix(c.key[strings.LastIndex(c.key, "/")+1:], "s")
	candidates := []string{param, "id"}
	lparam := strings.ToLower(param)
	for _, p := range props {
		l := strings.ToLower(p)
		if l == lparam || l == strings.ToLower(singular)+"id" || l == strings.ToLower(singular)+"_id" || l == "uuid" {
			candidates = append(candidates, p)
		}
	}
	for _, p := range props {
		// tree_sha names sha, gist_id and petId name id (already a candidate)
		if l := strings.ToLower(p); l != lparam && (strings.HasSuffix(lparam, "_"+l) || strings.HasSuffix(param, strings.ToUpper(p[:1])+p[1:])) {
			candidates = append(candidates, p)
		}
	}
	for _, cand := range candidates {
		if cand != "" && slices.Contains(props, cand) {
			c.idProp, c.idSchema = cand, c.item.Property(cand)
			break
		}
	}
	c.idType = "string"
	typ, format := c.idSchema.Type(), c.idSchema.Format()
	if c.idProp == "" {
		typ, format = c.paramType(param)
	}
	switch {
	case typ == "integer" || typ == "number":
		c.idType = "integer"
	case format == "uuid":
		c.idType = "uuid"
	}
}

// paramType is the type and format of the id path parameter, for resources that do not carry
// their id.
func (c *collection) paramType(name string) (typ, format string) {
	for _, b := range c.operations {
		if b.idParam != name {
			continue
		}
		params, _ := b.op.Inputs()
		for _, p := range params {
			if p.In == "path" && p.Name == name {
				typ, _ = p.Schema["type"].(string)
				format, _ = p.Schema["format"].(string)
				return typ, format
			}
		}
	}
	return "", ""
}

// listItems is the schema of the resources a list answer carries: a bare array's items, or
// the items of the array property of the object that wraps them.
func listItems(body mock.Schema) mock.Schema {
	if body.Type() == "array" {
		return body.Items()
	}
	if prop := listProperty(body); prop != "" {
		return body.Property(prop).Items()
	}
	return mock.Schema{}
}

// wrapperNames are the usual names of the property a list is wrapped in, most likely first.
var wrapperNames = []string{"data", "items", "results", "content", "values", "records", "entries", "list"}

// listProperty is the property of a wrapper object that holds the list: its only array of
// objects, else the one with a usual name; "" when there is none.
func listProperty(body mock.Schema) string {
	if body.Type() != "object" {
		return ""
	}
	var arrays []string
	for _, p := range body.Properties() {
		if ps := body.Property(p); ps.Type() == "array" && ps.Items().Type() == "object" {
			arrays = append(arrays, p)
		}
	}
	if len(arrays) == 1 {
		return arrays[0]
	}
	for _, n := range wrapperNames {
		if slices.Contains(arrays, n) {
			return n
		}
	}
	return ""
}

// countNames are the integer properties of a list wrapper that count its resources.
var countNames = []string{"total", "count", "totalcount", "total_count", "totalitems", "total_items",
	"totalresults", "total_results", "totalelements", "total_elements", "totalsize", "total_size"}

// scopeOf is the parent scope of a request: the values of the collection path's parameters,
// in path order.
func (b *binding) scopeOf(params map[string]string) []string {
	out := make([]string, len(b.scope))
	for i, n := range b.scope {
		out[i] = params[n]
	}
	return out
}

// collectionURL is the request path of the collection a request is on (for Location).
func (b *binding) collectionURL(path string) string {
	if b.idParam == "" {
		return strings.TrimRight(path, "/")
	}
	path = strings.TrimRight(path, "/")
	return path[:strings.LastIndex(path, "/")]
}

// itemURL is the path of one resource of the collection a request is on.
func (b *binding) itemURL(path, key string) string {
	return b.collectionURL(path) + "/" + url.PathEscape(key)
}
