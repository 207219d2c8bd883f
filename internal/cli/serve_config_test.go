package cli

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/proxy"
	"github.com/mockloop/mockloop/internal/spec"
)

func TestServeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *serveOptions)
		wantErr string
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *serveOptions) {
			if o.Addr != defaultAddr || o.LogFormat != "text" || o.MaxBody != proxy.DefaultMaxBodyBytes || o.ShutdownTimeout != 10*time.Second {
				t.Errorf("defaults = %+v", o)
			}
			if o.set("addr") || o.set("mode") {
				t.Error("no flag was given, but set says so")
			}
		}},
		{name: "everything", args: []string{"shop", "--spec", "s.yaml", "--mode", "hybrid", "--target", "http://x", "--addr", ":0",
			"--no-validate-requests", "--no-security", "--cors", "--admin-token", "t", "--log-format", "json", "--quiet",
			"--no-mode-override", "--validate-responses", "--max-body", "5", "--verbose", "--shutdown-timeout", "3s"},
			check: func(t *testing.T, o *serveOptions) {
				want := serveOptions{Plugin: "shop", Spec: "s.yaml", Mode: "hybrid", Target: "http://x", Addr: ":0",
					NoValidateRequests: true, NoSecurity: true, CORS: true, AdminToken: "t", LogFormat: "json", Quiet: true,
					NoModeOverride: true, ValidateResponses: true, MaxBody: 5, Verbose: true, ShutdownTimeout: 3 * time.Second}
				got := *o
				got.set = nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("options\n got %+v\nwant %+v", got, want)
				}
				if !o.set("mode") || !o.set("addr") || o.set("") {
					t.Error("set does not report the flags given")
				}
			}},
		{name: "two plugins", args: []string{"a", "b"}, wantErr: "accepts at most 1 arg"},
		{name: "negative body limit", args: []string{"--max-body", "-1"}, wantErr: "--max-body must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }}
			var got *serveOptions
			cmd := newServeCmd(f, func(o *serveOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
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

func TestResolveServe(t *testing.T) {
	shop := &plugin.Plugin{
		Name: "shop", Spec: "shop.yaml", Mode: "hybrid", TargetURL: "https://plugin.test/v1", Fallback: "mock",
		Auth: &plugin.Auth{AuthType: "api_key", Location: "header", Name: "X-Key", Credentials: map[string]string{"api_key": "${KEY}"}},
	}
	tests := []struct {
		name    string
		flags   map[string]string // flags given on the command line (name -> value)
		env     map[string]string
		plugin  *plugin.Plugin
		want    serveSettings
		wantErr string
	}{
		{name: "defaults", want: serveSettings{Spec: spec.ExampleSource, Mode: proxy.ModeMock, Addr: defaultAddr, LogFormat: proxy.LogText}},
		{name: "plugin", plugin: shop, want: serveSettings{Spec: "shop.yaml", Mode: proxy.ModeHybrid, Target: "https://plugin.test/v1",
			Addr: defaultAddr, LogFormat: proxy.LogText, Fallback: true, Auth: shop.Auth}},
		{name: "environment beats plugin", plugin: shop,
			env: map[string]string{"PROXY_MODE": "proxy", "API_BASE_URL": "http://env.test", "MOCKLOOP_SPEC": "env.yaml",
				"MOCKLOOP_ADDR": ":0", "MOCKLOOP_ADMIN_TOKEN": "tok", "MOCKLOOP_LOG_FORMAT": "json", "MOCKLOOP_CORS": "true"},
			want: serveSettings{Spec: "env.yaml", Mode: proxy.ModeProxy, Target: "http://env.test", Addr: ":0", AdminToken: "tok",
				LogFormat: proxy.LogJSON, CORS: true, Fallback: true, Auth: shop.Auth}},
		{name: "MOCKLOOP_* beats the guide's names", env: map[string]string{"PROXY_MODE": "proxy", "MOCKLOOP_MODE": "mock", "API_BASE_URL": "http://a.test", "MOCKLOOP_TARGET": "http://b.test"},
			want: serveSettings{Spec: spec.ExampleSource, Mode: proxy.ModeMock, Target: "http://b.test", Addr: defaultAddr, LogFormat: proxy.LogText}},
		{name: "flags beat environment", plugin: shop,
			flags: map[string]string{"mode": "mock", "target": "http://flag.test", "spec": "flag.yaml", "addr": "127.0.0.1:9", "cors": "false"},
			env:   map[string]string{"MOCKLOOP_MODE": "proxy", "MOCKLOOP_TARGET": "http://env.test", "MOCKLOOP_CORS": "true"},
			want: serveSettings{Spec: "flag.yaml", Mode: proxy.ModeMock, Target: "http://flag.test", Addr: "127.0.0.1:9",
				LogFormat: proxy.LogText, Fallback: true, Auth: shop.Auth}},
		{name: "AUTH_TYPE replaces the plugin's type", plugin: shop, env: map[string]string{"AUTH_TYPE": "bearer_token"},
			want: serveSettings{Spec: "shop.yaml", Mode: proxy.ModeHybrid, Target: "https://plugin.test/v1", Addr: defaultAddr, LogFormat: proxy.LogText, Fallback: true,
				Auth: &plugin.Auth{AuthType: "bearer_token", Location: "header", Name: "X-Key", Credentials: map[string]string{"api_key": "${KEY}"}}}},
		{name: "AUTH_TYPE without plugin auth reads conventional variables", env: map[string]string{"AUTH_TYPE": "bearer_token"},
			want: serveSettings{Spec: spec.ExampleSource, Mode: proxy.ModeMock, Addr: defaultAddr, LogFormat: proxy.LogText,
				Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${API_TOKEN}"}}}},
		{name: "AUTH_TYPE none", plugin: shop, env: map[string]string{"AUTH_TYPE": "none"},
			want: serveSettings{Spec: "shop.yaml", Mode: proxy.ModeHybrid, Target: "https://plugin.test/v1", Addr: defaultAddr, LogFormat: proxy.LogText, Fallback: true}},
		{name: "proxy needs a target", flags: map[string]string{"mode": "proxy"}, wantErr: "mode proxy needs a target URL"},
		{name: "bad mode from env names the variable", env: map[string]string{"PROXY_MODE": "live"}, wantErr: `PROXY_MODE: invalid mode "live"`},
		{name: "bad target", flags: map[string]string{"target": "ftp://x"}, wantErr: `--target: target "ftp://x" is not an absolute http(s) URL`},
		{name: "relative target", env: map[string]string{"API_BASE_URL": "/v1"}, wantErr: `API_BASE_URL: target "/v1" is not`},
		{name: "target secrets not echoed", flags: map[string]string{"target": "mailto://u:pw@x?api_key=s3cret"}, wantErr: `"mailto://u:***@x?api_key=***"`},
		{name: "bad log format", env: map[string]string{"MOCKLOOP_LOG_FORMAT": "xml"}, wantErr: `MOCKLOOP_LOG_FORMAT: invalid log format "xml"`},
		{name: "bad cors", env: map[string]string{"MOCKLOOP_CORS": "sometimes"}, wantErr: `MOCKLOOP_CORS: want true or false`},
		{name: "unknown AUTH_TYPE", env: map[string]string{"AUTH_TYPE": "magic"}, wantErr: "AUTH_TYPE=magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &serveOptions{Addr: defaultAddr, LogFormat: "text"}
			for k, v := range tt.flags {
				switch k {
				case "mode":
					opts.Mode = v
				case "target":
					opts.Target = v
				case "spec":
					opts.Spec = v
				case "addr":
					opts.Addr = v
				case "cors":
					opts.CORS = v == "true"
				}
			}
			set := func(flag string) bool { _, ok := tt.flags[flag]; return ok }
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := resolveServe(opts, set, tt.plugin, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw@") {
					t.Errorf("error leaks a secret: %v", err)
				}
				if exitCode(err) != ExitTrouble {
					t.Errorf("exit code %d, want 2", exitCode(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settings\n got %+v (auth %+v)\nwant %+v (auth %+v)", got, got.Auth, tt.want, tt.want.Auth)
			}
		})
	}
	t.Run("the plugin is not modified", func(t *testing.T) {
		lookup := func(k string) (string, bool) { return "bearer_token", k == "AUTH_TYPE" }
		if _, err := resolveServe(&serveOptions{}, func(string) bool { return false }, shop, lookup); err != nil {
			t.Fatal(err)
		}
		if shop.Auth.AuthType != "api_key" {
			t.Errorf("plugin auth type changed to %s", shop.Auth.AuthType)
		}
	})
}

func TestForwardConfig(t *testing.T) {
	p := &plugin.Plugin{
		Name: "shop", Timeout: plugin.Duration{Duration: 5 * time.Second}, RetryCount: 2,
		Endpoints: []plugin.Endpoint{
			{Path: "/pets/{id}", Method: "GET", ProxyURL: "http://other.test", Timeout: plugin.Duration{Duration: time.Second}, RetryCount: 4},
			{Path: "/slow"},
		},
		RouteRules: []plugin.RouteRule{
			{Pattern: "/pets/**", Method: "POST", Condition: "request.method == 'POST'", Mode: "mock", Priority: 5, Fallback: "mock"},
			{Pattern: "/health", Mode: "proxy"},
		},
	}
	set := serveSettings{Target: "http://live.test/v1", Auth: &plugin.Auth{AuthType: "custom",
		Credentials: map[string]string{"header.X-Sig": "v1 ${SIG}", "query.sig": "${SIG}"}}}
	got := forwardConfig(p, set, nil)
	want := proxy.ForwardConfig{
		Target:     "http://live.test/v1",
		Auth:       &proxy.AuthConfig{Type: "custom", Credentials: map[string]string{"header.X-Sig": "v1 ${SIG}", "query.sig": "${SIG}"}},
		Timeout:    5 * time.Second,
		RetryCount: 2,
		Endpoints: []proxy.EndpointConfig{
			{Path: "/pets/{id}", Method: "GET", ProxyURL: "http://other.test", Timeout: time.Second, RetryCount: 4},
			{Path: "/slow"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forwardConfig\n got %+v\nwant %+v", got, want)
	}
	if got := forwardConfig(nil, serveSettings{Target: "http://x"}, nil); got.Target != "http://x" || got.Auth != nil || got.Endpoints != nil {
		t.Errorf("without a plugin: %+v", got)
	}

	rules := routeRules(p.RouteRules)
	wantRules := []proxy.Rule{
		{Pattern: "/pets/**", Method: "POST", Condition: "request.method == 'POST'", Mode: proxy.ModeMock, Priority: 5, Fallback: true},
		{Pattern: "/health", Mode: proxy.ModeProxy},
	}
	if !reflect.DeepEqual(rules, wantRules) {
		t.Errorf("routeRules\n got %+v\nwant %+v", rules, wantRules)
	}
	if _, err := proxy.CompileRules(rules, proxy.ModeProxy, false); err != nil {
		t.Errorf("converted rules do not compile: %v", err)
	}
}

func TestRedactNames(t *testing.T) {
	tests := []struct {
		name           string
		auth           *plugin.Auth
		headers, query []string
	}{
		{name: "none"},
		{name: "api key header", auth: &plugin.Auth{AuthType: "api_key", Name: "X-Key"}, headers: []string{"X-Key"}},
		{name: "api key query", auth: &plugin.Auth{AuthType: "api_key", Location: "query", Name: "k"}, query: []string{"k"}},
		{name: "custom", auth: &plugin.Auth{AuthType: "custom", Credentials: map[string]string{"header.X-Sig": "a", "query.s": "b"}},
			headers: []string{"X-Sig"}, query: []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, q := redactNames(tt.auth)
			slices.Sort(h)
			slices.Sort(q)
			if !slices.Equal(h, tt.headers) || !slices.Equal(q, tt.query) {
				t.Errorf("redactNames = %v %v, want %v %v", h, q, tt.headers, tt.query)
			}
		})
	}
}
