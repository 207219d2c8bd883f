package stack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
)

// TestLiveCounters: the forwarder's attempts, retries, failures and token requests and
// refreshes reach GET /__mockloop/metrics ("live") and its Prometheus form.
func TestLiveCounters(t *testing.T) {
	var calls, tokens atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			n := tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
			return
		}
		switch n := calls.Add(1); {
		case n == 1: // the first token is refused: a refresh and one more try
			w.WriteHeader(http.StatusUnauthorized)
		case n == 2: // then a failure worth a retry
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/v1/pets/1": // /pets/1 always drops the connection: out of retries
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[]`)
		}
	}))
	defer up.Close()
	p := &plugin.Plugin{Name: "shop", Spec: "testdata/pets.yaml", Mode: plugin.ModeProxy, TargetURL: up.URL + "/v1",
		Auth:      &plugin.Auth{AuthType: plugin.AuthOAuth2, Credentials: map[string]string{"client_id": "id", "client_secret": "sec", "token_url": up.URL + "/token"}},
		Endpoints: []plugin.Endpoint{{Path: "/pets", Method: "GET", RetryCount: 1}, {Path: "/pets/{petId}", Method: "GET", RetryCount: 1}}}
	set, err := Resolve(p, Flags{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Build(loadPets(t), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if w := call(t, st.Handler, "GET", "/pets", ""); w.Code != 200 {
		t.Fatalf("GET /pets: %d %s", w.Code, w.Body)
	}
	if w := call(t, st.Handler, "GET", "/pets/1", ""); w.Code != 502 {
		t.Fatalf("GET /pets/1: %d %s", w.Code, w.Body)
	}

	var body server.MetricsBody
	w := call(t, st.Handler, "GET", "/__mockloop/metrics", "")
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"attempts": 5, "retries": 2, "failures": 1, "broken_answers": 0, "token_requests": 2, "token_refreshes": 1}
	for k, v := range want {
		if body.Live[k] != v {
			t.Errorf("live %s = %d, want %d (all: %v)", k, body.Live[k], v, body.Live)
		}
	}
	prom := call(t, st.Handler, "GET", "/__mockloop/metrics/prometheus", "").Body.String()
	for _, line := range []string{"mockloop_live_retries_total 2", "mockloop_live_token_refreshes_total 1", "mockloop_live_failures_total 1",
		"# HELP mockloop_live_token_requests_total Requests made to the oauth2 token endpoint."} {
		if !strings.Contains(prom, line) {
			t.Errorf("Prometheus text lacks %q:\n%s", line, prom)
		}
	}

	// Without a live side there is nothing to report.
	mset, _ := Resolve(&plugin.Plugin{Name: "m", Spec: "testdata/pets.yaml", Mode: plugin.ModeMock}, Flags{}, nil)
	mst, err := Build(loadPets(t), mset, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mst.Close()
	if b := call(t, mst.Handler, "GET", "/__mockloop/metrics", "").Body.String(); strings.Contains(b, `"live"`) {
		t.Errorf("a mock-only server reports live counters: %s", b)
	}
}
