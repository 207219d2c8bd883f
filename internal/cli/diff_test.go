package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
)

func TestDiffArgs(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		wantErr string
		check   func(t *testing.T, o *diffOptions)
	}{
		{name: "files and flags", argv: []string{"a.json", "b.json", "--ignore-field", "t", "--ignore-field", "$.x[*].id",
			"--tolerance", "0.1", "--tolerance", "$.price=0", "--strict-arrays", "-H", "X-A: 1", "-o", "json"},
			check: func(t *testing.T, o *diffOptions) {
				c := o.Comparison
				if !slices.Equal(c.IgnoreFields, []string{"t", "$.x[*].id"}) || c.Tolerance.DefaultValue() != 0.1 ||
					c.Tolerance.Paths["$.price"] != 0 || len(c.Tolerance.Paths) != 1 || c.StrictArrays == nil || !*c.StrictArrays ||
					o.Output != "json" || !slices.Equal(o.Headers, []string{"X-A: 1"}) {
					t.Errorf("got %+v, comparison %+v", o, c)
				}
			}},
		{name: "both stdin", argv: []string{"-", "-"}, wantErr: "only one of A and B"},
		{name: "bad header", argv: []string{"a", "b", "-H", "nocolon"}, wantErr: `invalid -H "nocolon"`},
		{name: "bad output", argv: []string{"a", "b", "-o", "yaml"}, wantErr: "invalid --output"},
		{name: "one arg", argv: []string{"a"}, wantErr: "accepts 2 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *diffOptions
			err := execPluginCmd(t, newDiffCmd(e.f, func(o *diffOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiffRun(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.json", `{"id":1,"items":[1,2,3],"price":100,"t":"x"}`)
	same := writeFile(t, dir, "same.yaml", "t: x\nprice: 100.0\nitems: [3, 2, 1]\nid: 1\n")
	b := writeFile(t, dir, "b.json", `{"id":"1","items":[3,2,1],"price":105,"t":"y","new":true}`)
	bad := writeFile(t, dir, "bad.json", "{\n  \"a\": [1,,2]\n}")
	cfg := writeFile(t, dir, "cmp.yaml", "ignore_fields: [t]\ntolerance: 0.1\n")
	badCfg := writeFile(t, dir, "badcmp.yaml", "ignore_feilds: [t]\n")

	var gotHeader string
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			gotHeader = r.Header.Get("X-Token")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Live", "1")
		w.Header().Set("Date", "whenever")
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Write([]byte(`{"id":1,"items":[1,2,3],"price":100,"t":"x"}`))
	}))
	defer live.Close()
	mockSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Date", "now")
		w.Write([]byte(`{"id":1,"items":[3,2,1],"price":100,"t":"x"}`))
	}))
	defer mockSrv.Close()

	tests := []struct {
		name     string
		argv     []string
		stdin    string
		colour   bool
		exit     int
		out, err []string // substrings
		noOut    []string
	}{
		{name: "equal across JSON and YAML", argv: []string{a, same}, exit: 0, out: []string{"no differences"}},
		{name: "differences", argv: []string{a, b}, exit: 1,
			out: []string{"LOCATION", "$.id   ", "type", "$.price", "changed", `"x"`, "$.new", "extra",
				"4 differences (2 changed, 1 extra, 1 type)"}, noOut: []string{"\x1b["}},
		{name: "config and flags", argv: []string{a, b, "--config", cfg, "--ignore-field", "id", "--ignore-field", "new"}, exit: 0,
			out: []string{"no differences, 3 ignored"}},
		{name: "strict arrays flag", argv: []string{a, same, "--strict-arrays"}, exit: 1, out: []string{"$.items[0]", "2 differences (2 changed)"}},
		{name: "json output", argv: []string{a, b, "-o", "json", "--ignore-field", "new"}, exit: 1,
			out: []string{`"equal": false`, `"location": "$.id"`, `"kind": "type"`, `"mock": 1`, `"live": "1"`, `"ignored": 1`}},
		{name: "stdin", argv: []string{"-", a}, stdin: `{"id":1,"items":[1,2,3],"price":100,"t":"x"}`, exit: 0},
		{name: "stdin yaml", argv: []string{a, "-"}, stdin: "id: 1\nitems: [1, 2, 3]\nprice: 100\nt: z\n", exit: 1, out: []string{`"x"`, `"z"`}},
		{name: "colour", argv: []string{a, b}, colour: true, exit: 1, out: []string{"\x1b[31mchanged"}},
		{name: "bad json", argv: []string{a, bad}, exit: 2, err: []string{"bad.json: line 2, column 11: invalid character ','"}},
		{name: "missing file", argv: []string{a, filepath.Join(dir, "nope.json")}, exit: 2, err: []string{"read ", "nope.json"}},
		{name: "bad pattern", argv: []string{a, b, "--ignore-field", "$.a["}, exit: 2, err: []string{`ignore_fields: bad path "$.a["`}},
		{name: "bad config", argv: []string{a, b, "--config", badCfg}, exit: 2, err: []string{"ignore_feilds"}},
		{name: "bad tolerance", argv: []string{a, b, "--tolerance", "x"}, exit: 2, err: []string{`invalid --tolerance "x"`}},
		{name: "two urls", argv: []string{mockSrv.URL, live.URL + "/missing", "-H", "X-Token: s3cret", "--compare-headers=all"}, exit: 1,
			out: []string{"status", "200", "404", "header X-Live", "2 differences (1 status, 1 header), 1 ignored"}},
		{name: "two urls equal bodies", argv: []string{mockSrv.URL, live.URL}, exit: 0, out: []string{"no differences"}},
		{name: "url and file", argv: []string{live.URL, b}, exit: 1, out: []string{"$.price"}, noOut: []string{"status"}},
		{name: "unreachable url", argv: []string{a, "http://127.0.0.1:1/x"}, exit: 2, err: []string{"GET http://127.0.0.1:1/x:"}},
		{name: "unknown plugin", argv: []string{a, b, "--plugin", "nope"}, exit: 2, err: []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			e.in.WriteString(tt.stdin)
			args := tt.argv
			if tt.colour {
				args = append([]string{"--color", "always"}, args...)
			}
			code := Run(context.Background(), e.f, append([]string{"diff"}, args...))
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.exit, e.out, e.errOut)
			}
			for _, s := range tt.out {
				if !strings.Contains(e.out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, e.out)
				}
			}
			for _, s := range tt.noOut {
				if strings.Contains(e.out.String(), s) {
					t.Errorf("stdout has %q:\n%s", s, e.out)
				}
			}
			for _, s := range tt.err {
				if !strings.Contains(e.errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, e.errOut)
				}
			}
		})
	}
	if gotHeader != "s3cret" {
		t.Errorf("-H not sent: X-Token = %q", gotHeader)
	}
}

func TestDiffPluginComparison(t *testing.T) {
	e := newPluginTestEnv(t)
	p := &plugin.Plugin{Name: "shop", Spec: "mockloop:example", Mode: "mock",
		Comparison: compare.Config{IgnoreFields: []string{"t"}, StrictArrays: compare.Bool(true)}}
	if err := plugin.NewStore(e.dir).Save(p, false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := writeFile(t, dir, "a.json", `{"t":1,"l":[1,2]}`)
	b := writeFile(t, dir, "b.json", `{"t":2,"l":[2,1]}`)
	if code := Run(context.Background(), e.f, []string{"--plugins-dir", e.dir, "diff", a, b, "--plugin", "shop"}); code != 1 {
		t.Fatalf("exit %d: %s%s", code, e.out, e.errOut)
	}
	if !strings.Contains(e.out.String(), "2 differences (2 changed), 1 ignored") {
		t.Errorf("plugin options not used:\n%s", e.out)
	}
	e.out.Reset()
	// A flag given on the command line wins over the plugin.
	if code := Run(context.Background(), e.f, []string{"--plugins-dir", e.dir, "diff", a, b, "--plugin", "shop", "--strict-arrays=false"}); code != 0 {
		t.Fatalf("exit %d: %s%s", code, e.out, e.errOut)
	}
}

func TestDiffNoColorEnv(t *testing.T) {
	e := newPluginTestEnv(t)
	e.f.IOStreams.SetStdoutTTY(true)
	e.f.IOStreams.SetNoColorEnv(true)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.json", `{"a":1}`)
	b := writeFile(t, dir, "b.json", `{"a":2}`)
	Run(context.Background(), e.f, []string{"diff", a, b})
	if strings.Contains(e.out.String(), "\x1b[") {
		t.Errorf("NO_COLOR ignored:\n%q", e.out)
	}
	e.out.Reset()
	e.f.IOStreams.SetNoColorEnv(false)
	Run(context.Background(), e.f, []string{"diff", a, b})
	if !strings.Contains(e.out.String(), "\x1b[") {
		t.Errorf("no colour on a terminal:\n%q", e.out)
	}
}

// TestDiffURLSecretsNotPrinted: a URL's password and secret query values never reach a
// message, whatever fails.
func TestDiffURLSecretsNotPrinted(t *testing.T) {
	dir := t.TempDir()
	e := writeFile(t, dir, "e.json", `{}`)
	for _, target := range []string{"http://u:PW-secret@127.0.0.1:1/x?api_key=K-secret", "http://u:PW-secret@[::1:bad/x?api_key=K-secret"} {
		env := newTestRunEnv(t)
		code := env.run("diff", target, e)
		if code != 2 || strings.Contains(env.errOut.String(), "PW-secret") || strings.Contains(env.errOut.String(), "K-secret") {
			t.Errorf("diff %s: exit %d, stderr %q", target, code, env.errOut.String())
		}
	}
}
