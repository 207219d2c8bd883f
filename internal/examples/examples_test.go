package examples

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/overlay"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

func load(t *testing.T, path string, overlays ...string) *spec.Document {
	t.Helper()
	doc, err := spec.Load(context.Background(), path, spec.Options{Overlays: overlays})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// recordings writes live answers with the one recording writer.
func recordings(t *testing.T, doc *spec.Document, answers []answer) *record.Set {
	t.Helper()
	dir := t.TempDir()
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range answers {
		r := httptest.NewRequest(a.method, a.path, nil)
		m := doc.Find(a.method, r.URL.Path)
		ct := a.ct
		if ct == "" {
			ct = "application/json"
		}
		x := &server.Exchange{Operation: m.Operation, Request: r, Status: a.status, Header: http.Header{"Content-Type": {ct}},
			Body: []byte(a.body), Started: time.Date(2026, 12, 1, 10, 0, i, 0, time.UTC)}
		if err := w.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	set, err := record.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type answer struct {
	method, path string
	status       int
	ct, body     string
}

var liveAnswers = []answer{
	{"GET", "/pets", 200, "", `[{"id": 1, "name": "Rex"}]`},
	{"GET", "/pets/2", 200, "", `{"id": 2, "name": "Tom"}`},
	{"GET", "/pets/3", 200, "", `{"id": "three"}`},
	{"GET", "/pets/9", 404, "", `{"message": "no pet 9"}`},
	{"GET", "/pets/8", 500, "", `{"message": "boom"}`},
	{"GET", "/text", 200, "text/plain; charset=utf-8", "hello"},
	{"GET", "/text?page=2", 200, "text/html", "<p>"},
}

func TestPlan(t *testing.T) {
	doc := load(t, "testdata/api.yaml")
	set := recordings(t, doc, liveAnswers)
	res, err := Plan(doc, mock.New(doc, mock.Options{}), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		op     string
		status int
		action string
		target string
	}
	want := []row{
		{"GET /pets", 200, ActionAdd, "$.paths['/pets'].get.responses['200'].content['application/json']"},
		{"GET /pets/{petId}", 200, ActionRefused, "$.paths['/pets/{petId}'].get.responses['200'].content['application/json']"},
		{"GET /pets/{petId}", 404, ActionAdd, "$.components.responses['Problem'].content['application/json']"},
		{"GET /pets/{petId}", 500, ActionRefused, ""},
		{"GET /text", 200, ActionRefused, ""},
	}
	if len(res.Changes) != len(want) {
		t.Fatalf("changes: %+v", res.Changes)
	}
	for i, w := range want {
		c := res.Changes[i]
		if c.Operation != w.op || c.Status != w.status || c.Action != w.action || (c.Target != w.target && w.action != ActionRefused) {
			t.Errorf("change %d = %+v, want %+v", i, c, w)
		}
	}
	// The newest 200 of getPet breaks the schema: refused with the validator's problems.
	if p := res.Changes[1].Problems; len(p) == 0 || p[0].Location != "body.id" {
		t.Errorf("problems of the refused body: %v", p)
	}
	if p := res.Changes[3].Problems; len(p) != 1 || !strings.Contains(p[0].Message, "declares no response for status 500") {
		t.Errorf("undeclared status: %v", p)
	}
	if p := res.Changes[4].Problems; len(p) != 1 || !strings.Contains(p[0].Message, `no media type for "text/html"`) {
		t.Errorf("undeclared media type: %v", p)
	}
	if !strings.Contains(res.Changes[0].Note, "moves into examples") {
		t.Errorf("the single example must move: %q", res.Changes[0].Note)
	}

	forced, err := Plan(doc, mock.New(doc, mock.Options{}), set, Options{Force: true, Name: "seen"})
	if err != nil {
		t.Fatal(err)
	}
	if c := forced.Changes[1]; c.Action != ActionForced || c.Example != "seen" {
		t.Errorf("--force --name: %+v", c)
	}
}

// TestOverlayIsValidAndApplies is the check: what accept writes is an Overlay 1.0
// document by the official schema, and the project's loader applies it to a spec that
// validates and serves the live bodies by name.
func TestOverlayIsValidAndApplies(t *testing.T) {
	doc := load(t, "testdata/api.yaml")
	set := recordings(t, doc, liveAnswers)
	res, err := Plan(doc, mock.New(doc, mock.Options{}), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := res.Overlay.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	checkOverlaySchema(t, data)
	path := filepath.Join(t.TempDir(), "live.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	after := load(t, "testdata/api.yaml", path)
	if problems := after.Validate(context.Background()); len(problems) != 0 {
		t.Fatalf("the overlaid spec does not validate: %v\n%s", problems, data)
	}
	engine := mock.New(after, mock.Options{})
	for _, tt := range []struct{ path, prefer, want string }{
		{"/pets", "example=live-200", `[{"id":1,"name":"Rex"}]`},
		{"/pets", "example=example", `[{"id":9,"name":"Old"}]`},
		{"/pets/5", "example=live-404", `{"message":"no pet 9"}`},
		{"/pets/5", "example=live-200", `{"id":3,"name":"Old"}`}, // refused: the old one stays
	} {
		r := httptest.NewRequest("GET", tt.path, nil)
		r.Header.Set("Prefer", tt.prefer)
		rec := httptest.NewRecorder()
		engine.Respond(rec, r, after.Find("GET", tt.path))
		if got := strings.TrimSpace(rec.Body.String()); got != tt.want {
			t.Errorf("%s %s: %d %s, want %s", tt.path, tt.prefer, rec.Code, got, tt.want)
		}
	}
}

func TestTextBodyBecomesAStringExample(t *testing.T) {
	doc := load(t, "testdata/api.yaml")
	res, err := Plan(doc, mock.New(doc, mock.Options{}), recordings(t, doc, liveAnswers[5:6]), Options{})
	if err != nil || len(res.Changes) != 1 || res.Changes[0].Action != ActionAdd || res.Changes[0].MediaType != "text/plain" {
		t.Fatalf("plan: %v %+v", err, res)
	}
	data, _ := res.Overlay.Marshal()
	path := filepath.Join(t.TempDir(), "o.yaml")
	os.WriteFile(path, data, 0o600)
	after := load(t, "testdata/api.yaml", path)
	r := httptest.NewRequest("GET", "/text", nil)
	r.Header.Set("Prefer", "example=live-200")
	rec := httptest.NewRecorder()
	mock.New(after, mock.Options{}).Respond(rec, r, after.Find("GET", "/text"))
	if rec.Body.String() != "hello" {
		t.Errorf("served %d %q", rec.Code, rec.Body)
	}
}

func TestWriteSpecKeepsJSON(t *testing.T) {
	src, err := os.ReadFile("testdata/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := yamldoc.ToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	_ = json.Unmarshal(j, &v)
	pretty, _ := json.MarshalIndent(v, "", "  ")
	path := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(path, pretty, 0o640); err != nil {
		t.Fatal(err)
	}
	doc := load(t, path)
	set := recordings(t, doc, liveAnswers[:1])
	res, err := Plan(doc, mock.New(doc, mock.Options{}), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSpec(path, res.Overlay); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	if !json.Valid(out) || !strings.Contains(string(out), "\n  \"info\": {") || !strings.Contains(string(out), `"live-200": {`) {
		t.Errorf("written spec:\n%s", out)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", info.Mode().Perm())
	}
	if problems := load(t, path).Validate(context.Background()); len(problems) != 0 {
		t.Errorf("written spec does not validate: %v", problems)
	}
}

func TestMerge(t *testing.T) {
	doc := load(t, "testdata/api.yaml")
	first, _ := Plan(doc, mock.New(doc, mock.Options{}), recordings(t, doc, liveAnswers), Options{})
	second, _ := Plan(doc, mock.New(doc, mock.Options{}), recordings(t, doc, liveAnswers[:1]), Options{})
	keep := overlay.New("mine")
	_ = keep.Add(overlay.Action{Target: "$.info", Update: mapping("x-note", overlay.Str("kept"))})
	prev := Merge(keep, first.Overlay)
	merged := Merge(prev, second.Overlay)
	if got, want := len(merged.Actions), len(prev.Actions); got != want {
		t.Errorf("merged has %d actions, want %d (the redone ones replaced, the others kept)", got, want)
	}
	if merged.Actions[0].Target != "$.info" {
		t.Errorf("the user's own action is not kept first: %+v", merged.Actions[0])
	}
}

func TestSwaggerRefused(t *testing.T) {
	doc := load(t, "../spec/testdata/petstore-2.0.yaml")
	_, err := Plan(doc, mock.New(doc, mock.Options{}), &record.Set{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "Swagger 2.0, which has no named examples") {
		t.Errorf("err = %v", err)
	}
}

// checkOverlaySchema validates data against the official Overlay 1.0 JSON schema (copied,
// with its licence, into internal/overlay/testdata).
func checkOverlaySchema(t *testing.T, data []byte) {
	t.Helper()
	raw, err := os.ReadFile("../overlay/testdata/overlay-1.0-schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("overlay.json", decode(t, raw)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("overlay.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(decode(t, data)); err != nil {
		t.Errorf("not an Overlay 1.0 document: %v\n%s", err, data)
	}
}

func decode(t *testing.T, yml []byte) any {
	t.Helper()
	j, err := yamldoc.ToJSON(yml)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
