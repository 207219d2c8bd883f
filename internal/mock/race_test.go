package mock

import (
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// TestRespondConcurrent serves one engine from many goroutines (run with -race): the caches
// (default bodies, generated bodies, verdicts, headers) must be safe and consistent.
func TestRespondConcurrent(t *testing.T) {
	doc := rulesDoc(t)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	targets := []string{"/formats", "/tree", "/animals", "/pets", "/pets?limit=3", "/text"}
	want := map[string]string{}
	for _, target := range targets {
		want[target] = do(t, e, doc, "GET", target, nil, "").Body.String()
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				target := targets[(g+i)%len(targets)]
				r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
				rec := httptest.NewRecorder()
				e.Respond(rec, r, doc.Find("GET", r.URL.Path))
				if rec.Body.String() != want[target] {
					t.Errorf("%s: body changed under concurrency", target)
					return
				}
				r = httptest.NewRequest("GET", "http://127.0.0.1/formats?i="+strconv.Itoa(i), nil)
				r.Header.Set("Prefer", "dynamic=true")
				e.Respond(httptest.NewRecorder(), r, doc.Find("GET", "/formats"))
			}
		}(g)
	}
	wg.Wait()
}
