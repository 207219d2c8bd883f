package record

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

func loadPets(t testing.TB) *spec.Document {
	t.Helper()
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// exchange is a live answer as the server hands it to its observers.
func exchange(t testing.TB, doc *spec.Document, method, target string, status int, body string) *server.Exchange {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1"+target, nil)
	m := doc.Find(method, r.URL.Path)
	return &server.Exchange{Operation: m.Operation, Request: r, Status: status,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Mockloop-Mode": {"proxy"}, "Connection": {"keep-alive"}},
		Body:   []byte(body), Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Latency: 1500 * time.Microsecond}
}

func TestWriterFiles(t *testing.T) {
	doc := loadPets(t)
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := NewWriter(dir, doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*server.Exchange{
		exchange(t, doc, "GET", "/pets?limit=2", 200, `[{"id": 1, "name": "Rex"}]`),
		exchange(t, doc, "GET", "/pets?limit=2", 200, `[{"id": 2, "name": "Tom"}]`),
		exchange(t, doc, "GET", "/pets?limit=3", 200, `[]`),
		exchange(t, doc, "GET", "/pets/7", 404, `{"message": "no"}`),
		exchange(t, doc, "GET", "/elsewhere", 200, `{}`),
	} {
		if err := w.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", info.Mode(), err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	want := []string{filepath.Join(dir, "GET_pets_petId.json"), filepath.Join(dir, "listPets.json")}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("files = %v, want %v (no temporary files left)", names, want)
	}
	for _, n := range names {
		if fi, _ := os.Stat(n); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", n, fi.Mode().Perm())
		}
	}
	set, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	list := set.Files["GET /pets"]
	if list == nil || list.OperationID != "listPets" || len(list.Entries) != 2 {
		t.Fatalf("GET /pets: %+v", list)
	}
	newest := list.Entries[0]
	if b, _ := newest.Response.BodyBytes(); string(b) != `[{"id":2,"name":"Tom"}]` || newest.Request.Query["limit"][0] != "2" {
		t.Errorf("same request twice keeps the newest answer: %+v", newest)
	}
	if newest.Response.Headers["X-Mockloop-Mode"] != nil || newest.Response.Headers["Connection"] != nil {
		t.Errorf("mockloop's and hop-by-hop headers recorded: %v", newest.Response.Headers)
	}
	if newest.LatencyMS != 1.5 || !newest.RecordedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("latency %v at %v", newest.LatencyMS, newest.RecordedAt)
	}
	one := set.Files["GET /pets/{petId}"].Entries[0]
	if one.Request.PathParams["petId"] != "7" || one.Response.Status != 404 {
		t.Errorf("GET /pets/{petId}: %+v", one)
	}

	// A new writer on the same directory adds to what is there.
	w2, err := NewWriter(dir, doc, Options{KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Add(exchange(t, doc, "GET", "/pets?limit=3", 200, `[{"id": 3, "name": "Kit"}]`)); err != nil {
		t.Fatal(err)
	}
	set, _ = ReadDir(dir)
	if n := len(set.Files["GET /pets"].Entries); n != 3 {
		t.Errorf("keep all: %d entries, want 3", n)
	}
}

// TestObserveLiveFlushes: answers observed concurrently are all on disk after Close (and,
// before it, within the flush interval), and answers after Close are written at once.
func TestObserveLiveFlushes(t *testing.T) {
	doc := loadPets(t)
	dir := t.TempDir()
	w, err := NewWriter(dir, doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			w.ObserveLive(exchange(t, doc, "GET", "/pets?limit="+strconv.Itoa(i), 200, `[]`))
		})
	}
	wg.Wait()
	w.Close()
	set, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Files["GET /pets"].Entries); n != 20 {
		t.Errorf("%d entries on disk after Close, want 20", n)
	}
	w.ObserveLive(exchange(t, doc, "GET", "/pets/1", 200, `{"id": 1, "name": "a"}`))
	if set, _ := ReadDir(dir); set.Files["GET /pets/{petId}"] == nil {
		t.Error("an answer observed after Close is not written at once")
	}
}

func TestWriterBounds(t *testing.T) {
	doc := loadPets(t)
	dir := t.TempDir()
	w, err := NewWriter(dir, doc, Options{MaxBody: 16, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"1", "2", "3"} {
		if err := w.Add(exchange(t, doc, "GET", "/pets?limit="+q, 200, `[{"id": 1, "name": "a long name"}]`)); err != nil {
			t.Fatal(err)
		}
	}
	set, _ := ReadDir(dir)
	entries := set.Files["GET /pets"].Entries
	if len(entries) != 2 || entries[0].Request.Query["limit"][0] != "2" {
		t.Fatalf("want the 2 newest entries, got %+v", entries)
	}
	r := entries[1].Response
	if !r.Truncated || r.TruncatedNote == "" || r.BodyText == nil || *r.BodyText != `[{"id": 1, "name` {
		t.Errorf("truncated body: %+v", r)
	}
}

func TestReplay(t *testing.T) {
	doc := loadPets(t)
	dir := t.TempDir()
	w, _ := NewWriter(dir, doc, Options{KeepAll: true})
	for _, x := range []*server.Exchange{
		exchange(t, doc, "GET", "/pets?limit=1", 200, `[{"id":1,"name":"first"}]`),
		exchange(t, doc, "GET", "/pets?limit=1", 200, `[{"id":1,"name":"second"}]`),
		exchange(t, doc, "GET", "/pets?limit=5", 200, `[{"id":5,"name":"five"}]`),
		exchange(t, doc, "GET", "/pets/7", 200, `{"id":7,"name":"seven"}`),
		exchange(t, doc, "GET", "/pets/7", 404, `{"message":"gone"}`),
	} {
		if err := w.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	set, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target, prefer string
		exact                bool
		wantStatus           int
		wantBody, wantHow    string // wantHow "": the engine answers
	}{
		{"a sequence, in order", "/pets?limit=1", "", false, 200, `"first"`, "exact"},
		{"then the next", "/pets?limit=1", "", false, 200, `"second"`, "exact"},
		{"the last repeats", "/pets?limit=1", "", false, 200, `"second"`, "exact"},
		{"closest: same query key", "/pets?limit=4", "", false, 200, `"five"`, "closest"},
		{"exact only", "/pets?limit=4", "", true, 0, "", ""},
		{"Prefer code picks the status", "/pets/7", "code=404", false, 404, `"gone"`, "exact"},
		{"Prefer example asks the spec", "/pets/7", "example=x", false, 0, "", ""},
		{"unrecorded operation", "/pets", "", false, 0, "", ""},
	}
	rp, warnings := NewReplayer(set, doc, ReplayOptions{})
	rpExact, _ := NewReplayer(set, doc, ReplayOptions{Exact: true})
	if len(warnings) != 0 || rp.Operations() != 2 {
		t.Fatalf("warnings %v, operations %d", warnings, rp.Operations())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.name == "unrecorded operation" {
				method = "POST"
			}
			r := httptest.NewRequest(method, tt.target, nil)
			if tt.prefer != "" {
				r.Header.Set("Prefer", tt.prefer)
			}
			m := doc.Find(method, r.URL.Path)
			rec := httptest.NewRecorder()
			use := rp
			if tt.exact {
				use = rpExact
			}
			answered := use.Answer(rec, r, m)
			if answered != (tt.wantHow != "") {
				t.Fatalf("answered = %v", answered)
			}
			if !answered {
				return
			}
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("got %d %s", rec.Code, rec.Body)
			}
			if rec.Header().Get(mock.HeaderSource) != SourceRecording || rec.Header().Get(HeaderReplay) != tt.wantHow {
				t.Errorf("headers %v", rec.Header())
			}
			if rec.Header().Get("Content-Length") == "" || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"not JSON", "{", "unexpected EOF"},
		{"syntax", "{\n\n  x", "line 3: invalid character"},
		{"unknown field", `{"mockloop_recording": 1, "operation": "GET /a", "entries": [], "extra": 1}`, `unknown field "extra"`},
		{"other version", `{"mockloop_recording": 2, "operation": "GET /a", "entries": []}`, "version 2 is not supported"},
		{"bad operation", `{"mockloop_recording": 1, "operation": "pets", "entries": []}`, `operation "pets"`},
		{"bad status", `{"mockloop_recording": 1, "operation": "GET /a", "entries": [{"fingerprint": "f", "response": {"status": 999}}]}`, "entries[0].response.status 999"},
		{"bad base64", `{"mockloop_recording": 1, "operation": "GET /a", "entries": [{"fingerprint": "f", "response": {"status": 200, "body_base64": "%%"}}]}`, "entries[0].response.body_base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.json")
			os.WriteFile(p, []byte(tt.content), 0o600)
			_, err := ReadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want %q naming the file", err, tt.want)
			}
		})
	}
	if _, err := ReadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no recording files") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestRedactorHeadersAndQuery(t *testing.T) {
	var s redact.Secrets
	s.Add("tok-123456")
	rd, err := NewRedactor(redact.NewPolicy([]string{"X-Shop-Key"}, []string{"k"}), s.Replace, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Headers(http.Header{"X-Shop-Key": {"v"}, "Authorization": {"Bearer x"}, "X-Trace": {"id tok-123456"}, "Connection": {"X-Hop"}, "X-Hop": {"1"}})
	if h["X-Shop-Key"][0] != "***" || h["Authorization"][0] != "***" || h["X-Trace"][0] != "id ***" || h["X-Hop"] != nil {
		t.Errorf("headers %v", h)
	}
	q := rd.Query("k=abc&limit=2&note=tok-123456")
	if q["k"][0] != "***" || q["limit"][0] != "2" || q["note"][0] != "***" {
		t.Errorf("query %v", q)
	}
	a := Fingerprint("GET", "GET /a", nil, map[string][]string{"x": {"2", "1"}, "y": {"3"}}, "")
	b := Fingerprint("get", "GET /a", nil, map[string][]string{"y": {"3"}, "x": {"1", "2"}}, "")
	if a != b || a == Fingerprint("GET", "GET /a", nil, nil, "") {
		t.Errorf("fingerprints %s %s", a, b)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"mockloop_recording": 1, "operation": "GET /a", "entries": [{"fingerprint": "f", "response": {"status": 200, "body": {"a": 1}}}]}`))
	f.Add([]byte(`{"mockloop_recording": 1, "operation": "GET /a", "entries": [{"fingerprint": "f", "response": {"status": 200, "body_text": "x", "body_base64": "eA=="}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var file File
		if err := Decode(data, &file); err != nil {
			return
		}
		for _, e := range file.Entries {
			if _, err := e.Response.BodyBytes(); err != nil {
				t.Fatalf("decoded file has an unreadable body: %v", err)
			}
		}
	})
}
