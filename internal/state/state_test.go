package state

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

type fixture struct {
	doc    *spec.Document
	engine *mock.Engine
	store  *Store
	srv    *server.Server
}

func newFixture(t testing.TB, path string, opts Options) *fixture {
	return newFixtureWith(t, path, opts, mock.Options{ValidateRequests: true, CheckSecurity: true})
}

func newFixtureWith(t testing.TB, path string, opts Options, mo mock.Options) *fixture {
	t.Helper()
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{doc: doc, engine: mock.New(doc, mo)}
	f.store = New(doc, f.engine, opts)
	f.srv, err = server.NewServer(server.Config{Doc: doc, Mock: f.engine,
		Answerers: []server.Answerer{f.store}, Admin: []server.AdminRoute{f.store.Admin()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// step is one request of a scenario and what its answer must be.
type step struct {
	name, method, target, body string
	header                     []string
	status                     int
	sim                        string // X-Mockloop-Simulation, regexp; "" checks nothing
	body1                      string // a regexp the body must match; "" checks nothing
	save                       string // remember the body's "id" under this name, for ${name}
}

// run sends the steps in order; every answer of an operation must validate against the spec.
func (f *fixture) run(t *testing.T, steps []step) {
	t.Helper()
	vars := map[string]string{}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "${"+k+"}", v)
		}
		return s
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			target := expand(st.target)
			r := httptest.NewRequest(st.method, target, strings.NewReader(expand(st.body)))
			r.RemoteAddr, r.Host = "127.0.0.1:1", "localhost"
			if st.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(st.header); i += 2 {
				r.Header.Set(st.header[i], st.header[i+1])
			}
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			if w.Code != st.status {
				t.Fatalf("status %d, want %d: %s", w.Code, st.status, w.Body)
			}
			if st.sim != "" && !regexp.MustCompile("^"+expand(st.sim)+"$").MatchString(w.Header().Get(server.HeaderSimulation)) {
				t.Errorf("%s = %q, want %q", server.HeaderSimulation, w.Header().Get(server.HeaderSimulation), expand(st.sim))
			}
			if st.body1 != "" && !regexp.MustCompile(expand(st.body1)).MatchString(w.Body.String()) {
				t.Errorf("body %s, want it to match %s", w.Body, expand(st.body1))
			}
			if m := f.doc.Find(st.method, strings.SplitN(target, "?", 2)[0]); m.Operation != nil && !strings.HasPrefix(target, "/__") {
				vr := httptest.NewRequest(st.method, target, nil)
				for _, it := range f.engine.ValidateResponse(m.Operation, vr, w.Code, w.Header(), w.Body.Bytes()) {
					t.Errorf("answer does not validate: %s", it)
				}
			}
			if st.save != "" {
				var v map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
					t.Fatalf("save %s: %v: %s", st.save, err, w.Body)
				}
				vars[st.save] = fmt.Sprint(v["id"])
			}
		})
	}
}

func TestCRUD(t *testing.T) {
	f := newFixture(t, "testdata/crud.yaml", Options{})
	date := `"created":"\d{4}-\d\d-\d\dT`
	f.run(t, []step{
		{name: "empty list", method: "GET", target: "/api/pets", status: 200, body1: `^\[\]$`, sim: `state=listed /api/pets \(0\)`},
		{name: "create", method: "POST", target: "/api/pets", body: `{"name":"Rex","tag":"dog","secret":"s3"}`, status: 201,
			sim: `state=created /api/pets/1`, body1: `^\{` + date + `[^"]*","id":1,"name":"Rex","tag":"dog"\}$`},
		{name: "create another", method: "POST", target: "/api/pets", body: `{"name":"Tom","tag":"cat"}`, status: 201, body1: `"id":2`},
		{name: "read it back", method: "GET", target: "/api/pets/1", status: 200, sim: `state=read /api/pets/1`, body1: `"name":"Rex"`},
		{name: "writeOnly is stored, never answered", method: "GET", target: "/api/pets/1", status: 200, body1: `^[^s]*$`},
		{name: "replace", method: "PUT", target: "/api/pets/1", body: `{"name":"Max"}`, status: 200,
			sim: `state=replaced /api/pets/1`, body1: `^\{` + date + `[^"]*","id":1,"name":"Max"\}$`},
		{name: "merge", method: "PATCH", target: "/api/pets/1", body: `{"tag":"big dog"}`, header: []string{"Content-Type", "application/merge-patch+json"}, status: 200,
			sim: `state=merged /api/pets/1`, body1: `"id":1,"name":"Max","tag":"big dog"`},
		{name: "merge null removes", method: "PATCH", target: "/api/pets/1", body: `{"tag":null}`, header: []string{"Content-Type", "application/merge-patch+json"}, status: 200,
			body1: `^\{"created":"[^"]*","id":1,"name":"Max"\}$`},
		{name: "list", method: "GET", target: "/api/pets", status: 200, sim: `state=listed /api/pets \(2\)`, body1: `^\[\{.*"name":"Max".*\},\{.*"name":"Tom".*\}\]$`},
		{name: "filter by a declared query parameter", method: "GET", target: "/api/pets?tag=cat", status: 200, body1: `^\[\{[^\]]*"name":"Tom"[^\]]*\}\]$`},
		{name: "page", method: "GET", target: "/api/pets?offset=1&limit=5", status: 200, body1: `^\[\{[^\]]*"name":"Tom"[^\]]*\}\]$`},
		{name: "delete", method: "DELETE", target: "/api/pets/1", status: 204, sim: `state=deleted /api/pets/1`},
		{name: "gone: the spec's 404", method: "GET", target: "/api/pets/1", status: 404, sim: `state=not-found /api/pets/1`, body1: `"message"`},
		{name: "delete again: 404 as problem+json (none declared)", method: "DELETE", target: "/api/pets/1", status: 404, body1: `no resource /api/pets/1 in /pets`},
		{name: "replace unknown", method: "PUT", target: "/api/pets/9", body: `{"name":"X"}`, status: 404},
		{name: "invalid create: the engine's 422", method: "POST", target: "/api/pets", body: `{"name":""}`, status: 422},
		{name: "a client's id", method: "POST", target: "/api/tags", body: `{"id":"red"}`, status: 201, sim: `state=created /api/tags/red`},
		{name: "a client's id that exists: 409", method: "POST", target: "/api/tags", body: `{"id":"red","label":"again"}`, status: 409,
			sim: `state=conflict /api/tags/red`, body1: `/tags red exists already`},
		{name: "read by a client's id", method: "GET", target: "/api/tags/red", status: 200, body1: `^\{"id":"red"\}$`},
		{name: "ids keep counting", method: "POST", target: "/api/pets", body: `{"name":"Kit"}`, status: 201, body1: `"id":3`},
		{name: "Prefer code goes to the engine", method: "GET", target: "/api/pets/3", header: []string{"Prefer", "code=404"}, status: 404, sim: ``},
		{name: "not CRUD-shaped: the engine", method: "POST", target: "/api/pets/3/photo", body: `x`, header: []string{"Content-Type", "application/octet-stream"}, status: 200},
		{name: "XML only: the engine", method: "GET", target: "/api/pets/3", header: []string{"Accept", "application/xml"}, status: 406},
	})
}

func TestNestedAndUUID(t *testing.T) {
	f := newFixture(t, "testdata/crud.yaml", Options{Seed: 5})
	uuidRE := `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	f.run(t, []step{
		{name: "a user with a uuid", method: "POST", target: "/api/users", body: `{"email":"a@example.com"}`, status: 201,
			body1: `"id":"` + uuidRE + `"`, save: "uid"},
		{name: "read the user", method: "GET", target: "/api/users/${uid}", status: 200, body1: `"email":"a@example.com"`},
		{name: "orders of an unknown user: 404", method: "GET", target: "/api/users/00000000-0000-4000-8000-000000000000/orders", status: 404,
			sim: `state=not-found /api/users/00000000-0000-4000-8000-000000000000`},
		{name: "an order, answered 201 without a body as declared", method: "POST", target: "/api/users/${uid}/orders", body: `{"quantity":2}`, status: 201,
			sim: `state=created /api/users/${uid}/orders/1`},
		{name: "the wrapped list with its count", method: "GET", target: "/api/users/${uid}/orders", status: 200,
			body1: `"data":\[\{"id":1,"quantity":2\}\].*"total":1|"total":1.*"data":\[\{"id":1,"quantity":2\}\]`},
		{name: "the order", method: "GET", target: "/api/users/${uid}/orders/1", status: 200, body1: `^\{"id":1,"quantity":2\}$`},
		{name: "PUT creates where there is no POST", method: "PUT", target: "/api/settings/theme", body: `{"value":"dark"}`, status: 200,
			sim: `state=created /api/settings/theme`},
		{name: "and reads back", method: "GET", target: "/api/settings/theme", status: 200, body1: `^\{"value":"dark"\}$`},
		{name: "a list of strings is not a collection", method: "GET", target: "/api/reports", status: 200, sim: ``},
	})
	rep := f.store.Report()
	var paths []string
	for _, c := range rep.Collections {
		paths = append(paths, c.Path+" "+c.IDType+" "+c.IDProperty)
	}
	if got, want := strings.Join(paths, "; "), "/pets integer id; /settings string ; /tags string id; /users uuid id; /users/{uid}/orders integer id"; got != want {
		t.Errorf("collections: %s, want %s", got, want)
	}
}

func TestCascadeAndBound(t *testing.T) {
	f := newFixture(t, "testdata/crud.yaml", Options{MaxResources: 3})
	for i := range 5 {
		f.run(t, []step{{name: fmt.Sprint("create ", i), method: "POST", target: "/api/pets", body: `{"name":"P"}`, status: 201}})
	}
	st := f.store.Status()
	if st.Resources != 3 || st.Evicted != 2 {
		t.Errorf("status %+v, want 3 resources and 2 evicted", st)
	}
	f.run(t, []step{
		{name: "the oldest went first", method: "GET", target: "/api/pets/2", status: 404},
		{name: "the newest stays", method: "GET", target: "/api/pets/5", status: 200},
	})
}

func TestSeedExamplesAndReset(t *testing.T) {
	f := newFixture(t, "testdata/crud.yaml", Options{SeedExamples: true})
	f.run(t, []step{
		{name: "seeded from the list example", method: "GET", target: "/api/pets", status: 200, sim: `state=listed /api/pets \(2\)`, body1: `"name":"Rex".*"name":"Tom"`},
		{name: "ids continue after the examples'", method: "POST", target: "/api/pets", body: `{"name":"New"}`, status: 201, body1: `"id":3`},
		{name: "state", method: "GET", target: "/__mockloop/state", status: 200, body1: `"count": 3`},
		{name: "reset seeds again", method: "POST", target: "/__mockloop/state/reset", status: 200, body1: `"removed": 3,\s+"seeded": 2`},
		{name: "back to the examples", method: "GET", target: "/api/pets/3", status: 404},
		{name: "reset with GET", method: "GET", target: "/__mockloop/state/reset", status: 404},
		{name: "status", method: "GET", target: "/__mockloop/status", status: 200, body1: `"state": \{\s+"collections": 5,\s+"resources": 2`},
	})
}

// TestRealWorldPetstore is the classic petstore (internal/spec/testdata/realworld): addPet
// declares only 405 and updatePet only errors, yet they create and replace (with 201 and 200
// and the pet as JSON); getPetById and deletePet answer as declared.
func TestRealWorldPetstore(t *testing.T) {
	f := newFixture(t, "../spec/testdata/realworld/petstore-3.0.json", Options{})
	auth := []string{"Authorization", "Bearer x"}
	key := []string{"api_key", "k"}
	f.run(t, []step{
		{name: "add a pet", method: "POST", target: "/v2/pet", header: auth, body: `{"name":"Rex","photoUrls":[]}`, status: 201,
			sim: `state=created /v2/pet/1`, body1: `^\{"id":1,"name":"Rex","photoUrls":\[\]\}$`},
		{name: "get it back", method: "GET", target: "/v2/pet/1", header: key, status: 200, body1: `"name":"Rex"`},
		{name: "updatePet takes the id in the body, which Pet declares readOnly: refused", method: "PUT", target: "/v2/pet", header: auth,
			body: `{"id":1,"name":"Max","photoUrls":["a"]}`, status: 422, body1: `readOnly property \\"id\\" in request`},
		{name: "delete", method: "DELETE", target: "/v2/pet/1", header: auth, status: 204, sim: `state=deleted /v2/pet/1`},
		{name: "gone", method: "GET", target: "/v2/pet/1", header: key, status: 404},
		{name: "a query under the collection is the engine's", method: "GET", target: "/v2/pet/findByStatus?status=available", header: auth, status: 200, sim: ``},
		{name: "an order: 200 as declared", method: "POST", target: "/v2/store/order", body: `{"petId":1,"quantity":1}`, status: 200, body1: `"id":1`},
	})
}

// TestRealWorldPetstoreUpdate: without request validation (serve --no-validate-requests),
// updatePet replaces the pet its body names.
func TestRealWorldPetstoreUpdate(t *testing.T) {
	f := newFixtureWith(t, "../spec/testdata/realworld/petstore-3.0.json", Options{}, mock.Options{})
	f.run(t, []step{
		{name: "add a pet", method: "POST", target: "/v2/pet", body: `{"name":"Rex","photoUrls":[]}`, status: 201},
		{name: "update by the body's id", method: "PUT", target: "/v2/pet", body: `{"id":1,"name":"Max","photoUrls":["a"],"status":"sold"}`, status: 200,
			sim: `state=replaced /v2/pet/1`, body1: `"name":"Max"`},
		{name: "the update is kept", method: "GET", target: "/v2/pet/1", status: 200, body1: `"status":"sold"`},
		{name: "an unknown pet: the declared 404", method: "PUT", target: "/v2/pet", body: `{"id":9,"name":"X","photoUrls":[]}`, status: 404},
		{name: "no id: the declared 400", method: "PUT", target: "/v2/pet", body: `{"name":"X","photoUrls":[]}`, status: 400},
	})
}

// TestConcurrentCreates creates from many goroutines (run with -race): every id is distinct.
func TestConcurrentCreates(t *testing.T) {
	f := newFixture(t, "testdata/crud.yaml", Options{})
	hs := httptest.NewServer(f.srv)
	defer hs.Close()
	ids := make(chan string, 50)
	for range 50 {
		go func() {
			resp, err := http.Post(hs.URL+"/api/pets", "application/json", strings.NewReader(`{"name":"P"}`))
			if err != nil {
				ids <- err.Error()
				return
			}
			defer resp.Body.Close()
			var v map[string]any
			json.NewDecoder(resp.Body).Decode(&v)
			ids <- fmt.Sprint(v["id"])
		}()
	}
	seen := map[string]bool{}
	for range 50 {
		id := <-ids
		if seen[id] {
			t.Errorf("id %s given twice", id)
		}
		seen[id] = true
	}
	if f.store.Status().Resources != 50 {
		t.Errorf("status %+v", f.store.Status())
	}
}
