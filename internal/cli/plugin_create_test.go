package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

func TestPluginCreateArgs(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		wantErr string
		check   func(t *testing.T, o *pluginCreateOptions)
	}{
		{name: "name only", argv: []string{"demo"}, check: func(t *testing.T, o *pluginCreateOptions) {
			if o.Name != "demo" || o.Spec != "" || o.Output != "text" || o.Force || len(o.Set) != 0 {
				t.Errorf("got %+v", o)
			}
		}},
		{name: "all flags", argv: []string{"live", "--spec", "api.yaml", "--mode", "hybrid", "--target", "https://x",
			"--auth-type", "api_key", "--auth-location", "query", "--auth-name", "key", "--credential", "api_key=${K}",
			"--rule", "pattern=/a,mode=proxy", "--rule", "pattern=/b,mode=mock,condition=a, b",
			"--fallback", "mock", "--timeout", "5s", "--retry-count", "2", "--ignore-field", "id", "--ignore-field", "$.a[*].b",
			"--tolerance", "0.1", "--strict-arrays", "--compare-headers", "--force", "-o", "json"},
			check: func(t *testing.T, o *pluginCreateOptions) {
				if o.Spec != "api.yaml" || o.Mode != "hybrid" || o.Target != "https://x" || o.AuthType != "api_key" ||
					o.AuthLocation != "query" || o.AuthName != "key" || o.Fallback != "mock" || o.Timeout != "5s" ||
					o.RetryCount != 2 || o.Comparison.Tolerance.DefaultValue() != 0.1 || !*o.Comparison.StrictArrays || o.Comparison.CompareHeaders != compare.HeadersDeclared || !o.Force || o.Output != "json" {
					t.Errorf("got %+v", o)
				}
				if strings.Join(o.Credentials, "|") != "api_key=${K}" {
					t.Errorf("credentials %q", o.Credentials)
				}
				// Repeated flags are not split on commas.
				if len(o.Rules) != 2 || o.Rules[1] != "pattern=/b,mode=mock,condition=a, b" {
					t.Errorf("rules %q", o.Rules)
				}
				if len(o.Comparison.IgnoreFields) != 2 || o.Comparison.IgnoreFields[1] != "$.a[*].b" {
					t.Errorf("ignore fields %q", o.Comparison.IgnoreFields)
				}
				if !o.Set["tolerance"] || !o.Set["spec"] || o.Set["from-file"] {
					t.Errorf("set %v", o.Set)
				}
			}},
		{name: "from file without name", argv: []string{"--from-file", "p.yaml"}, check: func(t *testing.T, o *pluginCreateOptions) {
			if o.Name != "" || o.FromFile != "p.yaml" {
				t.Errorf("got %+v", o)
			}
		}},
		{name: "no name", argv: []string{}, wantErr: "needs a NAME"},
		{name: "bad name", argv: []string{"../x"}, wantErr: `invalid plugin name "../x"`},
		{name: "two names", argv: []string{"a", "b"}, wantErr: "accepts between 0 and 1 arg"},
		{name: "bad output", argv: []string{"a", "-o", "table"}, wantErr: `invalid --output "table"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			var got *pluginCreateOptions
			cmd := newPluginCreateCmd(e.f, func(o *pluginCreateOptions) error { got = o; return nil })
			err := execPluginCmd(t, cmd, tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if got != nil {
					t.Error("runF called on a bad command line")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Store.Dir() != e.dir || got.IO != e.f.IOStreams {
				t.Errorf("factory values not passed: %+v", got)
			}
			tt.check(t, got)
		})
	}
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		in      string
		want    plugin.RouteRule
		wantErr string
	}{
		{in: "pattern=/api/*,method=post,mode=proxy,priority=10",
			want: plugin.RouteRule{Pattern: "/api/*", Method: "POST", Mode: "proxy", Priority: 10}},
		{in: "pattern=/**, mode=mock, fallback=mock",
			want: plugin.RouteRule{Pattern: "/**", Mode: "mock", Fallback: "mock"}},
		{in: "pattern=/a,mode=mock,condition=request.params.get('mock') == 'true'",
			want: plugin.RouteRule{Pattern: "/a", Mode: "mock", Condition: "request.params.get('mock') == 'true'"}},
		{in: `pattern=/a,mode=proxy,condition=request.method in ["GET", "HEAD"], priority=3`,
			want: plugin.RouteRule{Pattern: "/a", Mode: "proxy", Condition: `request.method in ["GET", "HEAD"], priority=3`}},
		{in: `pattern=/a,mode=mock,condition='X-Test-Mode' not in request.headers`,
			want: plugin.RouteRule{Pattern: "/a", Mode: "mock", Condition: "'X-Test-Mode' not in request.headers"}},
		{in: "", wantErr: "empty rule"},
		{in: "pattern=/a", wantErr: "mode is required"},
		{in: "mode=mock", wantErr: "pattern is required"},
		{in: "pattern=/a,mode=live", wantErr: `mode "live": want mock or proxy`},
		{in: "pattern=/a,mode=mock,priority=high", wantErr: `priority "high" is not an integer`},
		{in: "pattern=/a,mode=mock,prio=1", wantErr: `unknown key "prio"`},
		{in: "pattern=/a,mode=mock,oops", wantErr: `"oops" is not key=value`},
		{in: "pattern=/a,pattern=/b,mode=mock", wantErr: "pattern given twice"},
		{in: "pattern=/a,condition=x == 1,mode=mock", wantErr: "put it last"},
		{in: "pattern=/a,mode=mock,percent=many", wantErr: `percent "many" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRule(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "invalid --rule") {
					t.Errorf("error does not name the rule: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPluginCreateRun(t *testing.T) {
	e := newPluginTestEnv(t)
	specPath := writePluginFixture(t, t.TempDir(), "pets.yaml", pluginTestSpec)

	t.Run("comparison flags as diff and test run take them", func(t *testing.T) {
		if code := e.run("plugin", "create", "cmp", "--spec", specPath, "--tolerance", "$.price=0", "--tolerance", "0.05",
			"--ignore-field", "updated_at", "--array-key", "$.items=id", "--strict-arrays=false"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut.String())
		}
		p, err := plugin.NewStore(e.dir).Get("cmp")
		if err != nil {
			t.Fatal(err)
		}
		c := p.Comparison
		if v, ok := c.Tolerance.Paths["$.price"]; !ok || v != 0 || c.Tolerance.DefaultValue() != 0.05 || c.IgnoreFields[0] != "updated_at" ||
			c.ArrayKeys["$.items"] != "id" || c.StrictArrays == nil || *c.StrictArrays {
			t.Errorf("comparison = %+v", c)
		}
	})

	t.Run("example spec by default", func(t *testing.T) {
		if code := e.run("plugin", "create", "demo"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		got, err := plugin.NewStore(e.dir).Get("demo")
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec != spec.ExampleSource || got.Mode != "mock" {
			t.Errorf("got %+v", got)
		}
		for _, want := range []string{"created plugin demo", "mode:   mock", "(mockloop:example, ", filepath.Join(e.dir, "demo.yaml")} {
			if !strings.Contains(e.out.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, e.out)
			}
		}
	})
	t.Run("proxy with secret", func(t *testing.T) {
		code := e.run("plugin", "create", "live", "--spec", specPath, "--mode", "proxy", "--target", "https://api.example.com",
			"--auth-type", "bearer_token", "--credential", "token=s3cr3t-value", "--timeout", "45s", "--retry-count", "2")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		if strings.Contains(e.out.String()+e.errOut.String(), "s3cr3t-value") {
			t.Errorf("secret printed:\n%s%s", e.out, e.errOut)
		}
		if !strings.Contains(e.out.String(), "token=***") || !strings.Contains(e.out.String(), "Tiny Pets (") || !strings.Contains(e.out.String(), "3 operations") {
			t.Errorf("summary:\n%s", e.out)
		}
		data, err := os.ReadFile(filepath.Join(e.dir, "live.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "token: s3cr3t-value") {
			t.Errorf("file lacks the secret:\n%s", data)
		}
		p, _ := plugin.Parse(data, "live.yaml")
		if p.Timeout.Duration != 45*time.Second || p.RetryCount != 2 || p.Spec != specPath {
			t.Errorf("got %+v", p)
		}
	})
	t.Run("json output", func(t *testing.T) {
		if code := e.run("plugin", "create", "j", "--spec", specPath, "-o", "json", "--ignore-field", "id", "--tolerance", "0.25"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		var res struct {
			Plugin     plugin.Plugin `json:"plugin"`
			File       string        `json:"file"`
			Operations int           `json:"operations"`
		}
		if err := json.Unmarshal(e.out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, e.out)
		}
		if res.Plugin.Name != "j" || res.Operations != 3 || res.Plugin.Comparison.Tolerance.DefaultValue() != 0.25 || res.Plugin.Comparison.IgnoreFields[0] != "id" {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("operations saved", func(t *testing.T) {
		if code := e.run("plugin", "create", "ops", "--spec", specPath, "--operations", "GET /pets*", "--operations", "POST /pets"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("ops")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Operations, []string{"GET /pets*", "POST /pets"}) {
			t.Errorf("operations = %q", p.Operations)
		}
		if !strings.Contains(e.out.String(), "operations: GET /pets*, POST /pets (3 of 3)") {
			t.Errorf("summary:\n%s", e.out)
		}
	})
	t.Run("relative spec stored absolute", func(t *testing.T) {
		wd, _ := os.Getwd()
		t.Cleanup(func() { os.Chdir(wd) })
		if err := os.Chdir(filepath.Dir(specPath)); err != nil {
			t.Fatal(err)
		}
		if code := e.run("plugin", "create", "rel", "--spec", "pets.yaml"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("rel")
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(p.Spec) || filepath.Base(p.Spec) != "pets.yaml" {
			t.Errorf("spec = %q", p.Spec)
		}
	})
	t.Run("exists", func(t *testing.T) {
		if code := e.run("plugin", "create", "demo", "--spec", specPath); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(e.errOut.String(), `plugin "demo" already exists in `) || !strings.Contains(e.errOut.String(), "--force") {
			t.Errorf("stderr: %s", e.errOut)
		}
		if code := e.run("plugin", "create", "demo", "--spec", specPath, "--force"); code != 0 {
			t.Fatalf("--force: exit %d: %s", code, e.errOut)
		}
		p, _ := plugin.NewStore(e.dir).Get("demo")
		if p.Spec != specPath {
			t.Errorf("not replaced: %+v", p)
		}
	})
	usage := []struct {
		name string
		argv []string
		want string
	}{
		{"proxy needs target", []string{"x", "--mode", "proxy"}, "--target is required in proxy mode"},
		{"bad mode", []string{"x", "--mode", "live"}, `--mode: invalid mode "live"`},
		{"bad target", []string{"x", "--mode", "hybrid", "--target", "localhost:8080"}, "target_url"},
		{"credential without type", []string{"x", "--credential", "token=abc"}, "need --auth-type"},
		{"bad credential", []string{"x", "--auth-type", "bearer_token", "--credential", "hunter2"}, "invalid --credential #1: want key=value"},
		{"wrong credential key", []string{"x", "--auth-type", "bearer_token", "--credential", "tok=hunter2"}, `credentials key "tok"`},
		{"bad rule", []string{"x", "--rule", "pattern=/a"}, `invalid --rule "pattern=/a": mode is required`},
		{"bad timeout", []string{"x", "--timeout", "soon"}, `--timeout: invalid duration "soon"`},
		{"stdin spec", []string{"x", "--spec", "-"}, "cannot read its spec from stdin"},
		{"missing spec", []string{"x", "--spec", "nope.yaml"}, `nope.yaml`},
		{"missing from-file", []string{"x", "--from-file", "nope.yaml"}, "--from-file"},
		{"bad operations", []string{"x", "--spec", specPath, "--operations", "GET pets"}, `operations "GET pets": want "METHOD /path"`},
		{"operations matching nothing", []string{"x", "--spec", specPath, "--operations", "tag:none"}, "--operations: no operation of"},
		{"condition with = for ==", []string{"x", "--spec", specPath, "--mode", "hybrid", "--target", "https://api.example.com",
			"--rule", "pattern=/pets,mode=mock", "--rule", "pattern=/pets,mode=mock,condition=request.method = 'POST'"},
			`invalid plugin "x": route_rules[1]: condition "request.method = 'POST'": line 1, column 16: unexpected token Operator("=")`},
		{"condition with python", []string{"x", "--spec", specPath, "--rule", "pattern=/**,mode=mock,condition=__import__('os').system('id')"},
			`route_rules[0]: condition "__import__('os').system('id')": line 1, column 1: unknown name __import__`},
		{"oauth2 with no way to a token", []string{"x", "--spec", specPath, "--mode", "proxy", "--target", "https://api.example.com",
			"--auth-type", "oauth2", "--credential", "client_id=i", "--credential", "client_secret=hunter2"},
			"auth: oauth2 cannot obtain an access token: no token URL"},
		{"percent out of range", []string{"x", "--spec", specPath, "--rule", "pattern=/**,mode=mock,percent=150"}, "route_rules[0]: percent 150"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			code := e.run(append([]string{"plugin", "create"}, tt.argv...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, e.errOut)
			}
			msg := e.errOut.String()
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", msg, tt.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("secret in error: %s", msg)
			}
			if _, err := os.Stat(filepath.Join(e.dir, "x.yaml")); !errors.Is(err, os.ErrNotExist) {
				t.Error("plugin file written")
			}
		})
	}
}

func TestParseRuleSplit(t *testing.T) {
	r, err := parseRule("pattern=/**,mode=proxy,percent=12.5,key=X-User-Id")
	if err != nil || r.Percent == nil || *r.Percent != 12.5 || r.Key != "X-User-Id" || r.Weight != nil {
		t.Errorf("%+v %v", r, err)
	}
	r, err = parseRule("pattern=/**,mode=proxy,weight=30")
	if err != nil || r.Weight == nil || *r.Weight != 30 {
		t.Errorf("%+v %v", r, err)
	}
}

// TestPluginCreateOAuth2Notes: the guide's OAuth2 form is written, with a warning when no token
// URL exists, and without one when the spec's security scheme has it.
func TestPluginCreateOAuth2Notes(t *testing.T) {
	dir := t.TempDir()
	plain := writePluginFixture(t, dir, "plain.yaml", pluginTestSpec)
	withScheme := writePluginFixture(t, dir, "oauth.yaml", `openapi: 3.0.3
info: {title: OAuth, version: "1"}
paths:
  /users/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://auth.example.com/authorize
          tokenUrl: https://auth.example.com/token
          scopes: {}
`)
	guide := []string{"--mode", "proxy", "--target", "https://api.example.com", "--auth-type", "oauth2",
		"--credential", "access_token=your-access-token", "--credential", "refresh_token=your-refresh-token",
		"--credential", "client_id=your-client-id", "--credential", "client_secret=your-client-secret"}
	for _, tt := range []struct {
		name, spec string
		warn       bool
	}{{"no token URL anywhere", plain, true}, {"token URL from the spec", withScheme, false}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newPluginTestEnv(t)
			if code := e.run(append([]string{"plugin", "create", "g", "--spec", tt.spec}, guide...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, e.errOut)
			}
			warned := strings.Contains(e.errOut.String(), "warning: auth: the oauth2 access token cannot be refreshed: no token URL")
			if warned != tt.warn {
				t.Errorf("warning %v, want %v: %s", warned, tt.warn, e.errOut)
			}
			if strings.Contains(e.out.String()+e.errOut.String(), "your-client-secret") {
				t.Error("secret printed")
			}
		})
	}
}

func TestPluginCreateFromFile(t *testing.T) {
	e := newPluginTestEnv(t)
	dir := t.TempDir()
	writePluginFixture(t, dir, "pets.yaml", pluginTestSpec)
	from := writePluginFixture(t, dir, "plugin.yaml", `name: fromfile
spec: pets.yaml
mode: hybrid
target_url: https://api.example.com
auth:
  auth_type: api_key
  name: X-Key
  credentials:
    api_key: ${PETS_KEY}
route_rules:
  - pattern: /pets/**
    mode: proxy
    priority: 5
comparison:
  tolerance: {default: 0.1, "$.price": 0}
timeout: 10s
`)
	t.Run("as written", func(t *testing.T) {
		if code := e.run("plugin", "create", "--from-file", from); code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("fromfile")
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec != filepath.Join(dir, "pets.yaml") || p.Auth.Credentials["api_key"] != "${PETS_KEY}" ||
			p.Auth.Location != "header" || len(p.RouteRules) != 1 || p.Comparison.Tolerance.Paths["$.price"] != 0 || p.Timeout.Duration != 10*time.Second {
			t.Errorf("got %+v", p)
		}
	})
	t.Run("flags and name override", func(t *testing.T) {
		code := e.run("plugin", "create", "other", "--from-file", from, "--mode", "mock", "--timeout", "3s", "--tolerance", "0.5",
			"--rule", "pattern=/x,mode=mock")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e.errOut)
		}
		p, err := plugin.NewStore(e.dir).Get("other")
		if err != nil {
			t.Fatal(err)
		}
		if p.Mode != "mock" || p.Timeout.Duration != 3*time.Second || p.Comparison.Tolerance.DefaultValue() != 0.5 ||
			p.Comparison.Tolerance.Paths["$.price"] != 0 || p.RouteRules[0].Pattern != "/x" || p.TargetURL != "https://api.example.com" {
			t.Errorf("got %+v", p)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		bad := writePluginFixture(t, dir, "bad.yaml", "name: bad\nspec: pets.yaml\nmode: mock\ntarget: https://x\n")
		if code := e.run("plugin", "create", "--from-file", bad); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(e.errOut.String(), `line 4: unknown key "target"`) || !strings.Contains(e.errOut.String(), "bad.yaml") {
			t.Errorf("stderr %s", e.errOut)
		}
	})
}

func TestPluginCreateWarnings(t *testing.T) {
	e := newPluginTestEnv(t)
	opts := &pluginCreateOptions{IO: e.f.IOStreams, Load: e.f.LoadOptions(), Store: plugin.NewStore(e.dir), Name: "w", Output: "text", Set: map[string]bool{}}
	specPath := writePluginFixture(t, t.TempDir(), "w.yaml", `openapi: 3.0.3
info: {title: W, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: integer}
              example: "not a number"
`)
	opts.Spec = specPath
	if err := runPluginCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(context.Background(), specPath, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Warnings) > 0 && !strings.Contains(e.errOut.String(), "warning: ") {
		t.Errorf("warnings not printed: %q", e.errOut)
	}
	if strings.Contains(e.out.String(), "warning") {
		t.Errorf("warnings on stdout: %q", e.out)
	}
}
