package testrun

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

func TestChooseMode(t *testing.T) {
	withTarget := stack.Settings{Target: "https://api.example.com"}
	none := stack.Settings{}
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	tests := []struct {
		name    string
		req     Request
		set     stack.Settings
		status  *server.Status
		want    plugin.Mode
		wantErr string
	}{
		{"auto alone is mock", Request{Mode: ModeAuto}, none, nil, plugin.ModeMock, ""},
		{"auto with --live", Request{Mode: ModeAuto, Live: "http://x"}, none, nil, plugin.ModeHybrid, ""},
		{"auto with a plugin target", Request{Mode: ModeAuto}, withTarget, nil, plugin.ModeHybrid, ""},
		{"auto, server mock only", Request{Mode: ModeAuto, Server: "http://s"}, none, &server.Status{Mode: plugin.ModeMock}, plugin.ModeMock, ""},
		{"auto, server with live and override", Request{Mode: ModeAuto, Server: "http://s"}, none, &server.Status{Mode: plugin.ModeMock, Live: true, ModeOverride: true}, plugin.ModeHybrid, ""},
		{"auto, server proxying without override", Request{Mode: ModeAuto, Server: "http://s"}, none, &server.Status{Mode: plugin.ModeProxy, Live: true}, plugin.ModeProxy, ""},
		{"auto, hybrid server without override", Request{Mode: ModeAuto, Server: "http://s"}, none, &server.Status{Mode: plugin.ModeHybrid, Live: true}, plugin.ModeMock, ""},
		{"explicit mock", Request{Mode: "mock", Live: "http://x"}, none, nil, plugin.ModeMock, ""},
		{"explicit, any case", Request{Mode: "HYBRID", Live: "http://x"}, none, nil, plugin.ModeHybrid, ""},
		{"explicit proxy with server", Request{Mode: "proxy", Server: "http://s"}, none, nil, plugin.ModeProxy, ""},
		{"explicit hybrid without live", Request{Mode: "hybrid"}, none, nil, "", "mode hybrid needs a live side"},
		{"PROXY_MODE when no --mode", Request{Mode: ModeAuto, Live: "http://x", LookupEnv: env("PROXY_MODE", "mock")}, none, nil, plugin.ModeMock, ""},
		{"MOCKLOOP_MODE over PROXY_MODE", Request{Mode: ModeAuto, Live: "http://x", LookupEnv: env("PROXY_MODE", "mock", "MOCKLOOP_MODE", "proxy")}, none, nil, plugin.ModeProxy, ""},
		{"--mode over the environment", Request{Mode: "hybrid", Live: "http://x", LookupEnv: env("PROXY_MODE", "mock")}, none, nil, plugin.ModeHybrid, ""},
		{"bad PROXY_MODE", Request{Mode: ModeAuto, LookupEnv: env("PROXY_MODE", "sideways")}, none, nil, "", `invalid mode "sideways"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseMode(tt.req, tt.set, tt.status)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("chooseMode = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestPrepareContainerVariables: PROXY_MODE, API_BASE_URL and AUTH_TYPE configure a test run
// as they configure serve (the guide's Docker example runs tests): the live side is the
// environment's target, through the proxy engine, with the environment's credentials.
func TestPrepareContainerVariables(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "pets.yaml")
	if err := os.WriteFile(specPath, []byte(petSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	var auth atomic.Value
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"id":1,"name":"rex"}]`)
	}))
	defer live.Close()
	vars := map[string]string{"API_BASE_URL": live.URL, "PROXY_MODE": "hybrid", "AUTH_TYPE": "bearer_token", "API_TOKEN": "env-token-1"}
	req := Request{Spec: specPath, Operations: []string{"listPets"}, Validation: "off",
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	pr, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if pr.Mode != plugin.ModeHybrid || pr.Options.Live == nil || pr.Options.Mock == nil {
		t.Fatalf("mode %s, sides mock=%v live=%v", pr.Mode, pr.Options.Mock != nil, pr.Options.Live != nil)
	}
	rep := pr.Run(context.Background(), nil)
	if got, _ := auth.Load().(string); got != "Bearer env-token-1" {
		t.Errorf("live side got Authorization %q, want the environment's token", got)
	}
	if rep.Mode != "hybrid" || len(rep.Cases) != 1 || rep.Cases[0].Live == nil || rep.Cases[0].Live.Status != 200 {
		t.Errorf("report = %+v", rep)
	}
}

func TestPrepareErrors(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"bad operations", Request{Operations: []string{"GET pets"}}, `operations "GET pets": want "METHOD /path"`},
		{"bad validation", Request{Validation: "lax"}, `invalid validation mode "lax"`},
		{"bad shard", Request{Shard: "3/2"}, `invalid shard "3/2"`},
		{"unreachable server", Request{Server: "http://127.0.0.1:1"}, "server http://127.0.0.1:1 is not reachable"},
		{"no case matches", Request{Operations: []string{"nothing"}}, "no operation of mockloop:example matches nothing"},
		{"bad plan", Request{Plan: []byte("cases: [{name: a}]"), PlanName: "p.yaml"}, `plan "p.yaml": case 1 "a" (line 1): operation`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(context.Background(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCollectLogs runs through a running server and attaches its request-log entries of the
// run's requests to their cases, credentials redacted by the server; another run's requests
// and other traffic are left out.
func TestCollectLogs(t *testing.T) {
	doc, err := spec.Load(context.Background(), spec.ExampleSource, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Build(doc, stack.Settings{Mode: plugin.ModeMock}, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(st)
	defer srv.Close()
	run := func(t *testing.T, req Request) *Report {
		t.Helper()
		pr, err := Prepare(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		return pr.Run(context.Background(), nil)
	}
	// Traffic that is not the run's.
	if resp, err := http.Get(srv.URL + "/books"); err == nil {
		resp.Body.Close()
	}
	first := run(t, Request{Server: srv.URL, Mode: "mock", Operations: []string{"listBooks", "getAccount"}, CollectLogs: true, Concurrency: 2, Repeat: 2})
	second := run(t, Request{Server: srv.URL, Mode: "mock", Operations: []string{"getBook"}, CollectLogs: true})
	for _, rep := range []*Report{first, second} {
		if rep.LogsError != "" {
			t.Errorf("logs error: %s", rep.LogsError)
		}
		for _, c := range rep.Cases {
			if len(c.Logs) != 1 {
				t.Errorf("case %s: %d log entries, want 1: %+v", c.DisplayName(), len(c.Logs), c.Logs)
				continue
			}
			l := c.Logs[0]
			if l.Path != c.Path || l.Method != c.Method || l.Side != plugin.ModeMock || l.Status != c.Mock.Status || l.RequestHeaders[HeaderCase] == "" {
				t.Errorf("case %s (%s %s, %d): log %+v", c.DisplayName(), c.Method, c.Path, c.Mock.Status, l)
			}
		}
	}
	if len(first.Cases) != 4 || first.Cases[0].Logs[0].RequestHeaders[HeaderCase] == first.Cases[2].Logs[0].RequestHeaders[HeaderCase] {
		t.Errorf("repeated runs share a log entry: %+v", first.Cases)
	}
	data, _ := json.Marshal(first)
	if strings.Contains(string(data), "mockloop-placeholder") || !strings.Contains(string(data), `"Authorization":"***"`) {
		t.Errorf("the credential is not redacted in the logs: %s", data)
	}
	t.Run("without collecting, no header and no logs", func(t *testing.T) {
		rep := run(t, Request{Server: srv.URL, Mode: "mock", Operations: []string{"getBook"}})
		if rep.Cases[0].Logs != nil || rep.LogsError != "" {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			req  Request
			want string
		}{
			{Request{Mode: "mock", CollectLogs: true}, "collect logs: the request log is a running server's"},
			{Request{Server: srv.URL, Live: srv.URL, Mode: "proxy", CollectLogs: true}, "collect logs: no side of this proxy run goes through the server"},
		} {
			if _, err := Prepare(context.Background(), tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		}
	})
}
