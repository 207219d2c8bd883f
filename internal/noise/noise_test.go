package noise

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/testrun"
)

// noisyAPI is a live API whose answers to the same request differ in every way the learner
// knows, on a counter n that makes each answer predictable.
func noisyAPI(t *testing.T) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int64{} // per path, so that cases learned in parallel see 0, 1, 2...
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := counts[r.URL.Path]
		counts[r.URL.Path]++
		mu.Unlock()
		switch {
		case r.URL.Path == "/status":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "ok %d", i)
			return
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rot := func(xs []string) []string { k := int(i) % len(xs); return append(xs[k:], xs[:k]...) }
		items := []string{`{"id":1,"label":"one"}`, `{"id":2,"label":"two"}`, `{"id":3,"label":"three"}`}
		body := map[string]any{
			"id": 7, "name": "Gadget",
			"price":      json.Number(fmt.Sprint(100 + []int{0, 3, -3}[i%3])),
			"stock":      json.Number(fmt.Sprint(40 + 2*i)), // goes up by two, three times: jitter, not a counter
			"updated_at": time.Date(2026, 1, 1, 0, 0, int(i), 0, time.UTC).Format(time.RFC3339),
			"request_id": fmt.Sprintf("6f1c2a9e-0b7d-4c55-9e3a-%012d", i),
			"session":    fmt.Sprintf("tok_%08dZx", i*7919),
			"served_at":  1767225600 + i,
			"views":      1000 + i,
			"tags":       rot([]string{"a", "b", "c"}),
			"items":      json.RawMessage("[" + strings.Join(rot(items), ",") + "]"),
		}
		if i%2 == 0 {
			body["coupon"] = "SAVE10"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", []string{"b1", "b2"}[i%2])
		w.Header().Set("Date", time.Now().Format(http.TimeFormat))
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func prepare(t *testing.T, live string, cmp compare.Config) *testrun.Prepared {
	t.Helper()
	pr, err := testrun.Prepare(context.Background(), testrun.Request{Spec: "testdata/shop.yaml", Live: live, Mode: "proxy", Validation: "off", Comparison: cmp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pr.Close)
	return pr
}

func TestLearn(t *testing.T) {
	srv := noisyAPI(t)
	pr := prepare(t, srv.URL, compare.Config{StrictArrays: compare.Bool(true), CompareHeaders: compare.HeadersDeclared})
	m, err := Learn(context.Background(), pr, Options{Samples: 3, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Case != "deleteItem" || !strings.Contains(m.Skipped[0].Reason, "DELETE is not sent") {
		t.Errorf("skipped = %+v", m.Skipped)
	}
	var item *Operation
	for i := range m.Operations {
		if m.Operations[i].Operation == "GET /items/{id}" {
			item = &m.Operations[i]
		}
	}
	if item == nil || item.Answers != 3 {
		t.Fatalf("operations = %+v", m.Operations)
	}
	got := map[string]string{}
	for _, l := range item.Locations {
		got[l.Location+" "+string(l.Finding)] = l.Shape + "|" + l.Key + "|" + l.Why
	}
	want := map[string]string{
		"$.coupon presence":       "||is sometimes absent",
		"$.items order":           "|id|changes order between answers: match the elements by id",
		"$.tags order":            "||changes order between answers: compare it as a multiset",
		"$.price jitter":          "number||jitters: up to 3% apart",
		"$.request_id value":      "uuid||changes between answers (uuid)",
		"$.session value":         "token||changes between answers (token)",
		"$.served_at value":       "unix-time||changes between answers (unix-time)",
		"$.updated_at value":      "date-time||changes between answers (date-time)",
		"$.views value":           "counter||counts up on every answer (counter)",
		"$.stock jitter":          "number||jitters: up to 9.1% apart",
		"header X-Backend header": "text||changes between answers (text)",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s: %s", k, got[k])
		}
	}
	if item.Stable != 5 { // $.id, $.name, $.items[*].id, $.items[*].label, $.tags[*]
		t.Errorf("stable = %d, want 5", item.Stable)
	}
	sug := m.Suggestions()
	if !slices.Equal(sug.IgnoreFields, []string{"$.request_id", "$.served_at", "$.session", "$.updated_at", "$.views"}) ||
		sug.Tolerance.Paths["$.price"] != 0.03 || sug.ArrayKeys["$.items"] != "id" ||
		!slices.Equal(sug.UnorderedArrays, []string{"$.tags"}) || !slices.Equal(sug.IgnoreAbsence, []string{"$.coupon"}) ||
		!slices.Equal(sug.IgnoreHeaders, []string{"X-Backend"}) {
		t.Errorf("suggestions = %+v", sug)
	}
	// The text status body: the change is reported, nothing can subtract it.
	for _, o := range m.Operations {
		if o.Operation == "GET /status" && (len(o.Locations) != 1 || o.Locations[0].Finding != FindingText || !o.Locations[0].Suggest.IsZero()) {
			t.Errorf("status: %+v", o.Locations)
		}
	}

	// Learned noise subtracted: live compared with itself again has no difference left.
	layer := m.Layer("GET /items/{id}")
	cfg := compare.Merge(layer, testrun.CaseComparison(pr.Plan, pr.Plan.Cases[0], pr.Options))
	cmp, err := compare.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var answers []compare.Response
	for range 4 {
		r, err := testrun.Send(context.Background(), pr.Plan.Cases[0], pr.Options.Live, 0)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, r.Compared(pr.Plan.Cases[0].Op))
	}
	for k := 1; k < 3; k++ { // stock keeps going up: a fourth answer is beyond what was learned
		if res := cmp.Compare(answers[0], answers[k]); !res.Equal() {
			t.Errorf("answers 0 and %d after subtracting: %+v", k, res.Differences)
		}
	}
	d := compare.Difference{Location: "$.items[2].label", Kind: compare.KindChanged}
	if why := m.Why("GET /items/{id}", d); why != "learned noise: $.items changes order between answers: match the elements by id" {
		t.Errorf("why = %q", why)
	}
}

func TestLearnLive2AndMethods(t *testing.T) {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, `{"id":7,"name":"Gadget","price":100,"region":"eu"}`)
	}))
	defer b.Close()
	stable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, `{"id":7,"name":"Gadget","price":100}`)
	}))
	defer stable.Close()
	base, _ := testrun.ParseBaseURL(b.URL)
	pr := prepare(t, stable.URL, compare.Config{})
	m, err := Learn(context.Background(), pr, Options{Samples: 2, Live2: &testrun.HTTPSide{Label: "live2", Base: base, Client: b.Client()},
		Methods: []string{"GET", "DELETE"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 0 || !m.Live2 {
		t.Errorf("skipped %+v", m.Skipped)
	}
	for _, o := range m.Operations {
		if o.Operation == "GET /items/{id}" {
			if len(o.Locations) != 1 || o.Locations[0].Location != "$.region" || o.Locations[0].Finding != FindingPresence || o.Answers != 4 {
				t.Errorf("the second instance's extra field: %+v", o)
			}
		}
		if o.Operation == "DELETE /items/{id}" && len(o.Locations) != 0 {
			t.Errorf("delete: %+v", o.Locations)
		}
	}
	// No live side at all, and no case to send.
	noLive, err := testrun.Prepare(context.Background(), testrun.Request{Spec: "testdata/shop.yaml", Mode: "mock"})
	if err != nil {
		t.Fatal(err)
	}
	defer noLive.Close()
	if _, err := Learn(context.Background(), noLive, Options{}); err == nil || !strings.Contains(err.Error(), "no live side") {
		t.Errorf("no live: %v", err)
	}
	if _, err := Learn(context.Background(), pr, Options{Methods: []string{"PATCH"}}); err == nil || !strings.Contains(err.Error(), "no case with method PATCH") {
		t.Errorf("no case: %v", err)
	}
}

func TestLearnUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	pr := prepare(t, url, compare.Config{})
	m, err := Learn(context.Background(), pr, Options{Samples: 2, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Operations) != 0 || len(m.Skipped) != 3 || !strings.Contains(m.Skipped[1].Reason, "2 of 2 requests failed: live:") {
		t.Errorf("model = %+v", m)
	}
}

func TestRoundUp(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0.0234, 0.03}, {0.03, 0.03}, {0.05, 0.05}, {0.0291, 0.03}, {0.058, 0.06}, {0.96, 1}, {0.1, 0.1}, {0.00012, 0.0002}, {0, 0},
	} {
		if got := roundUp(tt.in); got != tt.want {
			t.Errorf("roundUp(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStringShape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"6f1c2a9e-0b7d-4c55-9e3a-000000000001", "uuid"},
		{"2026-01-01T00:00:00Z", "date-time"},
		{"2026-01-01T00:00:00.123+02:00", "date-time"},
		{"Wed, 21 Oct 2026 07:28:00 GMT", "date-time"},
		{"2026-01-01", "date-time"},
		{"1767225600", "unix-time"},
		{"1767225600123", "unix-time"},
		{"42", "number"},
		{"eyJhbGciOiJIUzI1NiJ9.e30.abc123", "token"},
		{"hello world", "text"},
		{"abcdefghij", "text"},
	} {
		if got := stringShape(tt.in); got != tt.want {
			t.Errorf("stringShape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
