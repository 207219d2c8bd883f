package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	yamlv4 "go.yaml.in/yaml/v4"
)

// decodeJSON decodes an OpenAPI 3 JSON document, given as its top-level members, into an
// unresolved openapi3.T.
//
// It is what json.Unmarshal(data, &t) does, faster: kin-openapi's UnmarshalJSON methods decode
// each object twice (into the struct, and into a generic map for its extensions), so the
// document root, paths and components, which hold everything, would be decoded generically
// three times over, and Paths even re-encodes every path item. Here those top levels are split
// by hand and each path item and component decodes on its own, spread over the CPUs.
func decodeJSON(top map[string]string) (*openapi3.T, error) {
	t := &openapi3.T{}
	var jobs []job
	exts := map[string]*any{}
	for key, raw := range top {
		switch key {
		case "openapi":
			jobs = append(jobs, job{"/openapi", raw, &t.OpenAPI})
		case "info":
			jobs = append(jobs, job{"/info", raw, &t.Info})
		case "servers":
			jobs = append(jobs, job{"/servers", raw, &t.Servers})
		case "security":
			jobs = append(jobs, job{"/security", raw, &t.Security})
		case "tags":
			jobs = append(jobs, job{"/tags", raw, &t.Tags})
		case "externalDocs":
			jobs = append(jobs, job{"/externalDocs", raw, &t.ExternalDocs})
		case "jsonSchemaDialect":
			jobs = append(jobs, job{"/jsonSchemaDialect", raw, &t.JSONSchemaDialect})
		case "webhooks":
			jobs = append(jobs, job{"/webhooks", raw, &t.Webhooks})
		case "paths":
			paths, more, err := splitPaths(raw)
			if err != nil {
				return nil, &decodeError{at: "/paths", err: err}
			}
			t.Paths = paths
			jobs = append(jobs, more...)
		case "components":
			c, more, err := splitComponents(raw)
			if err != nil {
				return nil, &decodeError{at: "/components", err: err}
			}
			t.Components = c
			jobs = append(jobs, more...)
		default:
			// kin-openapi keeps every other member (x-* and unknown ones) as an extension.
			v := new(any)
			exts[key] = v
			jobs = append(jobs, job{"/" + escapePointer(key), raw, v})
		}
	}
	if err := runJobs(jobs); err != nil {
		return nil, err
	}
	for key, v := range exts {
		if t.Extensions == nil {
			t.Extensions = make(map[string]any, len(exts))
		}
		t.Extensions[key] = *v
	}
	return t, nil
}

// job decodes one subtree into its destination.
type job struct {
	at   string // JSON pointer, for errors
	raw  string // the subtree's JSON text, a slice of the document
	dest any
}

func runJobs(jobs []job) error {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for _, j := range jobs {
			if err := decodeJob(j); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	take := func() (job, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= len(jobs) {
			return job{}, false
		}
		next++
		return jobs[next-1], true
	}
	for range workers {
		wg.Go(func() {
			for {
				j, ok := take()
				if !ok {
					return
				}
				if err := decodeJob(j); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func decodeJob(j job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &decodeError{at: j.at, err: fmt.Errorf("cannot decode (internal error in the OpenAPI library: %v)", r)}
		}
	}()
	// kin-openapi's YAML decoding (one pass over a node tree, UnmarshalYAML) costs half the CPU
	// of its UnmarshalJSON methods; on one subtree at a time, the tree stays small. JSON is
	// YAML, and kin-openapi's own loader reads JSON documents the same way. The node tree is
	// built from the JSON directly (jsonscan.go), which is what YAML's parser would build.
	var yerr error
	if n, ok := jsonNodes(j.raw); ok {
		yerr = n.Decode(j.dest)
	} else {
		yerr = yamlv4.Unmarshal([]byte(j.raw), j.dest)
	}
	if yerr == nil {
		return nil
	}
	// YAML refuses a few things JSON allows (duplicate keys); kin-openapi then reads JSON.
	reflect.ValueOf(j.dest).Elem().SetZero()
	if err := json.Unmarshal([]byte(j.raw), j.dest); err != nil {
		// The YAML decoder's error says where inside the subtree; the JSON one does not.
		if ptr, text, _, ok := splitYAMLError(yerr.Error()); ok {
			return &decodeError{at: j.at + ptr, err: errors.New(text)}
		}
		return &decodeError{at: j.at, err: errors.New(strings.TrimPrefix(err.Error(), "json: "))}
	}
	return nil
}

func splitPaths(raw string) (*openapi3.Paths, []job, error) {
	m, err := objectOf(raw)
	if err != nil {
		return nil, nil, err
	}
	paths := openapi3.NewPaths()
	var jobs []job
	for key, v := range m {
		if strings.HasPrefix(key, "x-") {
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				return nil, nil, err
			}
			if paths.Extensions == nil {
				paths.Extensions = map[string]any{}
			}
			paths.Extensions[key] = x
			continue
		}
		if isNull(v) {
			paths.Set(key, nil)
			continue
		}
		item := &openapi3.PathItem{}
		paths.Set(key, item)
		jobs = append(jobs, job{"/paths/" + escapePointer(key), v, item})
	}
	return paths, jobs, nil
}

func splitComponents(raw string) (*openapi3.Components, []job, error) {
	m, err := objectOf(raw)
	if err != nil {
		return nil, nil, err
	}
	c := &openapi3.Components{}
	var jobs []job
	for kind, v := range m {
		var err error
		at := "/components/" + escapePointer(kind)
		switch kind {
		case "schemas":
			c.Schemas, err = splitMap[openapi3.SchemaRef](at, v, &jobs)
		case "parameters":
			c.Parameters, err = splitMap[openapi3.ParameterRef](at, v, &jobs)
		case "headers":
			c.Headers, err = splitMap[openapi3.HeaderRef](at, v, &jobs)
		case "requestBodies":
			c.RequestBodies, err = splitMap[openapi3.RequestBodyRef](at, v, &jobs)
		case "responses":
			c.Responses, err = splitMap[openapi3.ResponseRef](at, v, &jobs)
		case "securitySchemes":
			c.SecuritySchemes, err = splitMap[openapi3.SecuritySchemeRef](at, v, &jobs)
		case "examples":
			c.Examples, err = splitMap[openapi3.ExampleRef](at, v, &jobs)
		case "links":
			c.Links, err = splitMap[openapi3.LinkRef](at, v, &jobs)
		case "callbacks":
			c.Callbacks, err = splitMap[openapi3.CallbackRef](at, v, &jobs)
		default:
			var x any
			err = json.Unmarshal([]byte(v), &x)
			if c.Extensions == nil {
				c.Extensions = map[string]any{}
			}
			c.Extensions[kind] = x
		}
		if err != nil {
			return nil, nil, &decodeError{at: at, err: err}
		}
	}
	return c, jobs, nil
}

// splitMap allocates one V per member of the object raw and queues its decoding.
func splitMap[V any](at string, raw string, jobs *[]job) (map[string]*V, error) {
	if isNull(raw) {
		return nil, nil
	}
	m, err := objectOf(raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*V, len(m))
	for name, v := range m {
		if isNull(v) {
			out[name] = nil
			continue
		}
		dest := new(V)
		out[name] = dest
		*jobs = append(*jobs, job{at + "/" + escapePointer(name), v, dest})
	}
	return out, nil
}

func isNull(raw string) bool { return raw == "null" }

// objectOf is the members of the JSON object raw, the last of duplicate keys winning; "null" is
// no members. Anything else is the error encoding/json gives for it.
func objectOf(raw string) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	if m, ok := lastMembers(raw); ok {
		return m, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, err
	}
	return nil, errors.New("not a JSON object") // unreachable: the scanner takes every object
}

// decodeError is a decoding failure at a JSON pointer.
type decodeError struct {
	at  string
	err error
}

func (e *decodeError) Error() string { return e.at + ": " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }
