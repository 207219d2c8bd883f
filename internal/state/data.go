package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// colData is what one collection holds: resources by parent scope and key, in creation order.
type colData struct {
	scopes  map[string]*scopeData
	count   int
	fifo    []ref // creation order, for eviction; entries of removed resources are skipped
	nextInt int64 // the last integer id given
	issued  uint64
	evicted int64
	seq     uint64
}

type scopeData struct {
	values []string
	items  map[string]*resource
}

type resource struct {
	key   string
	value map[string]any
	seq   uint64
}

type ref struct {
	scope, key string
	seq        uint64
}

func scopeKey(vals []string) string { return strings.Join(vals, "\x00") }

func (s *Store) col(c *collection) *colData {
	d := s.data[c]
	if d == nil {
		d = &colData{scopes: map[string]*scopeData{}}
		s.data[c] = d
	}
	return d
}

// get is the resource key of c in scope, nil when there is none. Callers hold s.mu.
func (s *Store) get(c *collection, scope []string, key string) *resource {
	if sd := s.col(c).scopes[scopeKey(scope)]; sd != nil {
		return sd.items[key]
	}
	return nil
}

// parentExists reports whether the resource a nested collection's scope names exists (true
// for a collection without a stateful parent).
func (s *Store) parentExists(c *collection, scope []string) bool {
	if c.parent == nil || len(scope) == 0 {
		return true
	}
	return s.get(c.parent, scope[:len(scope)-1], scope[len(scope)-1]) != nil
}

// put stores value under key: a new resource goes last (and the oldest of the collection
// goes when it is full), a replaced one keeps its place.
func (s *Store) put(c *collection, scope []string, key string, value map[string]any) {
	d := s.col(c)
	sk := scopeKey(scope)
	sd := d.scopes[sk]
	if sd == nil {
		sd = &scopeData{values: slices.Clone(scope), items: map[string]*resource{}}
		d.scopes[sk] = sd
	}
	if r := sd.items[key]; r != nil {
		r.value = value
		return
	}
	for d.count >= s.opts.MaxResources && s.evictOldest(c) {
	}
	d.seq++
	sd.items[key] = &resource{key: key, value: value, seq: d.seq}
	d.fifo = append(d.fifo, ref{scope: sk, key: key, seq: d.seq})
	d.count++
	if n, err := strconv.ParseInt(key, 10, 64); err == nil && c.idType == "integer" && n > d.nextInt {
		d.nextInt = n
	}
}

// evictOldest removes the oldest resource of c; false when there is none.
func (s *Store) evictOldest(c *collection) bool {
	d := s.col(c)
	for len(d.fifo) > 0 {
		r := d.fifo[0]
		d.fifo = d.fifo[1:]
		if sd := d.scopes[r.scope]; sd != nil {
			if res := sd.items[r.key]; res != nil && res.seq == r.seq {
				s.remove(c, sd.values, r.key)
				d.evicted++
				return true
			}
		}
	}
	return false
}

// remove deletes a resource and everything nested under it.
func (s *Store) remove(c *collection, scope []string, key string) {
	d := s.col(c)
	sk := scopeKey(scope)
	sd := d.scopes[sk]
	if sd == nil || sd.items[key] == nil {
		return
	}
	delete(sd.items, key)
	d.count--
	if len(sd.items) == 0 {
		delete(d.scopes, sk)
	}
	if len(d.fifo) > 2*d.count+16 {
		d.compact()
	}
	child := append(slices.Clone(scope), key)
	for _, ch := range c.children {
		cd := s.col(ch)
		if csd := cd.scopes[scopeKey(child)]; csd != nil {
			for k := range csd.items {
				s.remove(ch, child, k)
			}
		}
	}
}

// compact drops the fifo entries of removed resources.
func (d *colData) compact() {
	kept := d.fifo[:0]
	for _, r := range d.fifo {
		if sd := d.scopes[r.scope]; sd != nil {
			if res := sd.items[r.key]; res != nil && res.seq == r.seq {
				kept = append(kept, r)
			}
		}
	}
	d.fifo = slices.Clip(kept)
}

// list is the resources of c in scope, oldest first.
func (s *Store) list(c *collection, scope []string) []*resource {
	sd := s.col(c).scopes[scopeKey(scope)]
	if sd == nil {
		return nil
	}
	out := make([]*resource, 0, len(sd.items))
	for _, r := range sd.items {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *resource) int { return int(a.seq - b.seq) })
	return out
}

// newID is a fresh id for a resource of c in scope: the next integer, a uuid, or a string,
// as the id's schema says, and one the schema accepts.
func (s *Store) newID(c *collection, scope []string) any {
	d := s.col(c)
	for range 32 {
		d.issued++
		var v any
		switch c.idType {
		case "integer":
			d.nextInt++
			v = json.Number(strconv.FormatInt(d.nextInt, 10))
		case "uuid":
			v = uuid(s.seedFor(c.key, strconv.FormatUint(d.issued, 10)))
		default:
			v = strconv.FormatUint(d.issued, 10)
		}
		if c.idSchema.Defined() && !c.idSchema.Conforms(v) {
			if g, err := normalize(c.idSchema.Generate(s.seedFor(c.key, "id", strconv.FormatUint(d.issued, 10)))); err == nil {
				v = g
			}
		}
		if s.get(c, scope, keyOf(v)) == nil {
			return v
		}
	}
	return fmt.Sprintf("%s-%d", c.key, d.issued) // 32 collisions: the schema allows few values
}

// seedFor is the store's seed mixed with parts (a collection, a key), for generated values.
func (s *Store) seedFor(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64() ^ s.opts.Seed*0x9e3779b97f4a7c15
}

// uuid formats a version 4 UUID from a seed.
func uuid(seed uint64) string {
	a, b := mix(seed), mix(seed+1)
	var buf [16]byte
	for i := range 8 {
		buf[i], buf[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	buf[6] = buf[6]&0x0f | 0x40
	buf[8] = buf[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", buf[0:4], buf[4:6], buf[6:8], buf[8:10], buf[10:16])
}

func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// keyOf is the key a resource is stored under: its id as it appears in a path.
func keyOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case nil:
		return ""
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// normalize returns v as JSON decoding with UseNumber gives it: what request bodies look
// like, so stored values compare and encode the same whatever they came from.
func normalize(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decode(data)
}

func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return out, nil
}

// mergePatch applies an RFC 7396 merge patch to target (null removes a member).
func mergePatch(target map[string]any, patch map[string]any) map[string]any {
	out := make(map[string]any, len(target)+len(patch))
	for k, v := range target {
		out[k] = v
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			tv, _ := out[k].(map[string]any)
			out[k] = mergePatch(tv, pv)
		default:
			out[k] = v
		}
	}
	return out
}

// deepCopy copies a decoded JSON value, so answers never share maps with the store.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// reset empties every collection and, with SeedExamples, fills them from the spec's
// examples. It returns how many resources were removed and how many seeded. Callers hold
// s.mu (New does not need to).
func (s *Store) reset() (removed, seeded int) {
	for _, d := range s.data {
		removed += d.count
	}
	clear(s.data)
	if !s.opts.SeedExamples {
		return removed, 0
	}
	for _, c := range s.collections {
		if c.depth > 0 {
			continue // a nested collection's examples do not say which parent they belong to
		}
		for _, ex := range s.examples(c) {
			obj, ok := ex.(map[string]any)
			if !ok {
				continue
			}
			var key string
			if c.idProp != "" && obj[c.idProp] != nil {
				key = keyOf(obj[c.idProp])
			} else {
				id := s.newID(c, nil)
				key = keyOf(id)
				if c.idProp != "" {
					obj[c.idProp] = id
				}
			}
			if key == "" || s.get(c, nil, key) != nil {
				continue
			}
			c.item.Complete(obj, s.seedFor(c.key, key))
			if !c.item.Conforms(obj) {
				continue
			}
			s.put(c, nil, key, obj)
			seeded++
		}
	}
	return removed, seeded
}

// examples are the resources the spec's examples show for c: a list answer's items, a read,
// create or replace answer's object; normalized, in document order.
func (s *Store) examples(c *collection) []any {
	var out []any
	for _, b := range c.operations {
		for _, ex := range b.success.Examples {
			v, err := normalize(ex)
			if err != nil {
				continue
			}
			switch b.act {
			case actList:
				if arr, ok := v.([]any); ok && b.success.Body.Type() == "array" {
					out = append(out, arr...)
				} else if m, ok := v.(map[string]any); ok {
					if arr, ok := m[listProperty(b.success.Body)].([]any); ok {
						out = append(out, arr...)
					}
				}
			case actRead, actCreate, actReplace:
				out = append(out, v)
			}
		}
	}
	return out
}
