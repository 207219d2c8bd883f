package spec

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
)

// This file encodes a loaded document's object graph (the resolved openapi3.T and the load
// warnings) as bytes and decodes it back, for the load cache (cache.go). Decoding is what makes a
// cached load fast: it allocates the structs and nothing else (strings are slices of the
// snapshot), where parsing the source builds and throws away several times the document in
// tokens and nodes.
//
// The encoding is generic over the Go types, by reflection: every field, exported or not, so
// that the decoded graph is the one the loader built, and shared pointers stay shared (a $ref
// resolves to the same *Schema everywhere, and recursive schemas point back at themselves).
// kin-openapi's structs are written to through unsafe pointers at the offsets reflection gives,
// because most of what the loader sets (resolved targets, ref paths) is unexported. The types'
// layout is part of the cache key (layoutFingerprint), so a snapshot is only ever decoded by a
// binary with the same types.
//
// Format: values in depth-first order.
//   - bool: one byte. Integers: varints (signed ones zig-zag). Floats: IEEE bits, little endian.
//   - string: length, bytes.
//   - pointer: 0 nil; 1 a new object, whose value follows; n+2 the n-th object decoded so far.
//   - slice and map: 0 nil; n+1 then n elements (map entries are key, value; string keys sorted).
//   - struct: (field index + 1, value) for each non-zero field, then 0.
//   - interface: a type tag (anyTag), then the value. Only `any` holding what a JSON or YAML
//     decoder produces is supported; anything else makes the document uncacheable.

// snapshot is what the cache stores for one document.
type snapshot struct {
	Version  string
	IsJSON   bool
	T        *openapi3.T
	Warnings []problem.Item
}

// snapshotFormat changes when the encoding does, or what the loader puts into a snapshot (the
// load warnings: 2 adds those about schema keywords no value satisfies), so that no cached
// load misses what a fresh one finds; the type layout is fingerprinted separately.
const snapshotFormat = "mockloop-snapshot-2"

// maxSnapshotDepth bounds the nesting of pointers and interface values, so that neither a
// pathological document nor a corrupt snapshot can exhaust the stack. Real documents nest a
// few hundred levels at most.
const maxSnapshotDepth = 1 << 14

var errUncacheable = errors.New("document cannot be cached")

// typeCodec encodes and decodes values of one type, addressed by pointer.
type typeCodec struct {
	t    reflect.Type
	enc  func(e *encoder, p unsafe.Pointer)
	dec  func(d *decoder, p unsafe.Pointer)
	zero func(p unsafe.Pointer) bool
}

var snapshotCodec = sync.OnceValue(func() *typeCodec {
	return newCodecBuilder().build(reflect.TypeFor[snapshot]())
})

type codecBuilder struct {
	codecs map[reflect.Type]*typeCodec
}

func newCodecBuilder() *codecBuilder {
	return &codecBuilder{codecs: map[reflect.Type]*typeCodec{}}
}

// build returns the codec for t. Recursive types get their codec pointer before its functions
// are filled in, so the functions look the element codecs up when they run, not when built.
func (b *codecBuilder) build(t reflect.Type) *typeCodec {
	if c := b.codecs[t]; c != nil {
		return c
	}
	c := &typeCodec{t: t}
	b.codecs[t] = c
	switch t.Kind() {
	case reflect.Bool:
		c.enc = func(e *encoder, p unsafe.Pointer) { e.bool(*(*bool)(p)) }
		c.dec = func(d *decoder, p unsafe.Pointer) { *(*bool)(p) = d.bool() }
		c.zero = func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		size := t.Size()
		c.enc = func(e *encoder, p unsafe.Pointer) { e.varint(loadInt(p, size)) }
		c.dec = func(d *decoder, p unsafe.Pointer) { storeInt(p, size, d.varint()) }
		c.zero = func(p unsafe.Pointer) bool { return loadInt(p, size) == 0 }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		size := t.Size()
		c.enc = func(e *encoder, p unsafe.Pointer) { e.uvarint(loadUint(p, size)) }
		c.dec = func(d *decoder, p unsafe.Pointer) { storeUint(p, size, d.uvarint()) }
		c.zero = func(p unsafe.Pointer) bool { return loadUint(p, size) == 0 }
	case reflect.Float32:
		c.enc = func(e *encoder, p unsafe.Pointer) { e.uvarint(uint64(math.Float32bits(*(*float32)(p)))) }
		c.dec = func(d *decoder, p unsafe.Pointer) { *(*float32)(p) = math.Float32frombits(uint32(d.uvarint())) }
		c.zero = func(p unsafe.Pointer) bool { return math.Float32bits(*(*float32)(p)) == 0 }
	case reflect.Float64:
		c.enc = func(e *encoder, p unsafe.Pointer) { e.float(*(*float64)(p)) }
		c.dec = func(d *decoder, p unsafe.Pointer) { *(*float64)(p) = d.float() }
		c.zero = func(p unsafe.Pointer) bool { return math.Float64bits(*(*float64)(p)) == 0 }
	case reflect.String:
		c.enc = func(e *encoder, p unsafe.Pointer) { e.string(*(*string)(p)) }
		c.dec = func(d *decoder, p unsafe.Pointer) { *(*string)(p) = d.string() }
		c.zero = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	case reflect.Pointer:
		b.pointer(c)
	case reflect.Slice:
		b.slice(c)
	case reflect.Array:
		b.array(c)
	case reflect.Map:
		b.mapCodec(c)
	case reflect.Struct:
		b.structCodec(c)
	case reflect.Interface:
		b.iface(c)
	default:
		// Functions, channels, complex numbers, unsafe pointers: only their zero value (which a
		// struct field skips) can be stored.
		kind := t.Kind()
		c.zero = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() }
		c.enc = func(e *encoder, p unsafe.Pointer) {
			e.fail(fmt.Errorf("%w: a %s value", errUncacheable, kind))
		}
		c.dec = func(d *decoder, p unsafe.Pointer) { d.fail("a %s value", kind) }
	}
	return c
}

func loadInt(p unsafe.Pointer, size uintptr) int64 {
	switch size {
	case 1:
		return int64(*(*int8)(p))
	case 2:
		return int64(*(*int16)(p))
	case 4:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func storeInt(p unsafe.Pointer, size uintptr, v int64) {
	switch size {
	case 1:
		*(*int8)(p) = int8(v)
	case 2:
		*(*int16)(p) = int16(v)
	case 4:
		*(*int32)(p) = int32(v)
	default:
		*(*int64)(p) = v
	}
}

func loadUint(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

func storeUint(p unsafe.Pointer, size uintptr, v uint64) {
	switch size {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	default:
		*(*uint64)(p) = v
	}
}

// objKey identifies an object for sharing: its address and type (a struct and its first field
// share an address).
type objKey struct {
	p unsafe.Pointer
	t reflect.Type
}

func (b *codecBuilder) pointer(c *typeCodec) {
	elemT := c.t.Elem()
	elem := b.build(elemT)
	c.zero = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	c.enc = func(e *encoder, p unsafe.Pointer) {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			e.uvarint(0)
			return
		}
		if id, ok := e.id(q, elemT); ok {
			e.uvarint(id + 2)
			return
		}
		e.uvarint(1)
		e.enter()
		elem.enc(e, q)
		e.depth--
	}
	c.dec = func(d *decoder, p unsafe.Pointer) {
		switch n := d.uvarint(); n {
		case 0:
			*(*unsafe.Pointer)(p) = nil
		case 1:
			q := reflect.New(elemT).UnsafePointer()
			*(*unsafe.Pointer)(p) = q
			d.objs = append(d.objs, objKey{q, elemT})
			d.enter()
			elem.dec(d, q)
			d.depth--
		default:
			n -= 2
			if n >= uint64(len(d.objs)) || d.objs[n].t != elemT {
				d.fail("bad object reference %d", n)
			}
			*(*unsafe.Pointer)(p) = d.objs[n].p
		}
	}
}

// sliceHeader is the memory layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func (b *codecBuilder) slice(c *typeCodec) {
	t := c.t
	elem := b.build(t.Elem())
	size := t.Elem().Size()
	c.zero = func(p unsafe.Pointer) bool { return (*sliceHeader)(p).data == nil }
	c.enc = func(e *encoder, p unsafe.Pointer) {
		h := (*sliceHeader)(p)
		if h.data == nil {
			e.uvarint(0)
			return
		}
		e.uvarint(uint64(h.len) + 1)
		for i := range h.len {
			elem.enc(e, unsafe.Add(h.data, uintptr(i)*size))
		}
	}
	c.dec = func(d *decoder, p unsafe.Pointer) {
		n := d.length()
		if n < 0 {
			*(*sliceHeader)(p) = sliceHeader{}
			return
		}
		s := reflect.MakeSlice(t, n, n)
		h := (*sliceHeader)(p)
		*h = sliceHeader{data: s.UnsafePointer(), len: n, cap: n}
		for i := range n {
			elem.dec(d, unsafe.Add(h.data, uintptr(i)*size))
		}
	}
}

func (b *codecBuilder) array(c *typeCodec) {
	elem := b.build(c.t.Elem())
	n := c.t.Len()
	size := c.t.Elem().Size()
	c.zero = func(p unsafe.Pointer) bool {
		for i := range n {
			if !elem.zero(unsafe.Add(p, uintptr(i)*size)) {
				return false
			}
		}
		return true
	}
	c.enc = func(e *encoder, p unsafe.Pointer) {
		for i := range n {
			elem.enc(e, unsafe.Add(p, uintptr(i)*size))
		}
	}
	c.dec = func(d *decoder, p unsafe.Pointer) {
		for i := range n {
			elem.dec(d, unsafe.Add(p, uintptr(i)*size))
		}
	}
}

func (b *codecBuilder) mapCodec(c *typeCodec) {
	t := c.t
	kt, vt := t.Key(), t.Elem()
	key, val := b.build(kt), b.build(vt)
	c.zero = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	c.enc = func(e *encoder, p unsafe.Pointer) {
		m := reflect.NewAt(t, p).Elem()
		if m.IsNil() {
			e.uvarint(0)
			return
		}
		keys := m.MapKeys()
		if kt.Kind() == reflect.String {
			// Sorted, so that a document always encodes to the same bytes.
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		}
		e.uvarint(uint64(len(keys)) + 1)
		k, v := reflect.New(kt).Elem(), reflect.New(vt).Elem()
		for _, mk := range keys {
			k.Set(mk)
			v.Set(m.MapIndex(mk))
			key.enc(e, k.Addr().UnsafePointer())
			val.enc(e, v.Addr().UnsafePointer())
		}
	}
	c.dec = func(d *decoder, p unsafe.Pointer) {
		n := d.length()
		dst := reflect.NewAt(t, p).Elem()
		if n < 0 {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(t, n)
		k, v := reflect.New(kt).Elem(), reflect.New(vt).Elem()
		for range n {
			k.SetZero()
			v.SetZero()
			key.dec(d, k.Addr().UnsafePointer())
			val.dec(d, v.Addr().UnsafePointer())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	}
}

type fieldCodec struct {
	off uintptr
	c   *typeCodec
}

func (b *codecBuilder) structCodec(c *typeCodec) {
	var fields []fieldCodec
	for i := range c.t.NumField() {
		f := c.t.Field(i)
		if f.Name == "_" {
			continue
		}
		fields = append(fields, fieldCodec{off: f.Offset, c: b.build(f.Type)})
	}
	c.zero = func(p unsafe.Pointer) bool {
		for _, f := range fields {
			if !f.c.zero(unsafe.Add(p, f.off)) {
				return false
			}
		}
		return true
	}
	c.enc = func(e *encoder, p unsafe.Pointer) {
		for i, f := range fields {
			fp := unsafe.Add(p, f.off)
			if f.c.zero(fp) {
				continue
			}
			e.uvarint(uint64(i) + 1)
			f.c.enc(e, fp)
		}
		e.uvarint(0)
	}
	c.dec = func(d *decoder, p unsafe.Pointer) {
		for {
			i := d.uvarint()
			if i == 0 {
				return
			}
			if i > uint64(len(fields)) {
				d.fail("bad field %d", i)
			}
			f := fields[i-1]
			f.c.dec(d, unsafe.Add(p, f.off))
		}
	}
}

func (b *codecBuilder) iface(c *typeCodec) {
	t := c.t
	c.zero = func(p unsafe.Pointer) bool { return *(*[2]unsafe.Pointer)(p) == [2]unsafe.Pointer{} }
	if t.NumMethod() > 0 {
		// error, format validators: a loader that set one is not something to replay.
		c.enc = func(e *encoder, p unsafe.Pointer) {
			e.fail(fmt.Errorf("%w: a %s value", errUncacheable, t))
		}
		c.dec = func(d *decoder, p unsafe.Pointer) { d.fail("a %s value", t) }
		return
	}
	c.enc = func(e *encoder, p unsafe.Pointer) { e.any(*(*any)(p)) }
	c.dec = func(d *decoder, p unsafe.Pointer) { *(*any)(p) = d.any() }
}

// Tags of the dynamic types `any` may hold: what encoding/json and YAML decoders produce.
const (
	anyNil byte = iota
	anyFalse
	anyTrue
	anyString
	anyFloat64
	anyInt
	anyInt64
	anyUint64
	anyMap    // map[string]any
	anySlice  // []any
	anyAnyMap // map[any]any (YAML with non-string keys)
)

type encoder struct {
	buf []byte
	// ids numbers the objects encoded so far by address; types[id] is the type each was
	// encoded as. An address met again with another type (a struct and its first field) is
	// numbered in more, keyed by both.
	ids   map[unsafe.Pointer]uint64
	types []reflect.Type
	more  map[objKey]uint64
	depth int
}

// id returns the number of the object of type t at p if it was encoded already; otherwise it
// numbers it and returns false.
func (e *encoder) id(p unsafe.Pointer, t reflect.Type) (uint64, bool) {
	next := uint64(len(e.types))
	id, ok := e.ids[p]
	switch {
	case !ok:
		e.ids[p] = next
	case e.types[id] == t:
		return id, true
	default:
		k := objKey{p, t}
		if id, ok := e.more[k]; ok {
			return id, true
		}
		if e.more == nil {
			e.more = map[objKey]uint64{}
		}
		e.more[k] = next
	}
	e.types = append(e.types, t)
	return 0, false
}

// encodeError carries an encoding failure up through the recursion.
type encodeError struct{ err error }

func (e *encoder) fail(err error) { panic(encodeError{err}) }

func (e *encoder) enter() {
	e.depth++
	if e.depth > maxSnapshotDepth {
		e.fail(fmt.Errorf("%w: nested more than %d levels", errUncacheable, maxSnapshotDepth))
	}
}

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) float(f float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f))
}

func (e *encoder) bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) any(v any) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, anyNil)
	case bool:
		if x {
			e.buf = append(e.buf, anyTrue)
		} else {
			e.buf = append(e.buf, anyFalse)
		}
	case string:
		e.buf = append(e.buf, anyString)
		e.string(x)
	case float64:
		e.buf = append(e.buf, anyFloat64)
		e.float(x)
	case int:
		e.buf = append(e.buf, anyInt)
		e.varint(int64(x))
	case int64:
		e.buf = append(e.buf, anyInt64)
		e.varint(x)
	case uint64:
		e.buf = append(e.buf, anyUint64)
		e.uvarint(x)
	case map[string]any:
		e.buf = append(e.buf, anyMap)
		if x == nil {
			e.uvarint(0)
			return
		}
		e.enter()
		e.uvarint(uint64(len(x)) + 1)
		for _, k := range slices.Sorted(mapKeys(x)) {
			e.string(k)
			e.any(x[k])
		}
		e.depth--
	case []any:
		e.buf = append(e.buf, anySlice)
		if x == nil {
			e.uvarint(0)
			return
		}
		e.enter()
		e.uvarint(uint64(len(x)) + 1)
		for _, item := range x {
			e.any(item)
		}
		e.depth--
	case map[any]any:
		e.buf = append(e.buf, anyAnyMap)
		if x == nil {
			e.uvarint(0)
			return
		}
		e.enter()
		e.uvarint(uint64(len(x)) + 1)
		for k, item := range x {
			e.any(k)
			e.any(item)
		}
		e.depth--
	default:
		e.fail(fmt.Errorf("%w: a %T value", errUncacheable, v))
	}
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// encodeSnapshot encodes s (sizeHint: the expected size, the source's is close); the error wraps
// errUncacheable when the graph holds something the
// encoding cannot represent.
func encodeSnapshot(s *snapshot, sizeHint int) ([]byte, error) {
	return appendSnapshot(make([]byte, 0, max(sizeHint, 1<<16)), s)
}

// appendSnapshot is encodeSnapshot appending to buf.
func appendSnapshot(buf []byte, s *snapshot) (out []byte, err error) {
	c := snapshotCodec()
	e := &encoder{ids: map[unsafe.Pointer]uint64{}, buf: buf}
	defer func() {
		if r := recover(); r != nil {
			ee, ok := r.(encodeError)
			if !ok {
				panic(r)
			}
			out, err = nil, ee.err
		}
	}()
	c.enc(e, unsafe.Pointer(s))
	return e.buf, nil
}

type decoder struct {
	s     string
	i     int
	objs  []objKey
	depth int
}

// decodeFailure carries a decoding failure up through the recursion.
type decodeFailure struct{ msg string }

func (d *decoder) fail(format string, args ...any) {
	panic(decodeFailure{fmt.Sprintf("offset %d: ", d.i) + fmt.Sprintf(format, args...)})
}

func (d *decoder) enter() {
	d.depth++
	if d.depth > maxSnapshotDepth {
		d.fail("nested too deep")
	}
}

func (d *decoder) uvarint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.i >= len(d.s) {
			d.fail("truncated")
		}
		b := d.s[d.i]
		d.i++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
	d.fail("bad varint")
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) float() float64 {
	if len(d.s)-d.i < 8 {
		d.fail("truncated")
	}
	v := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(d.s[d.i:]), 8))
	d.i += 8
	return math.Float64frombits(v)
}

func (d *decoder) bool() bool {
	if d.i >= len(d.s) {
		d.fail("truncated")
	}
	b := d.s[d.i]
	d.i++
	if b > 1 {
		d.fail("bad bool")
	}
	return b == 1
}

// length reads a slice or map length: -1 for nil. Every element takes at least one byte, so a
// length beyond the bytes left is corrupt (and is not allocated).
func (d *decoder) length() int {
	n := d.uvarint()
	if n == 0 {
		return -1
	}
	n--
	if n > uint64(len(d.s)-d.i) {
		d.fail("length %d beyond the end", n)
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail("string beyond the end")
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) any() any {
	if d.i >= len(d.s) {
		d.fail("truncated")
	}
	tag := d.s[d.i]
	d.i++
	switch tag {
	case anyNil:
		return nil
	case anyFalse:
		return false
	case anyTrue:
		return true
	case anyString:
		return d.string()
	case anyFloat64:
		return d.float()
	case anyInt:
		return int(d.varint())
	case anyInt64:
		return d.varint()
	case anyUint64:
		return d.uvarint()
	case anyMap:
		n := d.length()
		if n < 0 {
			return map[string]any(nil)
		}
		d.enter()
		m := make(map[string]any, n)
		for range n {
			k := d.string()
			m[k] = d.any()
		}
		d.depth--
		return m
	case anySlice:
		n := d.length()
		if n < 0 {
			return []any(nil)
		}
		d.enter()
		s := make([]any, n)
		for i := range s {
			s[i] = d.any()
		}
		d.depth--
		return s
	case anyAnyMap:
		n := d.length()
		if n < 0 {
			return map[any]any(nil)
		}
		d.enter()
		m := make(map[any]any, n)
		for range n {
			k := d.any()
			if !reflect.TypeOf(k).Comparable() {
				d.fail("map key of type %T", k)
			}
			m[k] = d.any()
		}
		d.depth--
		return m
	}
	d.fail("bad value tag %d", tag)
	return nil
}

// decodeSnapshot decodes a snapshot from data, which the result's strings share: data must not
// change afterwards. A corrupt snapshot is an error, never a panic.
func decodeSnapshot(data string) (s *snapshot, err error) {
	c := snapshotCodec()
	d := &decoder{s: data}
	defer func() {
		if r := recover(); r != nil {
			if df, ok := r.(decodeFailure); ok {
				s, err = nil, errors.New("corrupt snapshot: "+df.msg)
				return
			}
			// A runtime error here is a corrupt snapshot the checks above missed: report it, and
			// let the caller load the document the slow way.
			s, err = nil, fmt.Errorf("corrupt snapshot: %v", r)
		}
	}()
	s = &snapshot{}
	c.dec(d, unsafe.Pointer(s))
	if d.i != len(d.s) {
		return nil, fmt.Errorf("corrupt snapshot: %d bytes after the end", len(d.s)-d.i)
	}
	return s, nil
}

// layoutFingerprint hashes the layout of every type a snapshot holds (names, kinds, sizes, field
// names, offsets): a binary built with different types (another kin-openapi) never decodes a
// snapshot it did not write.
var layoutFingerprint = sync.OnceValue(func() [32]byte {
	var b strings.Builder
	b.WriteString(snapshotFormat)
	seen := map[reflect.Type]int{}
	var describe func(t reflect.Type)
	describe = func(t reflect.Type) {
		if i, ok := seen[t]; ok {
			fmt.Fprintf(&b, "@%d", i)
			return
		}
		seen[t] = len(seen)
		fmt.Fprintf(&b, "(%s.%s %s %d", t.PkgPath(), t.String(), t.Kind(), t.Size())
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			if t.Kind() == reflect.Array {
				fmt.Fprintf(&b, " [%d]", t.Len())
			}
			describe(t.Elem())
		case reflect.Map:
			describe(t.Key())
			describe(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(&b, " %s@%d:", f.Name, f.Offset)
				describe(f.Type)
			}
		}
		b.WriteString(")")
	}
	describe(reflect.TypeFor[snapshot]())
	return sha256.Sum256([]byte(b.String()))
})
