package mock

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

const (
	// softDepth: deeper than this, objects get only their required properties and arrays
	// their minimum length.
	softDepth = 4
	// hardDepth: deeper than this, generation stops (a required self-reference has no finite
	// instance; stopping is what guarantees termination).
	hardDepth = 24
	// softBudget: after this many generated values, generation turns minimal as at softDepth.
	softBudget = 3000
	// hardBudget: after this many values every schema yields its minimal stub, whatever the
	// depth, so any schema terminates in bounded time.
	hardBudget = 50000
	// maxItemsCap bounds the length of any generated array, whatever minItems says.
	maxItemsCap = 1000
	// maxLengthCap bounds the length of any generated string, whatever minLength says.
	maxLengthCap = 10000
)

// schemas caches what generation derives from a document's schemas: allOf merges and whether
// an inline example or default conforms to its schema. It is shared by all requests.
type schemas struct {
	v31 bool
	// plain turns realistic data off (Options.PlainData): no hints from names.
	plain    bool
	hints    sync.Map // name -> hint
	merged   sync.Map // *openapi3.Schema -> *openapi3.Schema
	combined sync.Map // combineKey -> *openapi3.Schema
	valid    sync.Map // validKey -> bool
	// discriminators indexes mappings: *openapi3.Discriminator -> schema name -> mapping key.
	discriminators sync.Map
}

type validKey struct {
	s        *openapi3.Schema
	which    byte // 'e' example, 'x' examples[0], 'd' default
	response bool
}

// generator produces one value from a schema. It is used for one value and thrown away.
type generator struct {
	rng      *rand.Rand
	response bool // true: omit writeOnly properties; false: omit readOnly ones
	cache    *schemas
	nodes    int
	active   map[*openapi3.Schema]int
	// hint is what the name of the property (parameter, header) being generated says about
	// its value; hintNone when there is no name or realistic data is off.
	hint hint
	// requiredOnly leaves out every optional property, the fallback when a value with them
	// does not conform (an optional property whose schema no value satisfies).
	requiredOnly bool
	// noNull avoids null where a schema allows something else (header values).
	noNull bool
}

func newGenerator(cache *schemas, seed uint64, response bool) *generator {
	return &generator{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		response: response,
		cache:    cache,
		active:   map[*openapi3.Schema]int{},
	}
}

// validationOptions are the options VisitJSON needs for the document and direction.
func (c *schemas) validationOptions(response bool) []openapi3.SchemaValidationOption {
	opts := schemaOptions()
	if response {
		opts = append(opts, openapi3.VisitAsResponse())
	} else {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	if c.v31 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return opts
}

// conforms reports whether v validates against s, never panicking. v may be a generated value
// or one decoded from the document.
func (c *schemas) conforms(s *openapi3.Schema, v any, response bool) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if c.v31 || !jsonNative(v, 0) {
		// The 2020-12 validator and odd YAML types want what a JSON decoder produces.
		v = jsonValue(v)
	}
	return s.VisitJSON(v, c.validationOptions(response)...) == nil
}

// jsonNative reports whether v holds only types the OpenAPI 3.0 validator takes as they are
// (what the generator produces), so no JSON round trip is needed.
func jsonNative(v any, depth int) bool {
	if depth > 64 {
		return false
	}
	switch t := v.(type) {
	case nil, string, bool, float64, int64, int:
		return true
	case []any:
		for _, x := range t {
			if !jsonNative(x, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, x := range t {
			if !jsonNative(x, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// conformsCached is conforms for a schema's own example/default, remembered per schema.
func (c *schemas) conformsCached(s *openapi3.Schema, which byte, v any, response bool) bool {
	k := validKey{s, which, response}
	if got, ok := c.valid.Load(k); ok {
		return got.(bool)
	}
	ok := c.conforms(s, v, response)
	c.valid.Store(k, ok)
	return ok
}

// jsonValue round-trips v through JSON so YAML-decoded values (int, map[any]any...) look like
// what a client would decode, which is what the validator expects.
func jsonValue(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}

// generateValid returns a value for r that conforms to it when one is found: the seeded value,
// else a few reseeded ones, else one with required properties only; else the seeded value.
func (c *schemas) generateValid(r *openapi3.SchemaRef, seed uint64, response bool) any {
	return c.generateNamed(r, seed, response, "", false)
}

// generateHeader is generateValid for a header (or parameter) called name: the name is a
// hint, and null is avoided where the schema allows anything else (a header cannot say null).
func (c *schemas) generateHeader(r *openapi3.SchemaRef, seed uint64, name string) any {
	return c.generateNamed(r, seed, true, name, true)
}

func (c *schemas) generateNamed(r *openapi3.SchemaRef, seed uint64, response bool, name string, noNull bool) any {
	gen := func(seed uint64, requiredOnly bool) any {
		g := newGenerator(c, seed, response)
		g.requiredOnly, g.noNull = requiredOnly, noNull
		g.setName(name)
		return g.generate(r)
	}
	v := gen(seed, false)
	if r == nil || r.Value == nil || c.conforms(r.Value, v, response) {
		return v
	}
	for i := uint64(1); i <= 3; i++ {
		if alt := gen(seed+i*0x5851f42d4c957f2d, false); c.conforms(r.Value, alt, response) {
			return alt
		}
	}
	if alt := gen(seed, true); c.conforms(r.Value, alt, response) {
		return alt
	}
	return v
}

// generate returns a value for r.
func (g *generator) generate(r *openapi3.SchemaRef) any {
	return g.ref(r, 0)
}

func (g *generator) ref(r *openapi3.SchemaRef, depth int) any {
	if r == nil || r.Value == nil {
		return "string"
	}
	return g.schema(r.Value, refName(r.Ref), depth)
}

func refName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func (g *generator) schema(s *openapi3.Schema, name string, depth int) any {
	g.nodes++
	if depth > hardDepth || g.nodes > hardBudget {
		return g.stub(s)
	}
	if s.Always != nil {
		if *s.Always {
			return "string"
		}
		return nil
	}
	if s.Const != nil {
		return s.Const
	}
	if len(s.AllOf) > 0 {
		s = g.cache.merge(s)
	}
	if s.Example != nil && g.cache.conformsCached(s, 'e', s.Example, g.response) {
		return s.Example
	}
	if len(s.Examples) > 0 && s.Examples[0] != nil && g.cache.conformsCached(s, 'x', s.Examples[0], g.response) {
		return s.Examples[0]
	}
	if len(s.Enum) > 0 {
		if g.hint == hintStatus {
			for _, v := range s.Enum {
				if v != nil {
					return v // a status is most useful in its first (usually initial) state
				}
			}
		}
		return g.enum(s)
	}
	if s.Default != nil && g.cache.conformsCached(s, 'd', s.Default, g.response) {
		return s.Default
	}

	g.active[s]++
	defer func() { g.active[s]-- }()
	recursing := g.active[s] > 1
	minimal := g.requiredOnly || recursing || depth > softDepth || g.nodes > softBudget
	if recursing && !g.noNull && (s.Nullable || s.Type.IncludesNull()) {
		return nil
	}
	if onlyNull(s) {
		// `type: 'null'` next to oneOf/anyOf (a common slip in 3.0 documents): the type
		// decides, the validator accepts null whatever the branches say.
		return nil
	}

	if len(s.OneOf) > 0 {
		return g.xOf(s, s.OneOf, true, name, depth, minimal)
	}
	if len(s.AnyOf) > 0 {
		return g.xOf(s, s.AnyOf, false, name, depth, minimal)
	}
	return g.typed(s, name, depth, minimal)
}

func (g *generator) typed(s *openapi3.Schema, name string, depth int, minimal bool) any {
	switch schemaType(s) {
	case openapi3.TypeNull:
		return nil
	case openapi3.TypeBoolean:
		return g.rng.IntN(2) == 0
	case openapi3.TypeInteger:
		return g.integer(s)
	case openapi3.TypeNumber:
		if s.Format == "int32" || s.Format == "int64" {
			return g.integer(s) // the format says the number is whole
		}
		return g.number(s)
	case openapi3.TypeArray:
		return g.array(s, depth, minimal)
	case openapi3.TypeObject:
		return g.object(s, name, depth, minimal)
	default:
		return g.str(s)
	}
}

// schemaType is the type to generate: the first non-null declared type, else one inferred from
// the keywords present. Unknown type names (`type: objekt`, which the loader warns about) are
// passed over: no value can match them, so the keywords say best what was meant.
func schemaType(s *openapi3.Schema) string {
	null := false
	for _, t := range s.Type.Slice() {
		switch t {
		case openapi3.TypeNull:
			null = true
		case openapi3.TypeString, openapi3.TypeNumber, openapi3.TypeInteger, openapi3.TypeBoolean, openapi3.TypeArray, openapi3.TypeObject:
			return t
		}
	}
	if null {
		return openapi3.TypeNull
	}
	switch {
	case len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has != nil || s.MinProps > 0 || s.Discriminator != nil:
		return openapi3.TypeObject
	case s.Items != nil || len(s.PrefixItems) > 0 || s.MinItems > 0 || s.MaxItems != nil:
		return openapi3.TypeArray
	case s.Min != nil || s.Max != nil || s.MultipleOf != nil || s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil:
		if s.Format == "int32" || s.Format == "int64" {
			return openapi3.TypeInteger
		}
		return openapi3.TypeNumber
	}
	return openapi3.TypeString
}

// onlyNull reports whether s allows null and no other type.
func onlyNull(s *openapi3.Schema) bool {
	return s.Type.IncludesNull() && schemaType(s) == openapi3.TypeNull
}

// stub is the smallest value of the schema's type, used when generation must stop.
func (g *generator) stub(s *openapi3.Schema) any {
	if s.Const != nil {
		return s.Const
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if s.Nullable || s.Type.IncludesNull() {
		return nil
	}
	switch schemaType(s) {
	case openapi3.TypeObject:
		return map[string]any{}
	case openapi3.TypeArray:
		return []any{}
	case openapi3.TypeInteger, openapi3.TypeNumber:
		return 0
	case openapi3.TypeBoolean:
		return false
	case openapi3.TypeNull:
		return nil
	}
	maxLen := -1
	if s.MaxLength != nil {
		maxLen = int(min(*s.MaxLength, maxLengthCap))
	}
	if v, ok := g.format(s.Format, int(min(s.MinLength, maxLengthCap)), maxLen); ok {
		return v
	}
	return strings.Repeat("x", int(min(s.MinLength, maxLengthCap)))
}

func (g *generator) enum(s *openapi3.Schema) any {
	var candidates []any
	for _, v := range s.Enum {
		if v != nil {
			candidates = append(candidates, v)
		}
	}
	if len(candidates) == 0 {
		return s.Enum[0]
	}
	return candidates[g.rng.IntN(len(candidates))]
}

// xOf generates a value for oneOf/anyOf: the branches are tried in order (the discriminator's
// mapping sets the discriminator property) and the first value the whole schema accepts wins.
func (g *generator) xOf(s *openapi3.Schema, branches openapi3.SchemaRefs, one bool, name string, depth int, minimal bool) any {
	var first any
	for i, b := range branches {
		if b == nil || b.Value == nil {
			continue
		}
		var v any
		if len(s.Properties) > 0 || len(s.Required) > 0 {
			// The branch refines the object around it: generate from both merged.
			v = g.schema(g.cache.combine(s, i, one), refName(b.Ref), depth+1)
		} else {
			v = g.ref(b, depth+1)
		}
		if m, ok := v.(map[string]any); ok {
			if d := s.Discriminator; d != nil && d.PropertyName != "" {
				m = maps.Clone(m)
				m[d.PropertyName] = g.cache.discriminatorValue(d, b.Ref)
				v = m
			}
		}
		if i == 0 || first == nil {
			first = v
		}
		if g.nodes > softBudget || g.cache.conforms(s, v, g.response) {
			return v
		}
		if m, ok := v.(map[string]any); ok && one {
			if spoiled := g.spoil(m, branches, i); spoiled != nil && g.cache.conforms(s, spoiled, g.response) {
				return spoiled
			}
		}
	}
	if first == nil {
		base := *s
		base.OneOf, base.AnyOf = nil, nil
		return g.typed(&base, name, depth, minimal)
	}
	if !g.cache.v31 && !g.noNull && s.Nullable {
		// No branch value fits; OpenAPI 3.0 validators accept null for a nullable schema
		// before looking at its branches.
		return nil
	}
	return first
}

type combineKey struct {
	s   *openapi3.Schema
	i   int
	one bool
}

// combine is s without its oneOf (one) or anyOf, merged with branch i of it, cached.
func (c *schemas) combine(s *openapi3.Schema, i int, one bool) *openapi3.Schema {
	k := combineKey{s, i, one}
	if v, ok := c.combined.Load(k); ok {
		return v.(*openapi3.Schema)
	}
	base := *s
	base.Example, base.Examples, base.Default = nil, nil, nil
	branches := s.AnyOf
	if one {
		branches = s.OneOf
		base.OneOf = nil
	} else {
		base.AnyOf = nil
	}
	out := mergeAllOf(&openapi3.Schema{AllOf: openapi3.SchemaRefs{{Value: &base}, branches[i]}}, map[*openapi3.Schema]bool{})
	c.combined.Store(k, out)
	return out
}

// spoil makes an object generated for branch i fail the other oneOf branches it also matched:
// where another branch declares a property that branch i does not (at the top, or inside
// objects and array items both declare), it adds that property with a value of the wrong
// type. It returns nil when it finds nothing to add.
func (g *generator) spoil(m map[string]any, branches openapi3.SchemaRefs, i int) map[string]any {
	mine := branches[i].Value
	var out any = m
	changed := false
	for j, b := range branches {
		if j == i || b == nil || b.Value == nil {
			continue
		}
		if v, ok := g.spoilAgainst(out, mine, b.Value, 0); ok {
			out, changed = v, true
		}
	}
	if !changed {
		return nil
	}
	return out.(map[string]any)
}

// spoilAgainst returns a copy of v (generated for mine) that other rejects, changed in one
// place only, or false.
func (g *generator) spoilAgainst(v any, mine, other *openapi3.Schema, depth int) (any, bool) {
	if depth > 6 || mine == nil || other == nil {
		return nil, false
	}
	mine, other = g.cache.merge(mine), g.cache.merge(other)
	switch t := v.(type) {
	case map[string]any:
		if h := mine.AdditionalProperties.Has; (h == nil || *h) && mine.AdditionalProperties.Schema == nil {
			for _, k := range slices.Sorted(maps.Keys(other.Properties)) {
				p := other.Properties[k]
				if _, declared := mine.Properties[k]; declared || p == nil || p.Value == nil || matchesPatternProperty(mine, k) {
					continue
				}
				if _, present := t[k]; present {
					continue
				}
				if wrong, ok := wrongType(g.cache.merge(p.Value)); ok {
					out := maps.Clone(t)
					out[k] = wrong
					return out, true
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			mp, op := mine.Properties[k], other.Properties[k]
			if mp == nil || op == nil || mp.Value == nil || op.Value == nil || mp.Value == op.Value {
				continue
			}
			if c, ok := g.spoilAgainst(t[k], mp.Value, op.Value, depth+1); ok {
				out := maps.Clone(t)
				out[k] = c
				return out, true
			}
		}
	case []any:
		if len(t) == 0 || mine.Items == nil || other.Items == nil || mine.Items.Value == nil || other.Items.Value == nil || mine.Items.Value == other.Items.Value {
			return nil, false
		}
		if c, ok := g.spoilAgainst(t[0], mine.Items.Value, other.Items.Value, depth+1); ok {
			out := slices.Clone(t)
			out[0] = c
			return out, true
		}
	}
	return nil, false
}

// wrongType is a value s's declared type rejects: true where a boolean is not allowed, else a
// string.
func wrongType(s *openapi3.Schema) (any, bool) {
	switch {
	case s.Type.IsEmpty():
		return nil, false
	case !s.Type.Permits(openapi3.TypeBoolean):
		return true, true
	case !s.Type.Permits(openapi3.TypeString):
		return "x", true
	}
	return nil, false
}

// discriminatorValue is the first mapping key (in key order) whose target names the schema
// ref names, else that name. Each mapping is indexed once: large documents have mappings of
// thousands of entries (Microsoft Graph's entity), consulted for every object generated, and
// sorting the keys each time was most of `test plan`'s time on them.
func (c *schemas) discriminatorValue(d *openapi3.Discriminator, ref string) string {
	idx, ok := c.discriminators.Load(d)
	if !ok {
		byName := make(map[string]string, len(d.Mapping))
		for k, target := range d.Mapping {
			if target.Ref == "" {
				continue
			}
			if prev, seen := byName[refName(target.Ref)]; !seen || k < prev {
				byName[refName(target.Ref)] = k
			}
		}
		idx, _ = c.discriminators.LoadOrStore(d, byName)
	}
	if k, ok := idx.(map[string]string)[refName(ref)]; ok {
		return k
	}
	return refName(ref)
}

func (g *generator) object(s *openapi3.Schema, name string, depth int, minimal bool) any {
	m := make(map[string]any, len(s.Properties))
	required := make(map[string]bool, len(s.Required))
	for _, k := range s.Required {
		required[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[k]
		if p == nil || p.Value == nil {
			continue
		}
		if (g.response && p.Value.WriteOnly) || (!g.response && p.Value.ReadOnly) {
			continue
		}
		if !required[k] && (minimal || (s.MaxProps != nil && uint64(len(m)) >= *s.MaxProps)) {
			continue
		}
		g.setName(k)
		m[k] = g.ref(p, depth+1)
	}
	g.hint = hintNone
	extra := s.AdditionalProperties.Schema
	allowExtra := s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has
	for _, k := range s.Required {
		if _, ok := m[k]; ok {
			continue
		}
		if p := s.Properties[k]; p != nil {
			continue // readOnly/writeOnly for this direction: the validator does not require it
		}
		if extra != nil {
			m[k] = g.ref(extra, depth+1)
		} else {
			m[k] = "string"
		}
	}
	if extra != nil && len(s.Properties) == 0 && len(m) == 0 && !minimal {
		m["additionalProp1"] = g.ref(extra, depth+1)
	}
	for i := 1; uint64(len(m)) < s.MinProps && allowExtra && i <= maxItemsCap && g.nodes <= hardBudget; i++ {
		g.nodes++
		k := fmt.Sprintf("additionalProp%d", i)
		if _, ok := m[k]; ok {
			continue
		}
		if extra != nil {
			m[k] = g.ref(extra, depth+1)
		} else {
			m[k] = "string"
		}
	}
	if d := s.Discriminator; d != nil && d.PropertyName != "" && name != "" {
		if p := s.Properties[d.PropertyName]; p != nil && p.Value != nil {
			// The schema's own name is the value a validator resolves, when its property
			// allows it (an enum elsewhere in an allOf may not).
			if mp := g.cache.merge(p.Value); len(mp.Enum) == 0 && schemaType(mp) == openapi3.TypeString {
				if v := g.cache.discriminatorValue(d, "#/components/schemas/"+name); g.cache.conforms(mp, v, g.response) {
					m[d.PropertyName] = v
				}
			}
		}
	}
	return m
}

func (g *generator) array(s *openapi3.Schema, depth int, minimal bool) any {
	lo := int(min(s.MinItems, maxItemsCap))
	hi := maxItemsCap
	if s.MaxItems != nil {
		hi = int(min(*s.MaxItems, maxItemsCap))
	}
	if it := s.Items; it != nil && it.Value != nil && it.Value.Always != nil && !*it.Value.Always {
		hi = min(hi, len(s.PrefixItems)) // items: false allows only the prefix
	}
	n := lo
	if !minimal {
		n = max(lo, 1+g.rng.IntN(2))
	}
	n = min(n, hi)
	n = max(n, lo)
	out := make([]any, 0, n)
	var seen map[string]bool
	if s.UniqueItems {
		seen = map[string]bool{}
	}
	for i, tries := 0, 0; len(out) < n && tries < 3*n+6 && g.nodes <= hardBudget; tries++ {
		g.nodes++
		var v any
		switch {
		case i < len(s.PrefixItems):
			v = g.ref(s.PrefixItems[i], depth+1)
		case s.Items != nil:
			v = g.ref(s.Items, depth+1)
		default:
			v = fmt.Sprintf("item%d", tries+1)
		}
		if seen != nil {
			key, _ := json.Marshal(v)
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		out = append(out, v)
		i++
	}
	return out
}

// bounds returns the inclusive/exclusive numeric range of s, with defaults for open ends.
func bounds(s *openapi3.Schema) (lo, hi float64, loEx, hiEx bool) {
	hasLo, hasHi := false, false
	if s.Min != nil {
		lo, hasLo, loEx = *s.Min, true, s.ExclusiveMin.IsTrue()
	}
	if v := s.ExclusiveMin.Value; v != nil && (!hasLo || *v >= lo) {
		lo, hasLo, loEx = *v, true, true
	}
	if s.Max != nil {
		hi, hasHi, hiEx = *s.Max, true, s.ExclusiveMax.IsTrue()
	}
	if v := s.ExclusiveMax.Value; v != nil && (!hasHi || *v <= hi) {
		hi, hasHi, hiEx = *v, true, true
	}
	switch {
	case !hasLo && !hasHi:
		lo, hi = 1, 1000
	case !hasLo:
		lo = math.Min(hi-1000, 1)
		if hi > 1 {
			lo = 1
		}
	case !hasHi:
		hi = lo + 1000
	}
	switch s.Format {
	case "int32":
		lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
	case "int64":
		lo, hi = math.Max(lo, -(1<<53)), math.Min(hi, 1<<53)
	}
	return lo, hi, loEx, hiEx
}

func (g *generator) integer(s *openapi3.Schema) any {
	if g.hint != hintNone {
		if v, ok := g.numberHint(s, g.hint, true); ok {
			return int64(v)
		}
	}
	lo, hi, loEx, hiEx := bounds(s)
	ilo, ihi := math.Ceil(lo), math.Floor(hi)
	if loEx && ilo == lo {
		ilo++
	}
	if hiEx && ihi == hi {
		ihi--
	}
	ilo = math.Max(ilo, -(1 << 53))
	ihi = math.Min(ihi, 1<<53)
	if m := s.MultipleOf; m != nil && *m > 0 && !math.IsInf(*m, 0) {
		klo, khi := math.Ceil(ilo / *m), math.Floor(ihi / *m)
		if klo <= khi && !math.IsInf(klo, 0) && !math.IsInf(khi, 0) {
			k := klo + float64(g.rng.Int64N(int64(math.Min(khi-klo, 100))+1))
			if v := k * *m; v == math.Trunc(v) {
				return int64(v)
			}
		}
	}
	if ilo > ihi || math.IsNaN(ilo) || math.IsNaN(ihi) {
		return int64(ilo)
	}
	span := math.Min(ihi-ilo, 1000)
	return int64(ilo) + g.rng.Int64N(int64(span)+1)
}

func (g *generator) number(s *openapi3.Schema) any {
	if g.hint != hintNone {
		if v, ok := g.numberHint(s, g.hint, false); ok {
			return v
		}
	}
	lo, hi, loEx, hiEx := bounds(s)
	if m := s.MultipleOf; m != nil && *m > 0 && !math.IsInf(*m, 0) {
		klo, khi := math.Ceil(lo / *m), math.Floor(hi / *m)
		if loEx && klo**m == lo {
			klo++
		}
		if hiEx && khi**m == hi {
			khi--
		}
		if klo <= khi && !math.IsInf(klo, 0) && !math.IsInf(khi, 0) {
			k := klo + float64(g.rng.Int64N(int64(math.Min(khi-klo, 100))+1))
			return k * *m
		}
	}
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return lo
	}
	v := lo + (hi-lo)*(0.05+0.9*g.rng.Float64())
	if r := math.Round(v*100) / 100; r > lo && r < hi {
		v = r
	}
	if (loEx && v <= lo) || (!loEx && v < lo) || (hiEx && v >= hi) || (!hiEx && v > hi) {
		v = lo + (hi-lo)/2
	}
	return v
}

var words = []string{"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor"}

func (g *generator) str(s *openapi3.Schema) any {
	minLen := int(min(s.MinLength, maxLengthCap))
	maxLen := -1
	if s.MaxLength != nil {
		maxLen = int(min(*s.MaxLength, maxLengthCap))
	}
	fits := func(v string) bool {
		n := utf8.RuneCountInString(v)
		return n >= minLen && (maxLen < 0 || n <= maxLen)
	}
	if g.hint != hintNone && (s.Format == "" || strings.EqualFold(hintFormats[g.hint], s.Format) || (g.hint == hintURL && isURIFormat(s.Format))) {
		if v, ok := g.stringHint(s, g.hint); ok {
			return v
		}
	}
	if v, ok := g.format(s.Format, minLen, maxLen); ok && fits(v) {
		if s.Pattern == "" {
			return v
		}
		if cp := compilePattern(s.Pattern); cp == nil || cp.full.MatchString(v) {
			return v
		}
	}
	if s.Pattern != "" {
		if v, ok := genPattern(g.rng, s.Pattern, minLen, maxLen); ok {
			return v
		}
	}
	target := minLen
	if target == 0 {
		target = 6 + g.rng.IntN(8)
	}
	if maxLen >= 0 && target > maxLen {
		target = maxLen
	}
	var b strings.Builder
	for b.Len() < target {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	v := b.String()
	if len(v) > target {
		v = strings.TrimRight(v[:target], " ")
		for len(v) < target {
			v += "x"
		}
	}
	return v
}

func isURIFormat(f string) bool {
	switch strings.ToLower(f) {
	case "uri", "url", "iri", "uri-reference", "iri-reference":
		return true
	}
	return false
}

// setName records the name of the value about to be generated, as a hint (see hints.go).
func (g *generator) setName(name string) {
	g.hint = g.cache.hintFor(name)
}

// hintFor classifies name, remembered per name; hintNone when realistic data is off.
func (c *schemas) hintFor(name string) hint {
	if c.plain || name == "" {
		return hintNone
	}
	if h, ok := c.hints.Load(name); ok {
		return h.(hint)
	}
	h := classify(name)
	c.hints.Store(name, h)
	return h
}

// hintFormats are the formats a hint's values satisfy: a string with one of them takes the
// hint (an email-formatted `email` gets a realistic address); any other format wins over it.
var hintFormats = map[hint]string{
	hintEmail: "email", hintURL: "uri", hintTimestamp: "date-time", hintDate: "date",
	hintHostname: "hostname", hintIP: "ipv4",
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// format returns a value for a known string format, within [minLen, maxLen] runes where the
// format has longer or shorter forms (maxLen < 0: no bound).
func (g *generator) format(format string, minLen, maxLen int) (string, bool) {
	short := func(long string, shorter ...string) string {
		if maxLen < 0 || len(long) <= maxLen {
			return long
		}
		for _, s := range shorter {
			if len(s) <= maxLen {
				return s
			}
		}
		return long
	}
	// pad lengthens v to minLen by repeating filler at position at (len(v)-at from the end).
	pad := func(v string, fromEnd int) string {
		if len(v) >= minLen || (maxLen >= 0 && minLen > maxLen) {
			return v
		}
		cut := len(v) - fromEnd
		return v[:cut] + strings.Repeat("x", minLen-len(v)) + v[cut:]
	}
	switch strings.ToLower(format) {
	case "uuid":
		var b [16]byte
		for i := range b {
			b[i] = byte(g.rng.UintN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), true
	case "date":
		return epoch.AddDate(0, 0, g.rng.IntN(730)).Format(time.DateOnly), true
	case "date-time":
		return dateTime(epoch.Add(time.Duration(g.rng.Int64N(730*24*3600))*time.Second), minLen, maxLen), true
	case "time":
		return epoch.Add(time.Duration(g.rng.Int64N(24*3600)) * time.Second).Format("15:04:05Z"), true
	case "duration":
		return fmt.Sprintf("PT%dM", 1+g.rng.IntN(59)), true
	case "email", "idn-email":
		return pad(short(fmt.Sprintf("user%d@example.com", 1+g.rng.IntN(999)), "a@b.io", "a@b"), len("@example.com")), true
	case "uri", "url", "iri":
		return pad(short(fmt.Sprintf("https://example.com/%s/%d", words[g.rng.IntN(len(words))], 1+g.rng.IntN(999)), "https://example.com", "http://a.io", "a:b"), 0), true
	case "uri-reference", "iri-reference":
		return pad(short(fmt.Sprintf("https://example.com/%s/%d", words[g.rng.IntN(len(words))], 1+g.rng.IntN(999)), "https://example.com", "/a"), 0), true
	case "uri-template":
		return short("https://example.com/items/{id}", "/items/{id}", "/{id}"), true
	case "hostname", "idn-hostname":
		return pad(short(fmt.Sprintf("%s%d.example.com", words[g.rng.IntN(len(words))], 1+g.rng.IntN(99)), "example.com", "a.io", "a"), len(".example.com")), true
	case "ipv4":
		return fmt.Sprintf("192.0.2.%d", 1+g.rng.IntN(254)), true
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", 1+g.rng.IntN(0xfffe)), true
	case "byte":
		n := 6 + g.rng.IntN(10)
		if maxLen >= 0 {
			n = min(n, maxLen/4*3) // base64 grows 3 bytes into 4 characters
		}
		b := make([]byte, max(n, 0))
		for i := range b {
			b[i] = byte('a' + g.rng.IntN(26))
		}
		return base64.StdEncoding.EncodeToString(b), true
	case "binary":
		return pad(short("binary-data", "bin", ""), 0), true
	case "password":
		return pad(short("secret-password", "secret", ""), 0), true
	case "json-pointer":
		return "/items/0", true
	case "regex":
		return "^[a-z]+$", true
	}
	return "", false
}

// dateTime formats t in RFC 3339 with a length within [minLen, maxLen] where one exists:
// 2024-01-01T00:00:00Z is 20 characters, fractional seconds add 2 or more (.5), a numeric
// offset instead of Z adds 5 (+00:00). Documents that pin a length (minLength: 25) want
// their own style, which one of these matches.
func dateTime(t time.Time, minLen, maxLen int) string {
	base := t.Format("2006-01-02T15:04:05")
	for _, zone := range []string{"Z", "+00:00"} {
		n := len(base) + len(zone)
		switch {
		case n >= minLen && (maxLen < 0 || n <= maxLen):
			return base + zone
		case n+2 <= minLen && (maxLen < 0 || minLen <= maxLen):
			digits := min(minLen-n-1, 9)
			if n+1+digits == minLen || zone == "+00:00" {
				frac := fmt.Sprintf("%09d", t.Nanosecond()+123456789)[:digits]
				return base + "." + frac + zone
			}
		}
	}
	return base + "Z"
}

// merge returns s with its allOf folded in (recursively), cached per schema.
func (c *schemas) merge(s *openapi3.Schema) *openapi3.Schema {
	if v, ok := c.merged.Load(s); ok {
		return v.(*openapi3.Schema)
	}
	out := mergeAllOf(s, map[*openapi3.Schema]bool{})
	c.merged.Store(s, out)
	return out
}

func mergeAllOf(s *openapi3.Schema, visiting map[*openapi3.Schema]bool) *openapi3.Schema {
	if len(s.AllOf) == 0 || visiting[s] {
		return s
	}
	visiting[s] = true
	defer delete(visiting, s)
	out := *s
	out.AllOf = nil
	out.Properties = maps.Clone(s.Properties)
	out.Required = slices.Clone(s.Required)
	parts := []*openapi3.Schema{s}
	for _, sub := range s.AllOf {
		if sub == nil || sub.Value == nil {
			continue
		}
		m := mergeAllOf(sub.Value, visiting)
		mergeInto(&out, m)
		parts = append(parts, m)
	}
	// additionalProperties of a part applies to the properties that part declares, not to
	// those of its siblings (JSON Schema): a part with `additionalProperties: false` admits
	// only its own, and one with a schema holds the others' values to that schema too. Azure's
	// documents close resources that way next to an allOf of the base resource.
	for _, p := range parts {
		ap := p.AdditionalProperties
		closed := ap.Has != nil && !*ap.Has
		if !closed && ap.Schema == nil {
			continue
		}
		for k, v := range out.Properties {
			if _, own := p.Properties[k]; own || matchesPatternProperty(p, k) {
				continue
			}
			if closed {
				if !slices.Contains(out.Required, k) { // required and forbidden: no value fits
					delete(out.Properties, k)
				}
				continue
			}
			out.Properties[k] = both(v, ap.Schema)
		}
		if closed {
			out.AdditionalProperties = ap
		}
	}
	return &out
}

// matchesPatternProperty reports whether a patternProperties key of s matches name.
func matchesPatternProperty(s *openapi3.Schema, name string) bool {
	for re := range s.PatternProperties {
		if cp := compilePattern(re); cp != nil && cp.full.MatchString(name) {
			return true
		}
	}
	return false
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// both is a schema satisfying a and b (either may be nil).
func both(a, b *openapi3.SchemaRef) *openapi3.SchemaRef {
	switch {
	case a == nil:
		return b
	case b == nil || a == b:
		return a
	}
	return &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{a, b}}}
}

// mergeInto folds sub's constraints into dst: the tighter bound wins, properties and required
// names are unioned, and what dst lacks it takes from sub. Examples and defaults of parts are
// dropped: they describe the part, not the whole.
func mergeInto(dst, sub *openapi3.Schema) {
	switch {
	case dst.Type.IsEmpty() && !sub.Type.IsEmpty():
		t := sub.Type.Clone()
		dst.Type = &t
	case !dst.Type.IsEmpty() && !sub.Type.IsEmpty():
		// The value must have a type both allow; integer is the number both allow.
		var t openapi3.Types
		for _, a := range dst.Type.Slice() {
			for _, b := range sub.Type.Slice() {
				switch {
				case a == b:
					t = append(t, a)
				case a == openapi3.TypeNumber && b == openapi3.TypeInteger, a == openapi3.TypeInteger && b == openapi3.TypeNumber:
					t = append(t, openapi3.TypeInteger)
				}
			}
		}
		if len(t) > 0 {
			dst.Type = &t
		}
	}
	if dst.Format == "" {
		dst.Format = sub.Format
	}
	switch {
	case len(dst.Enum) == 0:
		dst.Enum = sub.Enum
	case len(sub.Enum) > 0:
		// Both parts list values: only those in both are allowed.
		var common []any
		for _, a := range dst.Enum {
			for _, b := range sub.Enum {
				if jsonEqual(a, b) {
					common = append(common, a)
					break
				}
			}
		}
		if len(common) > 0 {
			dst.Enum = common
		}
	}
	if dst.Const == nil {
		dst.Const = sub.Const
	}
	if dst.Pattern == "" {
		dst.Pattern = sub.Pattern
	}
	if sub.Min != nil && (dst.Min == nil || *sub.Min > *dst.Min) {
		dst.Min, dst.ExclusiveMin = sub.Min, sub.ExclusiveMin
	} else if dst.ExclusiveMin.Value == nil && sub.ExclusiveMin.Value != nil {
		dst.ExclusiveMin.Value = sub.ExclusiveMin.Value
	}
	if sub.Max != nil && (dst.Max == nil || *sub.Max < *dst.Max) {
		dst.Max, dst.ExclusiveMax = sub.Max, sub.ExclusiveMax
	} else if dst.ExclusiveMax.Value == nil && sub.ExclusiveMax.Value != nil {
		dst.ExclusiveMax.Value = sub.ExclusiveMax.Value
	}
	if dst.MultipleOf == nil {
		dst.MultipleOf = sub.MultipleOf
	}
	dst.MinLength = max(dst.MinLength, sub.MinLength)
	if sub.MaxLength != nil && (dst.MaxLength == nil || *sub.MaxLength < *dst.MaxLength) {
		dst.MaxLength = sub.MaxLength
	}
	dst.MinItems = max(dst.MinItems, sub.MinItems)
	if sub.MaxItems != nil && (dst.MaxItems == nil || *sub.MaxItems < *dst.MaxItems) {
		dst.MaxItems = sub.MaxItems
	}
	dst.UniqueItems = dst.UniqueItems || sub.UniqueItems
	dst.Items = both(dst.Items, sub.Items)
	dst.MinProps = max(dst.MinProps, sub.MinProps)
	if sub.MaxProps != nil && (dst.MaxProps == nil || *sub.MaxProps < *dst.MaxProps) {
		dst.MaxProps = sub.MaxProps
	}
	for k, v := range sub.Properties {
		if dst.Properties == nil {
			dst.Properties = openapi3.Schemas{}
		}
		if prev, ok := dst.Properties[k]; !ok {
			dst.Properties[k] = v
		} else {
			// Both parts constrain the property: it must satisfy both.
			dst.Properties[k] = both(prev, v)
		}
	}
	for _, k := range sub.Required {
		if !slices.Contains(dst.Required, k) {
			dst.Required = append(dst.Required, k)
		}
	}
	switch {
	case dst.AdditionalProperties.Schema == nil && dst.AdditionalProperties.Has == nil:
		dst.AdditionalProperties = sub.AdditionalProperties
	case dst.AdditionalProperties.Schema != nil && sub.AdditionalProperties.Schema != nil:
		dst.AdditionalProperties.Schema = both(dst.AdditionalProperties.Schema, sub.AdditionalProperties.Schema)
	}
	if dst.Discriminator == nil {
		dst.Discriminator = sub.Discriminator
	}
	if len(dst.OneOf) == 0 {
		dst.OneOf = sub.OneOf
	}
	if len(dst.AnyOf) == 0 {
		dst.AnyOf = sub.AnyOf
	}
	dst.ReadOnly = dst.ReadOnly || sub.ReadOnly
	dst.WriteOnly = dst.WriteOnly || sub.WriteOnly
	if !sub.Nullable && !sub.Type.IncludesNull() && !sub.IsEmpty() {
		dst.Nullable = false
	}
}
