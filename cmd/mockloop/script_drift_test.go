package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// A loopback live API with noise and one real drift, for the drift scripts:
//
//	driftapi start NAME          start it and set $NAME to its URL. GET /items/{id} answers
//	                             {"id", "name", "price", "updated_at", "request_id", "items"}:
//	                             a timestamp and a request id new on every answer, a price that
//	                             jitters by 3% (100, 103, 97, ...), a list of {id, label} in
//	                             another order every time, and the name "Gadget" where the
//	                             spec's example says "Widget" (the real drift); the declared
//	                             X-Rate-Limit header, and undeclared Cache-Control, X-Powered-By.
//	                             GET /status answers {"ok": true, "served_at": TIMESTAMP}.
//	driftapi fix NAME            the name becomes "Widget": no more drift
//	driftapi drift NAME          the name is "Gadget" again
//	driftapi load URL N C PATH...  send N GET requests to each PATH under URL, C at a time;
//	                             every answer must be 200
//	driftapi report URL N        wait until the serve --shadow at URL compared N requests,
//	                             then print GET /__mockloop/drift as lines: "OPERATION
//	                             compared N differing N", then "  LOCATION COUNT KIND..."

type driftAPI struct {
	fixed atomic.Bool
	mu    sync.Mutex
	count map[string]int // per path: answers are predictable whatever runs in parallel
}

func driftAPIs(ts *testscript.TestScript) map[string]*driftAPI {
	return scriptState(ts, "driftapis", func() any { return map[string]*driftAPI{} }).(map[string]*driftAPI)
}

func cmdDriftAPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: driftapi start|fix|drift NAME, or driftapi load URL N C PATH...")
	}
	switch args[0] {
	case "start":
		api := &driftAPI{count: map[string]int{}}
		driftAPIs(ts)[args[1]] = api
		srv := httptest.NewServer(api)
		ts.Defer(srv.Close)
		ts.Setenv(args[1], srv.URL)
	case "fix", "drift":
		api := driftAPIs(ts)[args[1]]
		if api == nil {
			ts.Fatalf("driftapi: no API %s", args[1])
		}
		api.fixed.Store(args[0] == "fix")
	case "load":
		driftLoad(ts, args[1:])
	case "report":
		driftReport(ts, args[1:])
	default:
		ts.Fatalf("driftapi: unknown subcommand %s", args[0])
	}
}

func (a *driftAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	i := a.count[r.URL.Path]
	a.count[r.URL.Path]++
	a.mu.Unlock()
	stamp := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "max-age="+strconv.Itoa(i%60))
	h.Set("X-Powered-By", "drift/"+strconv.Itoa(i))
	switch {
	case r.URL.Path == "/status":
		fmt.Fprintf(w, `{"ok":true,"served_at":%q}`, stamp)
	case strings.HasPrefix(r.URL.Path, "/items/"):
		name := "Gadget"
		if a.fixed.Load() {
			name = "Widget"
		}
		items := []string{`{"id":1,"label":"one"}`, `{"id":2,"label":"two"}`, `{"id":3,"label":"three"}`}
		k := i % len(items)
		items = append(items[k:], items[:k]...)
		h.Set("X-Rate-Limit", "100")
		body := fmt.Sprintf(`{"id":7,"name":%q,"price":%d,"updated_at":%q,"request_id":"6f1c2a9e-0b7d-4c55-9e3a-%012d","items":[%s]}`,
			name, 100+[]int{0, 3, -3}[i%3], stamp, i, strings.Join(items, ","))
		io.WriteString(w, body)
	default:
		http.NotFound(w, r)
	}
}

func driftLoad(ts *testscript.TestScript, args []string) {
	if len(args) < 4 {
		ts.Fatalf("usage: driftapi load URL N C PATH...")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	c, err := strconv.Atoi(args[2])
	ts.Check(err)
	type job struct{ path string }
	jobs := make(chan job)
	var failed atomic.Value
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for j := range jobs {
				resp, err := scriptClient.Get(args[0] + j.path)
				if err != nil {
					failed.Store(err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("GET %s: %s", j.path, resp.Status))
				}
			}
		})
	}
	for range n {
		for _, p := range args[3:] {
			jobs <- job{p}
		}
	}
	close(jobs)
	wg.Wait()
	if msg, ok := failed.Load().(string); ok {
		ts.Fatalf("driftapi load: %s", msg)
	}
	fmt.Fprintf(ts.Stdout(), "sent %d requests\n", n*len(args[3:]))
}

func driftReport(ts *testscript.TestScript, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: driftapi report URL N")
	}
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	type loc struct {
		Location string           `json:"location"`
		Count    int64            `json:"count"`
		Kinds    map[string]int64 `json:"kinds"`
	}
	var rep struct {
		Compared   int64 `json:"compared"`
		Pending    int   `json:"pending"`
		Operations []struct {
			Operation       string `json:"operation"`
			Compared        int64  `json:"compared"`
			WithDifferences int64  `json:"with_differences"`
			Locations       []loc  `json:"locations"`
		} `json:"operations"`
	}
	deadline := time.Now().Add(scriptWait)
	for {
		resp, err := scriptClient.Get(args[0] + "/__mockloop/drift?limit=0")
		ts.Check(err)
		err = json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		ts.Check(err)
		if rep.Compared >= want && rep.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("driftapi report: %d compared, want %d", rep.Compared, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, o := range rep.Operations {
		fmt.Fprintf(ts.Stdout(), "%s compared %d differing %d\n", o.Operation, o.Compared, o.WithDifferences)
		for _, l := range o.Locations {
			var kinds []string
			for k := range l.Kinds {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			fmt.Fprintf(ts.Stdout(), "  %s %d %s\n", l.Location, l.Count, strings.Join(kinds, " "))
		}
	}
}
