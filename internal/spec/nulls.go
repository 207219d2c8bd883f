package spec

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
)

// nullEntries finds the objects written as null that the OpenAPI library keeps in the document
// as nil entries of a map or list, such as a media type with no value (`application/json:`, as
// in kin-openapi's own testdata/issue794.yml). The library's validation skips them; serving
// treats them as absent. Null schemas, responses, parameters and the like are refused at load,
// so they do not reach here.
func nullEntries(t *openapi3.T) []problem.Item {
	w := &nullWalker{seen: map[uintptr]bool{}}
	w.walk(reflect.ValueOf(t), "")
	return w.found
}

type nullWalker struct {
	seen  map[uintptr]bool
	found []problem.Item
}

var originType = reflect.TypeFor[*openapi3.Origin]()

func (w *nullWalker) walk(v reflect.Value, at string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == originType {
			return
		}
		if v.Elem().Kind() == reflect.Struct {
			if w.seen[v.Pointer()] {
				return
			}
			w.seen[v.Pointer()] = true
		}
		w.walk(v.Elem(), at)
	case reflect.Struct:
		w.fields(v, at)
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			return // extensions, example values
		}
		keys := v.MapKeys()
		if len(keys) == 0 || keys[0].Kind() != reflect.String {
			return
		}
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.String()
		}
		slices.Sort(names)
		for _, name := range names {
			w.entry(v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key())), at+"/"+escapePointer(name))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Interface {
			return
		}
		for i := range v.Len() {
			w.entry(v.Index(i), at+"/"+strconv.Itoa(i))
		}
	}
}

// fields walks a struct's members: a field's JSON name is a pointer segment; fields without one
// (a $ref's Value, the unexported maps of Paths, Responses and Callback) are transparent.
func (w *nullWalker) fields(v reflect.Value, at string) {
	if ref := v.FieldByName("Ref"); ref.IsValid() && ref.Kind() == reflect.String {
		if strings.HasPrefix(ref.String(), "#") {
			return // the target is walked where it is defined
		}
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && f.Type.Kind() != reflect.Map {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case name != "":
			w.walk(v.Field(i), at+"/"+name)
		default:
			w.walk(v.Field(i), at)
		}
	}
}

// entry checks one member of a map or list: a nil object or named map, or a $ref holder
// holding nothing.
func (w *nullWalker) entry(v reflect.Value, at string) {
	if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
		empty := v.IsNil()
		if !empty {
			ref, val := v.Elem().FieldByName("Ref"), v.Elem().FieldByName("Value")
			empty = ref.IsValid() && val.IsValid() && ref.String() == "" && val.IsNil()
		}
		if empty {
			w.found = append(w.found, problem.Item{Location: at,
				Message: kindWords(v.Type().Elem().Name()) + " is null: it must be an object"})
			return
		}
	}
	if v.Kind() == reflect.Map && v.IsNil() && v.Type().Name() != "" {
		// `security: [null]` would otherwise read as {}, which allows anonymous access.
		w.found = append(w.found, problem.Item{Location: at,
			Message: kindWords(v.Type().Name()) + " is null: it must be an object"})
		return
	}
	w.walk(v, at)
}

// kindWords turns a type name into words: MediaType -> "media type", ResponseRef -> "response".
func kindWords(name string) string {
	name = strings.TrimSuffix(name, "Ref")
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
