package mock

import (
	"net/http/httptest"
	"sync"
	"testing"
)

// TestPrepareOnFirstUseConcurrent starts many goroutines on a fresh engine at once (run with
// -race), so that they race to prepare the same operations: every answer must be the one an
// engine whose operations were prepared one at a time gives, and each operation must end up
// prepared once.
func TestPrepareOnFirstUseConcurrent(t *testing.T) {
	doc := rulesDoc(t)
	opts := Options{ValidateRequests: true, CheckSecurity: true}
	ref := New(doc, opts)
	targets := []string{"/formats", "/tree", "/animals", "/pets", "/pets?limit=3", "/text"}
	want := map[string]string{}
	for _, target := range targets {
		want[target] = do(t, ref, doc, "GET", target, nil, "").Body.String()
	}
	e := New(doc, opts)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			<-start
			for i := range len(targets) {
				target := targets[(g+i)%len(targets)]
				r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
				rec := httptest.NewRecorder()
				e.Respond(rec, r, doc.Find("GET", r.URL.Path))
				if rec.Body.String() != want[target] {
					t.Errorf("%s: got %q, want %q", target, rec.Body.String(), want[target])
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, op := range doc.Operations {
		if od := e.operation(op); od != e.operation(op) || od.op != op {
			t.Errorf("%s: prepared more than once", op.Key())
		}
	}
}

// TestOperationFromAnotherDocument: an operation the engine's document does not hold (a filtered
// copy, another load) is still answered.
func TestOperationFromAnotherDocument(t *testing.T) {
	doc := rulesDoc(t)
	other := rulesDoc(t)
	e := New(doc, Options{})
	m := other.Find("GET", "/pets")
	if m.Operation == nil {
		t.Fatal("no GET /pets")
	}
	rec := httptest.NewRecorder()
	e.Respond(rec, httptest.NewRequest("GET", "http://127.0.0.1/pets", nil), m)
	if rec.Code != 200 {
		t.Errorf("status %d: %s", rec.Code, rec.Body.String())
	}
}
