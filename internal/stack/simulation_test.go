package stack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

func call(t *testing.T, h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// sim is everything X-Mockloop-Simulation says of an answer.
func sim(w *httptest.ResponseRecorder) string {
	return strings.Join(w.Header().Values(server.HeaderSimulation), ", ")
}

func TestBuildSimulation(t *testing.T) {
	doc := loadPets(t)
	ms := func(n int) plugin.Duration { return plugin.Duration{Duration: time.Duration(n) * time.Millisecond} }
	p := &plugin.Plugin{Name: "sim", Spec: "testdata/pets.yaml", Mode: plugin.ModeMock,
		Simulation: &plugin.Simulation{
			Latency: &plugin.Latency{Fixed: ms(1)},
			Rules:   []plugin.SimulationRule{{Operation: "listPets", Latency: &plugin.Latency{Fixed: ms(2)}}},
		},
		Overrides: map[string]plugin.Override{"createPet": {OverrideResponse: plugin.OverrideResponse{Status: 503}, Times: 1}},
		Stateful:  &plugin.Stateful{Enabled: true},
	}
	set, err := Resolve(p, Flags{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(3)
	st, err := Build(doc, set, Options{Simulation: &Simulation{Latency: &plugin.Latency{Fixed: ms(4)}, Seed: &seed}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	if w := call(t, st, "POST", "/v1/pets", `{"name":"Rex"}`); w.Code != 503 || sim(w) != "delay=4ms, override=createPet" {
		t.Errorf("the plugin's override after the flag's latency: %d %q", w.Code, w.Header().Values(server.HeaderSimulation))
	}
	w := call(t, st, "POST", "/v1/pets", `{"name":"Rex"}`)
	if w.Code != 201 || sim(w) != "delay=4ms, state=created /v1/pets/1" {
		t.Errorf("then the state: %d %q %s", w.Code, w.Header().Values(server.HeaderSimulation), w.Body)
	}
	if w := call(t, st, "GET", "/v1/pets", ""); sim(w) != "delay=2ms, state=listed /v1/pets (1)" {
		t.Errorf("the plugin's rule: %q", w.Header().Values(server.HeaderSimulation))
	}
	if _, err := st.SetOverride("listPets", plugin.Override{OverrideResponse: plugin.OverrideResponse{Status: 500}}); err != nil {
		t.Fatal(err)
	}
	if w := call(t, st, "GET", "/v1/pets", ""); w.Code != 500 {
		t.Errorf("SetOverride: %d", w.Code)
	}
	if n, err := st.DeleteOverride(""); n != 1 || err != nil {
		t.Errorf("DeleteOverride: %d %v", n, err)
	}
	for _, name := range []string{"simulation", "overrides", "state"} {
		if w := call(t, st, "GET", "/__mockloop/"+name, ""); w.Code != 200 {
			t.Errorf("admin %s: %d", name, w.Code)
		}
	}

	t.Run("without simulation (test run): none of it", func(t *testing.T) {
		st, err := Build(doc, set, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if w := call(t, st, "POST", "/v1/pets", `{"name":"Rex"}`); w.Code != 201 || w.Header().Get(server.HeaderSimulation) != "" {
			t.Errorf("%d %q", w.Code, w.Header().Values(server.HeaderSimulation))
		}
		if w := call(t, st, "GET", "/__mockloop/overrides", ""); w.Code != 404 {
			t.Errorf("overrides admin: %d", w.Code)
		}
		if _, err := st.SetOverride("listPets", plugin.Override{}); err != ErrNoOverrides {
			t.Errorf("SetOverride: %v", err)
		}
	})
	t.Run("--stateful=false over the plugin", func(t *testing.T) {
		off := false
		st, err := Build(doc, set, Options{Simulation: &Simulation{Stateful: &off}})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if st.State != nil {
			t.Error("state is on")
		}
	})
}

func TestBuildSimulationErrors(t *testing.T) {
	doc := loadPets(t)
	tests := []struct {
		name string
		p    *plugin.Plugin
		want string
	}{
		{"a condition", &plugin.Plugin{Name: "bad", Simulation: &plugin.Simulation{Rules: []plugin.SimulationRule{
			{Condition: "request.nope == 1", Latency: &plugin.Latency{}}}}},
			`plugin bad: simulation.rules[0] (#1): condition "request.nope == 1": line 1, column 9: request has no field nope`},
		{"an override of an unknown operation", &plugin.Plugin{Name: "bad", Overrides: map[string]plugin.Override{"nope": {}}},
			`plugin bad: overrides.nope: no such operation "nope" in testdata/pets.yaml`},
		{"an override's unknown example", &plugin.Plugin{Name: "bad", Overrides: map[string]plugin.Override{"listPets": {OverrideResponse: plugin.OverrideResponse{Example: "x"}}}},
			`plugin bad: overrides.listPets: invalid override for listPets: GET /pets declares no example "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Spec, tt.p.Mode = "testdata/pets.yaml", plugin.ModeMock
			set, err := Resolve(tt.p, Flags{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Build(doc, set, Options{Simulation: &Simulation{}})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark measures the handler.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkServeSimulation is what serve pays for the simulation on a request it has nothing
// to simulate for (no latency, fault, override or state configured): the step and the
// overrides' answerer, against the same stack without them.
func BenchmarkServeSimulation(b *testing.B) {
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	set, err := Resolve(nil, Flags{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	set.Spec = "testdata/pets.yaml"
	for _, c := range []struct {
		name string
		sim  *Simulation
	}{{"off", nil}, {"idle", &Simulation{}}, {"stateful", &Simulation{Stateful: ptr(true)}}} {
		st, err := Build(doc, set, Options{Simulation: c.sim})
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/v1/pets", nil)
		r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
		w := &nopWriter{h: http.Header{}}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				st.ServeHTTP(w, r)
			}
		})
		st.Close()
	}
}

func ptr[T any](v T) *T { return &v }
