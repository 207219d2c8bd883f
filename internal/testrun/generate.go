package testrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/spec"
)

// Sampler builds a request an operation accepts (the mock engine does).
type Sampler interface {
	SampleRequest(op *spec.Operation) mock.Sample
}

// Generate writes a plan with one case per operation of doc kept by filter, each a request
// the operation accepts (from sampler: examples first, else generated values; secured
// operations carry a credential) expecting the status the spec's chosen response declares.
// An operation whose chosen response is informational (101 Switching Protocols for a
// WebSocket) is left out, named in LeftOut: a protocol upgrade is not an answer two sides can
// be compared on, and the mock answers it 501. An empty result is an error naming the filter.
func Generate(doc *spec.Document, sampler Sampler, filter spec.Filter) (*Plan, error) {
	p := &Plan{}
	names := map[string]int{}
	for _, op := range doc.Operations {
		if !filter.Match(op) {
			continue
		}
		st, declared := DeclaredStatus(op)
		if declared && st < 200 {
			p.LeftOut = append(p.LeftOut, fmt.Sprintf("%s %s: answers %d %s, a protocol upgrade the test runner cannot compare",
				op.Method, op.Path, st, http.StatusText(st)))
			continue
		}
		s := sampler.SampleRequest(op)
		c := &Case{
			Name:        caseName(op, names),
			Operation:   op.ID,
			PathParams:  copyMap(s.PathParams),
			Headers:     copyMap(s.Headers),
			Cookies:     copyMap(s.Cookies),
			ContentType: s.ContentType,
			Op:          op,
		}
		if op.ID == "" || duplicateID(doc, op) {
			c.Operation = ""
			c.Method, c.Path = op.Method, op.Path
		}
		if len(s.Query) > 0 {
			c.Query = make(map[string]Values, len(s.Query))
			for k, v := range s.Query {
				c.Query[k] = Values(append([]string(nil), v...))
			}
		}
		if s.Body != nil {
			c.Body = bodyValue(s.ContentType, s.Body)
			if c.ContentType == "application/json" {
				c.ContentType = "" // the default, left out of the file
			}
		}
		if declared {
			c.Expect.Status = st
		}
		p.Cases = append(p.Cases, c)
	}
	if len(p.Cases) == 0 {
		if len(p.LeftOut) > 0 {
			return nil, fmt.Errorf("%s: no operation to test (%s)", doc.Source, strings.Join(p.LeftOut, "; "))
		}
		if !filter.Empty() {
			return nil, fmt.Errorf("no operation of %s matches %s", doc.Source, filter)
		}
		return nil, fmt.Errorf("%s has no operations", doc.Source)
	}
	return p, nil
}

// duplicateID reports whether op's operationId is used by another operation too (then the
// case names method and path instead).
func duplicateID(doc *spec.Document, op *spec.Operation) bool {
	for _, o := range doc.Operations {
		if o != op && o.ID == op.ID {
			return true
		}
	}
	return false
}

func caseName(op *spec.Operation, names map[string]int) string {
	n := op.ID
	if n == "" {
		n = op.Key()
	}
	names[n]++
	if k := names[n]; k > 1 {
		n = fmt.Sprintf("%s #%d", n, k)
	}
	return n
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// bodyValue turns an encoded body into the value a plan file shows: decoded JSON (numbers as
// int64 when integral, so YAML prints them exactly) or the text as a string.
func bodyValue(contentType string, body []byte) any {
	if contentType == "" || isJSON(contentType) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			return yamlNumbers(v)
		}
	}
	return string(body)
}

func yamlNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = yamlNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = yamlNumbers(x)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}

// DeclaredStatus is the status of the response the mock answers with by default, as the mock
// engine chooses it: the lowest numeric 2xx the operation declares; with only a 2XX range or
// a default response, any 2xx (ok is false); with no success response at all, the first
// declared code in key order (a spec that only documents 400 and 404 gets 400).
func DeclaredStatus(op *spec.Operation) (int, bool) {
	if op.Op == nil || op.Op.Responses == nil {
		return 0, false
	}
	keys := op.Op.Responses.Keys()
	sort.Strings(keys)
	var first string
	for _, k := range keys {
		if op.Op.Responses.Value(k) == nil || op.Op.Responses.Value(k).Value == nil {
			continue
		}
		if strings.HasPrefix(k, "2") || k == "default" {
			if c, err := strconv.Atoi(k); err == nil {
				return c, true
			}
			return 0, false
		}
		if first == "" {
			first = k
		}
	}
	if first == "" {
		return 0, false
	}
	if c, err := strconv.Atoi(first); err == nil && c >= 100 && c <= 599 {
		return c, true
	}
	if len(first) == 3 && first[0] >= '1' && first[0] <= '5' {
		return int(first[0]-'0') * 100, true
	}
	return 0, false
}
