package stack

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
)

func TestCheck(t *testing.T) {
	doc := loadPets(t)
	tests := []struct {
		name      string
		plugin    plugin.Plugin
		problems  []string
		notes     []string
		withNoDoc bool
	}{
		{"the guide's conditions compile", plugin.Plugin{RouteRules: []plugin.RouteRule{
			{Pattern: "/**", Condition: "request.method == 'POST'", Mode: plugin.ModeMock},
			{Pattern: "/**", Condition: "'X-Test-Mode' not in request.headers", Mode: plugin.ModeProxy},
			{Pattern: "/**", Condition: "request.params.get('mock') == 'true'", Mode: plugin.ModeMock},
		}}, nil, nil, false},
		{"bad conditions, each with its index and position", plugin.Plugin{RouteRules: []plugin.RouteRule{
			{Pattern: "/a", Mode: plugin.ModeMock},
			{Pattern: "/b", Condition: "request.method = 'POST'", Mode: plugin.ModeMock},
			{Pattern: "/c", Condition: "__import__('os').system('id')", Mode: plugin.ModeMock},
		}}, []string{
			`route_rules[1]: condition "request.method = 'POST'": line 1, column 16: unexpected token Operator("=")`,
			`route_rules[2]: condition "__import__('os').system('id')": line 1, column 1: unknown name __import__`,
		}, nil, false},
		{"bad glob", plugin.Plugin{RouteRules: []plugin.RouteRule{{Pattern: "/a/[x", Mode: plugin.ModeMock}}},
			[]string{`route_rules[0]: pattern: "/a/[x": segment "[x": syntax error in pattern`}, nil, false},
		{"tls file missing", plugin.Plugin{TLS: &plugin.TLS{CAFile: "testdata/no-such-ca.pem"}},
			[]string{"tls: ca_file testdata/no-such-ca.pem: no such file or directory"}, nil, false},
		{"tls with an unset variable is not checked", plugin.Plugin{TLS: &plugin.TLS{CAFile: "${NOT_SET_ANYWHERE}"}}, nil, nil, false},
		{"oauth2 access token without refresh", plugin.Plugin{Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"access_token": "a", "refresh_token": "r"}}},
			nil, []string{"auth: the oauth2 access token cannot be refreshed: no token URL: the plugin has no token_url and the spec has no OAuth2 security scheme"}, false},
		{"oauth2 with nothing to start with", plugin.Plugin{Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"client_id": "i", "client_secret": "s"}}},
			[]string{"auth: oauth2 cannot obtain an access token: no token URL"}, nil, false},
		{"oauth2 without a spec is not judged", plugin.Plugin{Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"access_token": "a"}}}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := doc
			if tt.withNoDoc {
				d = nil
			}
			probs, notes := Check(&tt.plugin, d, func(string) (string, bool) { return "", false })
			check := func(what string, got []string, want []string) {
				if len(got) != len(want) {
					t.Fatalf("%s %q, want %q", what, got, want)
				}
				for i := range want {
					if !strings.HasPrefix(got[i], want[i]) {
						t.Errorf("%s[%d] %q, want %q", what, i, got[i], want[i])
					}
				}
			}
			var ps, ns []string
			for _, p := range probs {
				ps = append(ps, p.String())
			}
			for _, n := range notes {
				ns = append(ns, n.String())
			}
			check("problems", ps, tt.problems)
			check("notes", ns, tt.notes)
		})
	}
}

// TestBuildLogsAndFallsBackMidBody: a stack with a logger writes the routing decision and the
// upstream attempt at debug; a live answer that breaks before it reached the client falls back
// to the mock with X-Mockloop-Fallback, or without fallback is a 502 naming the failure.
func TestBuildLogsAndFallsBackMidBody(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{\"id\":")
		buf.Flush()
		conn.Close()
	}))
	defer up.Close()
	for _, fallback := range []bool{true, false} {
		t.Run(fmt.Sprintf("fallback %v", fallback), func(t *testing.T) {
			p := &plugin.Plugin{Name: "shop", Spec: "testdata/pets.yaml", Mode: plugin.ModeHybrid, TargetURL: up.URL + "/v1",
				RouteRules: []plugin.RouteRule{{Name: "live", Pattern: "/pets", Mode: plugin.ModeProxy}}}
			if fallback {
				p.Fallback = plugin.ModeMock
			}
			set, err := Resolve(p, Flags{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var logs, reqLog bytes.Buffer
			st, err := Build(loadPets(t), set, Options{Log: &reqLog, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(st)
			defer front.Close()
			resp, err := http.Get(front.URL + "/pets")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if fallback {
				if resp.StatusCode != 200 || resp.Header.Get(server.HeaderMode) != "mock" ||
					!strings.Contains(resp.Header.Get(server.HeaderFallback), "mid-body after 7 bytes") || !strings.HasPrefix(string(body), `[{"id":1`) {
					t.Errorf("%d %v %s", resp.StatusCode, resp.Header, body)
				}
			} else if resp.StatusCode != 502 || !strings.Contains(string(body), "answered 200, then the connection closed mid-body after 7 bytes") {
				// Nothing had reached the client: a problem, not a cut answer.
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			status := st.Handler.Status()
			st.Close()
			out := logs.String()
			for _, want := range []string{`msg=route method=GET path=/pets rule=live condition=none side=proxy`, `msg="upstream attempt" method=GET url=` + up.URL + `/v1/pets`} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %s:\n%s", want, out)
				}
			}
			if !fallback && (status.Requests.Proxy["5xx"] != 1 || !strings.Contains(reqLog.String(), ` 502 `)) {
				t.Errorf("counters %+v, request log %s", status.Requests, reqLog.String())
			}
			j, _ := json.Marshal(status.Rules)
			if want := `"sides":{"mock":0,"proxy":1}`; !strings.Contains(string(j), want) {
				t.Errorf("rules %s lack %s", j, want)
			}
		})
	}
}

// TestBuildRefusesConnectThroughTheStack: CONNECT never reaches the forwarder's upstream.
func TestBuildRefusesConnectThroughTheStack(t *testing.T) {
	up, got := fakeUpstream(t)
	set, err := Resolve(&plugin.Plugin{Name: "p", Spec: "testdata/pets.yaml", Mode: plugin.ModeProxy, TargetURL: up.URL}, Flags{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Build(loadPets(t), set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	front := httptest.NewServer(st)
	defer front.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "CONNECT"})
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("%v %v", resp, err)
	}
	select {
	case s := <-got:
		t.Errorf("the upstream got %+v", s)
	default:
	}
}

func TestRefuse(t *testing.T) {
	tests := []struct {
		name    string
		plugin  plugin.Plugin
		wantErr string
		notes   int
	}{
		{"nothing wrong", plugin.Plugin{Name: "ok"}, "", 0},
		{"every problem in one line", plugin.Plugin{Name: "x", RouteRules: []plugin.RouteRule{
			{Pattern: "/a/[x", Mode: plugin.ModeMock},
			{Pattern: "/**", Condition: "__import__('os').system('id')", Mode: plugin.ModeMock},
		}}, `invalid plugin "x": route_rules[0]: pattern: "/a/[x": segment "[x": syntax error in pattern; route_rules[1]: condition "__import__('os').system('id')": line 1, column 1: unknown name __import__`, 0},
		{"variables are not resolved", plugin.Plugin{Name: "x", TLS: &plugin.TLS{CAFile: "${HOME}/ca.pem"}}, "", 0},
		{"a note is not a refusal", plugin.Plugin{Name: "x", Auth: &plugin.Auth{AuthType: "oauth2", Credentials: map[string]string{"access_token": "a"}}}, "", 1},
	}
	doc := loadPets(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notes, err := Refuse(&tt.plugin, doc)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("error %q, want %q", got, tt.wantErr)
			}
			if len(notes) != tt.notes {
				t.Errorf("notes %v, want %d", notes, tt.notes)
			}
		})
	}
}
