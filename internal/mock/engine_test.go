package mock

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
)

func rulesDoc(t testing.TB) *spec.Document {
	return loadSpec(t, "testdata/rules.yaml")
}

// do sends one request through Respond, routed by the document like the server does.
func do(t testing.TB, e *Engine, doc *spec.Document, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(body))
	if body == "" {
		r.Body = http.NoBody
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	m := doc.Find(method, r.URL.Path)
	if m.Operation == nil {
		t.Fatalf("%s %s: no operation", method, target)
	}
	rec := httptest.NewRecorder()
	e.Respond(rec, r, m)
	return rec
}

func problemOf(t testing.TB, rec *httptest.ResponseRecorder) problem.Details {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q, want problem+json; body %s", ct, rec.Body.String())
	}
	var d problem.Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRespondChoice(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		wantStatus int
		wantType   string
		body       string
		check      func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{name: "lowest 2xx and first conforming example", method: "GET", target: "/pets", wantStatus: 200, wantType: "application/json",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				// Examples are ordered by name here (the loader keeps no positions); "broken"
				// does not conform so the default skips it.
				if got := strings.TrimSpace(rec.Body.String()); got != `[{"id":1,"name":"Rex"}]` {
					t.Errorf("body = %s", got)
				}
			}},
		{name: "xml when asked", method: "GET", target: "/pets", header: map[string]string{"Accept": "application/xml"}, wantStatus: 200, wantType: "application/xml",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				var v any
				if err := xml.Unmarshal(rec.Body.Bytes(), &v); err != nil {
					t.Errorf("not XML: %v: %s", err, rec.Body.String())
				}
			}},
		{name: "q-values pick the higher", method: "GET", target: "/pets", header: map[string]string{"Accept": "application/json;q=0.4, application/xml;q=0.9"}, wantStatus: 200, wantType: "application/xml"},
		{name: "wildcard prefers json", method: "GET", target: "/pets", header: map[string]string{"Accept": "*/*"}, wantStatus: 200, wantType: "application/json"},
		{name: "type wildcard", method: "GET", target: "/pets", header: map[string]string{"Accept": "application/*"}, wantStatus: 200, wantType: "application/json"},
		{name: "q=0 excludes", method: "GET", target: "/pets", header: map[string]string{"Accept": "application/json;q=0, */*;q=0.1"}, wantStatus: 200, wantType: "application/xml"},
		{name: "nothing acceptable is 406", method: "GET", target: "/pets", header: map[string]string{"Accept": "text/html"}, wantStatus: 406, wantType: problem.ContentType,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if d := problemOf(t, rec); !strings.Contains(d.Detail, "application/json") {
					t.Errorf("detail does not list what is offered: %q", d.Detail)
				}
			}},
		{name: "prefer code", method: "GET", target: "/pets", header: map[string]string{"Prefer": "code=404"}, wantStatus: 404, wantType: "application/json",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := strings.TrimSpace(rec.Body.String()); got != `{"message":"no pets"}` {
					t.Errorf("body = %s", got)
				}
			}},
		{name: "prefer code served by default", method: "GET", target: "/pets", header: map[string]string{"Prefer": "code=500"}, wantStatus: 500, wantType: "application/json",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				var v map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["error"] == nil {
					t.Errorf("body = %s", rec.Body.String())
				}
			}},
		{name: "unknown code is 422 listing codes", method: "POST", target: "/pets", header: map[string]string{"Prefer": "code=418", "Authorization": "Bearer x", "Content-Type": "application/json"}, body: `{"name":"Rex"}`, wantStatus: 422, wantType: problem.ContentType,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if d := problemOf(t, rec); !strings.Contains(d.Detail, "201, 422") {
					t.Errorf("detail = %q", d.Detail)
				}
			}},
		{name: "prefer example", method: "GET", target: "/pets", header: map[string]string{"Prefer": "example=two"}, wantStatus: 200, wantType: "application/json",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := strings.TrimSpace(rec.Body.String()); got != `[{"id":1,"name":"Rex"},{"id":2,"name":"Tom"}]` {
					t.Errorf("body = %s", got)
				}
			}},
		{name: "prefer example served as declared even when it does not conform", method: "GET", target: "/pets", header: map[string]string{"Prefer": "example=broken"}, wantStatus: 200, wantType: "application/json"},
		{name: "unknown example is 422 listing names", method: "GET", target: "/pets", header: map[string]string{"Prefer": "example=nope"}, wantStatus: 422, wantType: problem.ContentType,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if d := problemOf(t, rec); !strings.Contains(d.Detail, "broken, one, two") {
					t.Errorf("detail = %q", d.Detail)
				}
			}},
		{name: "media example", method: "GET", target: "/pets/7", header: map[string]string{"X-API-Key": "k"}, wantStatus: 200, wantType: "application/json",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := strings.TrimSpace(rec.Body.String()); got != `{"id":7,"name":"Rex","tag":"ab-123"}` {
					t.Errorf("body = %s", got)
				}
			}},
		{name: "no content response", method: "DELETE", target: "/pets/7", header: map[string]string{"Cookie": "session=abc"}, wantStatus: 204, wantType: "",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Body.Len() != 0 {
					t.Errorf("body = %q", rec.Body.String())
				}
			}},
		{name: "range key served as its first code", method: "GET", target: "/formats", wantStatus: 200, wantType: "application/json"},
		{name: "text/plain generated within lengths", method: "GET", target: "/text", wantStatus: 200, wantType: "text/plain",
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if n := len(rec.Body.String()); n < 5 || n > 8 {
					t.Errorf("body %q has length %d", rec.Body.String(), n)
				}
			}},
		{name: "binary when asked", method: "GET", target: "/text", header: map[string]string{"Accept": "application/octet-stream"}, wantStatus: 200, wantType: "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, e, doc, tt.method, tt.target, tt.header, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
			if rec.Code < 300 && tt.name != "prefer example served as declared even when it does not conform" {
				r := httptest.NewRequest(tt.method, "http://127.0.0.1"+tt.target, nil)
				m := doc.Find(tt.method, r.URL.Path)
				if probs := e.ValidateResponse(m.Operation, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
					t.Errorf("response does not validate: %v", probs)
				}
			}
		})
	}
}

func TestRespondValidation(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	bearer := map[string]string{"Authorization": "Bearer anything", "Content-Type": "application/json"}
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		body       string
		wantStatus int
		wantLoc    []string
	}{
		{name: "valid query", method: "GET", target: "/pets?limit=5", wantStatus: 200},
		{name: "query not an integer", method: "GET", target: "/pets?limit=abc", wantStatus: 400, wantLoc: []string{"query.limit"}},
		{name: "query above maximum", method: "GET", target: "/pets?limit=1000", wantStatus: 400, wantLoc: []string{"query.limit"}},
		{name: "header format", method: "GET", target: "/pets", header: map[string]string{"X-Request-Id": "not-a-uuid"}, wantStatus: 400, wantLoc: []string{"header.X-Request-Id"}},
		{name: "several problems listed", method: "GET", target: "/pets?limit=0", header: map[string]string{"X-Request-Id": "zz"}, wantStatus: 400, wantLoc: []string{"query.limit", "header.X-Request-Id"}},
		{name: "uncompilable pattern is skipped", method: "GET", target: "/pets?code=abc", wantStatus: 200},
		{name: "path parameter", method: "GET", target: "/pets/0", header: map[string]string{"X-API-Key": "k"}, wantStatus: 400, wantLoc: []string{"path.petId"}},
		{name: "missing bearer", method: "POST", target: "/pets", header: map[string]string{"Content-Type": "application/json"}, body: `{"name":"Rex"}`, wantStatus: 401},
		{name: "wrong auth scheme", method: "POST", target: "/pets", header: map[string]string{"Authorization": "Basic eDp5", "Content-Type": "application/json"}, body: `{"name":"Rex"}`, wantStatus: 401},
		{name: "valid body", method: "POST", target: "/pets", header: bearer, body: `{"name":"Rex","secret":"s"}`, wantStatus: 201},
		{name: "unparseable body", method: "POST", target: "/pets", header: bearer, body: `{"name":`, wantStatus: 400, wantLoc: []string{"body"}},
		{name: "missing body", method: "POST", target: "/pets", header: bearer, wantStatus: 400, wantLoc: []string{"body"}},
		{name: "body violates schema", method: "POST", target: "/pets", header: bearer, body: `{"name":"R","status":"gone"}`, wantStatus: 422, wantLoc: []string{"body.name", "body.status"}},
		{name: "readOnly in request", method: "POST", target: "/pets", header: bearer, body: `{"id":3,"name":"Rex"}`, wantStatus: 422, wantLoc: []string{"body.id"}},
		{name: "api key in query", method: "GET", target: "/pets/3?api_key=x", wantStatus: 200},
		{name: "no api key", method: "GET", target: "/pets/3", wantStatus: 401},
		{name: "basic auth", method: "DELETE", target: "/pets/3", header: map[string]string{"Authorization": "Basic eDp5"}, wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, e, doc, tt.method, tt.target, tt.header, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if rec.Code == 401 {
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				problemOf(t, rec)
			}
			if len(tt.wantLoc) == 0 {
				return
			}
			d := problemOf(t, rec)
			for _, loc := range tt.wantLoc {
				found := false
				for _, item := range d.Errors {
					if item.Location == loc && item.Message != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem at %s in %+v", loc, d.Errors)
				}
			}
		})
	}
}

func TestRespondOptionsOff(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{})
	rec := do(t, e, doc, "POST", "/pets", map[string]string{"Content-Type": "application/json"}, `{"name":"R"}`)
	if rec.Code != 201 {
		t.Fatalf("status = %d with validation and security off; body %s", rec.Code, rec.Body.String())
	}
	e = New(doc, Options{ValidateRequests: true})
	if rec := do(t, e, doc, "GET", "/pets/3", nil, ""); rec.Code != 200 {
		t.Fatalf("status = %d with security off", rec.Code)
	}
}

func TestRespondGenerated(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{})
	get := func(target string, header map[string]string) *httptest.ResponseRecorder {
		return do(t, e, doc, "GET", target, header, "")
	}
	t.Run("readOnly in, writeOnly out", func(t *testing.T) {
		rec := do(t, e, doc, "POST", "/pets", map[string]string{"Content-Type": "application/json"}, `{"name":"Rex"}`)
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if _, ok := v["id"]; !ok {
			t.Errorf("readOnly id missing from response: %v", v)
		}
		if _, ok := v["secret"]; ok {
			t.Errorf("writeOnly secret in response: %v", v)
		}
		if tag, _ := v["tag"].(string); tag != "" && !compilePattern(`^[a-z]{2}-[0-9]{3}$`).full.MatchString(tag) {
			t.Errorf("tag %q does not match its pattern", tag)
		}
	})
	t.Run("deterministic per request", func(t *testing.T) {
		a, b := get("/formats?x=1", nil), get("/formats?x=1", nil)
		if a.Body.String() != b.Body.String() {
			t.Errorf("same request, different bodies:\n%s\n%s", a.Body, b.Body)
		}
		c := get("/formats?x=2", nil)
		if a.Body.String() == c.Body.String() {
			t.Errorf("a different query gave the same body")
		}
	})
	t.Run("dynamic varies", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 5; i++ {
			seen[get("/formats", map[string]string{"Prefer": "dynamic=true"}).Body.String()] = true
		}
		if len(seen) < 2 {
			t.Errorf("dynamic=true gave the same body 5 times")
		}
	})
	t.Run("headers generated from schemas", func(t *testing.T) {
		rec := get("/pets", nil)
		n, err := strconv.Atoi(rec.Header().Get("X-Rate-Limit"))
		if err != nil || n < 10 || n > 20 {
			t.Errorf("X-Rate-Limit = %q", rec.Header().Get("X-Rate-Limit"))
		}
		if !uuidRe.MatchString(rec.Header().Get("X-Trace")) {
			t.Errorf("X-Trace = %q", rec.Header().Get("X-Trace"))
		}
	})
	t.Run("discriminator", func(t *testing.T) {
		kinds := map[string]bool{}
		for i := 0; i < 6; i++ {
			rec := get("/animals?i="+strconv.Itoa(i), nil)
			var v map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			kind, _ := v["kind"].(string)
			if kind != "cat" && kind != "dog" {
				t.Errorf("kind = %q, want a mapping key: %v", kind, v)
			}
			kinds[kind] = true
			r := httptest.NewRequest("GET", "http://127.0.0.1/animals", nil)
			if probs := e.ValidateResponse(doc.Find("GET", "/animals").Operation, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
				t.Errorf("does not validate: %v: %s", probs, rec.Body)
			}
		}
	})
	t.Run("recursion terminates", func(t *testing.T) {
		rec := get("/tree", nil)
		r := httptest.NewRequest("GET", "http://127.0.0.1/tree", nil)
		if probs := e.ValidateResponse(doc.Find("GET", "/tree").Operation, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
			t.Errorf("does not validate: %v: %s", probs, rec.Body)
		}
	})
	t.Run("head has no body", func(t *testing.T) {
		rec := do(t, e, doc, "HEAD", "/pets", nil, "")
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
			t.Errorf("HEAD: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
		}
	})
}

func TestValidateResponseProblems(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{})
	op := doc.Find("GET", "/pets/1").Operation
	h := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		wantLoc string
	}{
		{name: "conforms", status: 200, header: h, body: `{"id":1,"name":"Rex"}`},
		{name: "missing required", status: 200, header: h, body: `{"id":1}`, wantLoc: "body.name"},
		{name: "wrong type", status: 200, header: h, body: `{"id":"x","name":"Rex"}`, wantLoc: "body.id"},
		{name: "writeOnly present", status: 200, header: h, body: `{"id":1,"name":"Rex","secret":"s"}`, wantLoc: "body.secret"},
		{name: "undeclared content type", status: 200, header: http.Header{"Content-Type": {"text/csv"}}, body: `a,b`, wantLoc: "header.Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := e.ValidateResponse(op, nil, tt.status, tt.header, []byte(tt.body))
			if tt.wantLoc == "" {
				if len(probs) > 0 {
					t.Errorf("problems: %v", probs)
				}
				return
			}
			for _, p := range probs {
				if p.Location == tt.wantLoc {
					return
				}
			}
			t.Errorf("no problem at %s: %v", tt.wantLoc, probs)
		})
	}
}

func TestSampleRequest(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	tests := []struct {
		method, path string
		check        func(t *testing.T, s Sample)
	}{
		{"POST", "/pets", func(t *testing.T, s Sample) {
			if s.Headers["Authorization"] != "Bearer "+Placeholder {
				t.Errorf("Authorization = %q", s.Headers["Authorization"])
			}
			if s.ContentType != "application/json" || len(s.Body) == 0 {
				t.Errorf("body %q (%s)", s.Body, s.ContentType)
			}
			var v map[string]any
			if err := json.Unmarshal(s.Body, &v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v["id"]; ok {
				t.Errorf("readOnly id in a request body: %v", v)
			}
		}},
		{"GET", "/pets/{petId}", func(t *testing.T, s Sample) {
			if s.Headers["X-API-Key"] != Placeholder {
				t.Errorf("headers = %v", s.Headers)
			}
			if s.Path == "/pets/{petId}" || !strings.HasPrefix(s.Path, "/pets/") || s.PathParams["petId"] == "" {
				t.Errorf("path = %q params %v", s.Path, s.PathParams)
			}
		}},
		{"DELETE", "/pets/{petId}", func(t *testing.T, s Sample) {
			if !strings.HasPrefix(s.Headers["Authorization"], "Basic ") {
				t.Errorf("headers = %v", s.Headers)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var op *spec.Operation
			for _, o := range doc.Operations {
				if o.Method == tt.method && o.Path == tt.path {
					op = o
				}
			}
			s := e.SampleRequest(op)
			tt.check(t, s)
			r := sampleHTTPRequest(op, s)
			rec := httptest.NewRecorder()
			e.Respond(rec, r, spec.Match{Operation: op, PathParams: s.PathParams})
			if rec.Code >= 400 {
				t.Errorf("sample refused: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// TestAddPlaceholderCredentials: a request without an accepted credential gets the one
// SampleRequest would use, and is then answered; one that carries an accepted credential (any
// alternative) is left alone.
func TestAddPlaceholderCredentials(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	find := func(method, path string) *spec.Operation {
		for _, o := range doc.Operations {
			if o.Method == method && o.Path == path {
				return o
			}
		}
		t.Fatalf("no %s %s", method, path)
		return nil
	}
	tests := []struct {
		name         string
		method, path string
		target       string
		header       map[string]string
		wantHeader   map[string]string
		wantQuery    string
	}{
		{name: "api key header added", method: "GET", path: "/pets/{petId}", target: "/pets/7",
			wantHeader: map[string]string{"X-API-Key": Placeholder}},
		{name: "the other alternative is kept", method: "GET", path: "/pets/{petId}", target: "/pets/7?api_key=mine",
			wantHeader: map[string]string{"X-API-Key": ""}, wantQuery: "api_key=mine"},
		{name: "own header kept", method: "GET", path: "/pets/{petId}", target: "/pets/7",
			header: map[string]string{"X-API-Key": "mine"}, wantHeader: map[string]string{"X-API-Key": "mine"}},
		{name: "basic", method: "DELETE", path: "/pets/{petId}", target: "/pets/7",
			wantHeader: map[string]string{"Authorization": "Basic bW9ja2xvb3A6bW9ja2xvb3AtcGxhY2Vob2xkZXI="}},
		{name: "bearer replaces another scheme", method: "POST", path: "/pets", target: "/pets",
			header: map[string]string{"Authorization": "Basic eDp5"}, wantHeader: map[string]string{"Authorization": "Bearer " + Placeholder}},
		{name: "not secured", method: "GET", path: "/pets", target: "/pets",
			wantHeader: map[string]string{"Authorization": "", "X-API-Key": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := find(tt.method, tt.path)
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			e.AddPlaceholderCredentials(op, r)
			for k, want := range tt.wantHeader {
				if got := r.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if r.URL.RawQuery != tt.wantQuery || r.RequestURI != r.URL.RequestURI() {
				t.Errorf("query %q (request URI %q), want %q", r.URL.RawQuery, r.RequestURI, tt.wantQuery)
			}
			if _, ok := e.operation(op).authorized(r); !ok {
				t.Errorf("still not authorized: %v", r.Header)
			}
		})
	}
}

func TestParsePrefer(t *testing.T) {
	tests := []struct {
		in   []string
		want Prefer
	}{
		{[]string{"code=404, example=notFound, dynamic=true"}, Prefer{Code: "404", Example: "notFound", Dynamic: true}},
		{[]string{`code="201"; dynamic`}, Prefer{Code: "201", Dynamic: true}},
		{[]string{"code=200", "example=a"}, Prefer{Code: "200", Example: "a"}},
		{[]string{"respond-async, dynamic=false"}, Prefer{}},
		{nil, Prefer{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, "|"), func(t *testing.T) {
			if got := ParsePrefer(tt.in); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestValidationCacheKeys checks that cached verdicts are keyed by everything validation
// reads: the query and the declared header parameters.
func TestValidationCacheKeys(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true})
	steps := []struct {
		target string
		header map[string]string
		want   int
	}{
		{"/pets", map[string]string{"X-Request-Id": "bad"}, 400},
		{"/pets", map[string]string{"X-Request-Id": "5f0c6b1e-9d1a-4c1e-8f7a-2b3c4d5e6f70"}, 200},
		{"/pets", nil, 200},
		{"/pets", map[string]string{"X-Request-Id": "bad"}, 400},
		{"/pets?limit=0", nil, 400},
		{"/pets?limit=1", nil, 200},
		{"/pets?limit=0", nil, 400},
	}
	for i, st := range steps {
		if rec := do(t, e, doc, "GET", st.target, st.header, ""); rec.Code != st.want {
			t.Errorf("step %d %s %v: status %d, want %d", i, st.target, st.header, rec.Code, st.want)
		}
	}
}

func TestRespond31(t *testing.T) {
	doc := loadSpec(t, "testdata/rules31.yaml")
	e := New(doc, Options{ValidateRequests: true})
	op := doc.Find("POST", "/things").Operation
	s := e.SampleRequest(op)
	r := sampleHTTPRequest(op, s)
	rec := httptest.NewRecorder()
	e.Respond(rec, r, spec.Match{Operation: op})
	if rec.Code != 201 {
		t.Fatalf("sample refused: %d %s", rec.Code, rec.Body)
	}
	if probs := e.ValidateResponse(op, r, rec.Code, rec.Header(), rec.Body.Bytes()); len(probs) > 0 {
		t.Errorf("generated 3.1 body does not validate: %v: %s", probs, rec.Body)
	}
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["kind"] != "thing" {
		t.Errorf("const not honoured: %s", rec.Body)
	}
	rec = do(t, e, doc, "POST", "/things", map[string]string{"Content-Type": "application/json"}, `{"kind":"thing","score":10,"ratio":0.6,"note":null}`)
	if rec.Code != 422 {
		t.Fatalf("status %d, want 422: %s", rec.Code, rec.Body)
	}
	d := problemOf(t, rec)
	if len(d.Errors) == 0 || d.Errors[0].Location != "body.score" || strings.HasPrefix(d.Errors[0].Message, "error at") {
		t.Errorf("errors = %+v", d.Errors)
	}
}

// FuzzHeaders feeds arbitrary Accept and Prefer headers through the parsers and the
// negotiation: no panic, and the choice is one of the offered media types or none.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"application/json;q=0.5, */*;q=0.1", "text/*;q=abc,", ";;,,*/", "code=404, example=x, dynamic", `code="2"; example=`, "*", "delay=1e400; fault=RESET", "delay=-0, delay=NaN"} {
		f.Add(s, s)
	}
	offered := []*media{
		{typ: "application", sub: "json", kind: kindJSON},
		{typ: "application", sub: "xml", kind: kindXML},
		{typ: "*", sub: "*", kind: kindJSON},
	}
	f.Fuzz(func(t *testing.T, accept, pref string) {
		_ = ParsePrefer([]string{pref})
		got := negotiate(offered, parseAccept(nil, []string{accept}))
		if got != nil && got != offered[0] && got != offered[1] && got != offered[2] {
			t.Fatalf("negotiate returned a media type it was not offered")
		}
	})
}

func TestNoBodyStatuses(t *testing.T) {
	doc := loadSpec(t, "../spec/testdata/realworld/response-examples-3.0.json")
	e := New(doc, Options{})
	rec := do(t, e, doc, "GET", "/example", map[string]string{"Prefer": "code=204"}, "")
	if rec.Code != 204 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "" {
		t.Fatalf("204 with body or length: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	op := doc.Find("GET", "/example").Operation
	if probs := e.ValidateResponse(op, nil, 204, http.Header{}, nil); len(probs) > 0 {
		t.Errorf("empty 204 reported: %v", probs)
	}
}

func TestRespondWithoutOperation(t *testing.T) {
	e := New(rulesDoc(t), Options{})
	rec := httptest.NewRecorder()
	e.Respond(rec, httptest.NewRequest("GET", "http://127.0.0.1/nowhere", nil), spec.Match{})
	if rec.Code != 404 {
		t.Fatalf("status %d", rec.Code)
	}
	problemOf(t, rec)
}
