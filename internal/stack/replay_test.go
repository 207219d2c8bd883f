package stack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// writeRecordings records one live answer per (target, body) of a GET into dir, as serve
// --record writes them.
func writeRecordings(t *testing.T, dir string, doc *spec.Document, answers map[string]string) {
	t.Helper()
	w, err := record.NewWriter(dir, doc, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for target, body := range answers {
		r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
		m := doc.Find("GET", r.URL.Path)
		x := &server.Exchange{Operation: m.Operation, Request: r, Status: 200,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), Started: time.Now(), Latency: time.Millisecond}
		if err := w.Add(x); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuildReplays(t *testing.T) {
	doc := loadPets(t)
	dir := t.TempDir()
	writeRecordings(t, dir, doc, map[string]string{"/pets?limit=2": `[{"id":42,"name":"Recorded"}]`})
	p := &plugin.Plugin{Name: "pets", Replay: dir}
	get := func(t *testing.T, st *Stack, target string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		st.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec
	}
	tests := []struct {
		name       string
		opts       Options
		target     string
		wantSource string
		wantBody   string
	}{
		{"the recorded request", Options{}, "/pets?limit=2", record.SourceRecording, "Recorded"},
		{"another request of the operation: the closest", Options{}, "/pets?limit=9", record.SourceRecording, "Recorded"},
		{"exact only: the spec answers", Options{Replay: Replay{Exact: true}}, "/pets?limit=9", mock.SourceExample, "Rex"},
		{"an operation without recordings", Options{}, "/pets/1", "", ""},
		{"overrides still come first", Options{Simulation: &Simulation{}}, "/pets?limit=2", record.SourceRecording, "Recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Resolve(p, Flags{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Build(doc, set, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Replayer == nil || st.Replayer.Operations() != 1 {
				t.Fatalf("replayer %+v", st.Replayer)
			}
			rec := get(t, st, tt.target)
			src := rec.Header().Get(mock.HeaderSource)
			if tt.wantSource == "" {
				if src == record.SourceRecording {
					t.Errorf("answered from a recording: %s", rec.Body)
				}
				return
			}
			if src != tt.wantSource || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("source %q body %s, want %q with %q", src, rec.Body, tt.wantSource, tt.wantBody)
			}
		})
	}
	t.Run("no replay without the key", func(t *testing.T) {
		st, err := Build(doc, Settings{Mode: plugin.ModeMock}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if st.Replayer != nil {
			t.Fatal("a replayer without recordings")
		}
		if src := get(t, st, "/pets?limit=2").Header().Get(mock.HeaderSource); src != mock.SourceExample {
			t.Errorf("source %q", src)
		}
	})
	t.Run("--replay '' turns the plugin's off", func(t *testing.T) {
		off := ""
		set, err := Resolve(p, Flags{Replay: &off}, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Build(doc, set, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if src := get(t, st, "/pets?limit=2").Header().Get(mock.HeaderSource); st.Replayer != nil || src != mock.SourceExample {
			t.Errorf("replayer %v, source %q", st.Replayer != nil, src)
		}
	})
}

func TestBuildReplayErrors(t *testing.T) {
	doc := loadPets(t)
	missing := filepath.Join(t.TempDir(), "nothing-here")
	tests := []struct {
		name string
		from string
		want string
	}{
		{"from the plugin", "", "plugin pets replay: "},
		{"from the flag", "--replay", "--replay: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Resolve(&plugin.Plugin{Name: "pets", Replay: missing}, Flags{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Build(doc, set, Options{Replay: Replay{From: tt.from}})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing-here") {
				t.Errorf("error %v, want it to start with %q and name the directory", err, tt.want)
			}
		})
	}
}

// TestBuildReplayWarns: a recording of an operation the spec does not declare is skipped,
// and Warn says so.
func TestBuildReplayWarns(t *testing.T) {
	dir := t.TempDir()
	writeRecordings(t, dir, loadPets(t), map[string]string{"/pets?limit=2": `[]`, "/pets/7": `{"id":7,"name":"x"}`})
	small := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(small, []byte(`openapi: 3.0.3
info: {title: Small, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array}}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(context.Background(), small, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	st, err := Build(doc, Settings{Mode: plugin.ModeMock, Replay: dir}, Options{Replay: Replay{Warn: func(w string) { warnings = append(warnings, w) }}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "GET /pets/{petId}") || st.Replayer.Operations() != 1 {
		t.Errorf("warnings %q, operations %d", warnings, st.Replayer.Operations())
	}
}

// TestCheckReplay: Check reads the recordings as Build would, so plugin create, plugin
// validate and create_mcp_plugin refuse a replay directory Build would fail on.
func TestCheckReplay(t *testing.T) {
	doc := loadPets(t)
	recs := t.TempDir()
	writeRecordings(t, recs, doc, map[string]string{"/pets?limit=2": `[]`, "/pets/7": `{"id":7,"name":"x"}`})
	empty := t.TempDir()
	tests := []struct {
		name     string
		dir      string
		problems []string
		notes    int
	}{
		{"recordings", recs, nil, 0},
		{"missing", filepath.Join(empty, "nowhere"), []string{`replay: recordings "` + filepath.Join(empty, "nowhere") + `": open `}, 0},
		{"no recording in it", empty, []string{`replay: recordings "` + empty + `": no recording files`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs, notes := Check(&plugin.Plugin{Replay: tt.dir}, doc, nil)
			if len(probs) != len(tt.problems) || len(notes) != tt.notes {
				t.Fatalf("problems %v notes %v", probs, notes)
			}
			for i, want := range tt.problems {
				if !strings.HasPrefix(probs[i].String(), want) {
					t.Errorf("problem %q, want it to start with %q", probs[i], want)
				}
			}
		})
	}
}
