package stack

import (
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

func TestResolve(t *testing.T) {
	shop := &plugin.Plugin{
		Name: "shop", Spec: "shop.yaml", Mode: "hybrid", TargetURL: "https://plugin.test/v1", Fallback: "mock",
		Auth: &plugin.Auth{AuthType: "api_key", Location: "header", Name: "X-Key", Credentials: map[string]string{"api_key": "${KEY}"}},
	}
	tests := []struct {
		name    string
		flags   map[string]string // flags given on the command line (name -> value)
		env     map[string]string
		plugin  *plugin.Plugin
		want    Settings
		wantErr string
	}{
		{name: "defaults", want: Settings{Spec: spec.ExampleSource, Mode: plugin.ModeMock, Addr: DefaultAddr, LogFormat: server.LogText}},
		{name: "plugin", plugin: shop, want: Settings{Spec: "shop.yaml", Mode: plugin.ModeHybrid, Target: "https://plugin.test/v1",
			Addr: DefaultAddr, LogFormat: server.LogText, Fallback: true, Auth: shop.Auth}},
		{name: "environment beats plugin", plugin: shop,
			env: map[string]string{"PROXY_MODE": "proxy", "API_BASE_URL": "http://env.test", "MOCKLOOP_SPEC": "env.yaml",
				"MOCKLOOP_ADDR": ":0", "MOCKLOOP_ADMIN_TOKEN": "tok", "MOCKLOOP_LOG_FORMAT": "json", "MOCKLOOP_CORS": "true"},
			want: Settings{Spec: "env.yaml", Mode: plugin.ModeProxy, Target: "http://env.test", Addr: ":0", AdminToken: "tok",
				LogFormat: server.LogJSON, CORS: true, Fallback: true, Auth: shop.Auth}},
		{name: "MOCKLOOP_* beats the guide's names", env: map[string]string{"PROXY_MODE": "proxy", "MOCKLOOP_MODE": "mock", "API_BASE_URL": "http://a.test", "MOCKLOOP_TARGET": "http://b.test"},
			want: Settings{Spec: spec.ExampleSource, Mode: plugin.ModeMock, Target: "http://b.test", Addr: DefaultAddr, LogFormat: server.LogText}},
		{name: "flags beat environment", plugin: shop,
			flags: map[string]string{"mode": "mock", "target": "http://flag.test", "spec": "flag.yaml", "addr": "127.0.0.1:9", "cors": "false"},
			env:   map[string]string{"MOCKLOOP_MODE": "proxy", "MOCKLOOP_TARGET": "http://env.test", "MOCKLOOP_CORS": "true"},
			want: Settings{Spec: "flag.yaml", Mode: plugin.ModeMock, Target: "http://flag.test", Addr: "127.0.0.1:9",
				LogFormat: server.LogText, Fallback: true, Auth: shop.Auth}},
		{name: "AUTH_TYPE replaces the plugin's type", plugin: shop, env: map[string]string{"AUTH_TYPE": "bearer_token"},
			want: Settings{Spec: "shop.yaml", Mode: plugin.ModeHybrid, Target: "https://plugin.test/v1", Addr: DefaultAddr, LogFormat: server.LogText, Fallback: true,
				Auth: &plugin.Auth{AuthType: "bearer_token", Location: "header", Name: "X-Key", Credentials: map[string]string{"api_key": "${KEY}"}}}},
		{name: "AUTH_TYPE without plugin auth reads conventional variables", env: map[string]string{"AUTH_TYPE": "bearer_token"},
			want: Settings{Spec: spec.ExampleSource, Mode: plugin.ModeMock, Addr: DefaultAddr, LogFormat: server.LogText,
				Auth: &plugin.Auth{AuthType: "bearer_token", Credentials: map[string]string{"token": "${API_TOKEN}"}}}},
		{name: "AUTH_TYPE none", plugin: shop, env: map[string]string{"AUTH_TYPE": "none"},
			want: Settings{Spec: "shop.yaml", Mode: plugin.ModeHybrid, Target: "https://plugin.test/v1", Addr: DefaultAddr, LogFormat: server.LogText, Fallback: true}},
		{name: "bad mode from env names the variable", env: map[string]string{"PROXY_MODE": "live"}, wantErr: `PROXY_MODE: invalid mode "live"`},
		{name: "bad target", flags: map[string]string{"target": "ftp://x"}, wantErr: `--target: target "ftp://x" is not an absolute http(s) URL`},
		{name: "relative target", env: map[string]string{"API_BASE_URL": "/v1"}, wantErr: `API_BASE_URL: target "/v1" is not`},
		{name: "target secrets not echoed", flags: map[string]string{"target": "mailto://u:pw@x?api_key=s3cret"}, wantErr: `"mailto://u:***@x?api_key=***"`},
		{name: "bad log format", env: map[string]string{"MOCKLOOP_LOG_FORMAT": "xml"}, wantErr: `MOCKLOOP_LOG_FORMAT: invalid log format "xml"`},
		{name: "bad cors", env: map[string]string{"MOCKLOOP_CORS": "sometimes"}, wantErr: `MOCKLOOP_CORS: want true or false`},
		{name: "unknown AUTH_TYPE", env: map[string]string{"AUTH_TYPE": "magic"}, wantErr: "AUTH_TYPE=magic"},
		{name: "upstream proxy from the plugin", plugin: &plugin.Plugin{Name: "p", UpstreamProxy: "http://proxy.corp:3128"},
			want: Settings{Spec: spec.ExampleSource, Mode: plugin.ModeMock, Addr: DefaultAddr, LogFormat: server.LogText, UpstreamProxy: "http://proxy.corp:3128"}},
		{name: "upstream proxy: env beats plugin, flag beats env", plugin: &plugin.Plugin{Name: "p", UpstreamProxy: "http://proxy.corp:3128"},
			env: map[string]string{"MOCKLOOP_UPSTREAM_PROXY": "http://env-proxy:3128"}, flags: map[string]string{"upstream-proxy": "none"},
			want: Settings{Spec: spec.ExampleSource, Mode: plugin.ModeMock, Addr: DefaultAddr, LogFormat: server.LogText, UpstreamProxy: "none"}},
		{name: "bad upstream proxy names where", env: map[string]string{"MOCKLOOP_UPSTREAM_PROXY": "ftp://u:pw@proxy"},
			wantErr: `MOCKLOOP_UPSTREAM_PROXY: upstream proxy: "ftp://u:***@proxy": want none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Flags
			for k, v := range tt.flags {
				v := v
				switch k {
				case "mode":
					f.Mode = &v
				case "target":
					f.Target = &v
				case "spec":
					f.Spec = &v
				case "addr":
					f.Addr = &v
				case "upstream-proxy":
					f.UpstreamProxy = &v
				case "cors":
					b := v == "true"
					f.CORS = &b
				}
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := Resolve(tt.plugin, f, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw@") {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Plugin = tt.plugin
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settings\n got %+v (auth %+v)\nwant %+v (auth %+v)", got, got.Auth, tt.want, tt.want.Auth)
			}
		})
	}
	t.Run("the plugin is not modified", func(t *testing.T) {
		lookup := func(k string) (string, bool) { return "bearer_token", k == "AUTH_TYPE" }
		if _, err := Resolve(shop, Flags{}, lookup); err != nil {
			t.Fatal(err)
		}
		if shop.Auth.AuthType != "api_key" {
			t.Errorf("plugin auth type changed to %s", shop.Auth.AuthType)
		}
	})
}

func TestCheckNeedsTarget(t *testing.T) {
	if err := (Settings{Mode: plugin.ModeProxy}).Check(); err == nil || !strings.Contains(err.Error(), "mode proxy needs a target URL") {
		t.Errorf("Check = %v", err)
	}
	if err := (Settings{Mode: plugin.ModeMock}).Check(); err != nil {
		t.Errorf("mock needs no target: %v", err)
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

func TestLogLevel(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name    string
		flag    *string
		env     string
		want    slog.Level
		wantErr string
	}{
		{"default", nil, "", slog.LevelInfo, ""},
		{"environment", nil, "debug", slog.LevelDebug, ""},
		{"flag beats environment", str("error"), "debug", slog.LevelError, ""},
		{"any case", str("WARN"), "", slog.LevelWarn, ""},
		{"bad flag", str("loud"), "", 0, `--log-level: invalid log level "loud"`},
		{"bad environment", nil, "verbose", 0, `MOCKLOOP_LOG_LEVEL: invalid log level "verbose"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { return tt.env, k == "MOCKLOOP_LOG_LEVEL" && tt.env != "" }
			got, err := LogLevel(tt.flag, lookup, slog.LevelInfo)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestResolveReplayRedactAndOverlays(t *testing.T) {
	p := &plugin.Plugin{Name: "p", Spec: "s.yaml", Mode: plugin.ModeMock, Overlays: []string{"a.yaml"}, Replay: "rec", Redact: []string{"token"}}
	replay := "other"
	tests := []struct {
		name       string
		flags      Flags
		wantReplay string
	}{
		{"the plugin's", Flags{}, "rec"},
		{"--replay wins", Flags{Replay: &replay}, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Resolve(p, tt.flags, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Replay != tt.wantReplay || !slices.Equal(s.Redact, []string{"token"}) {
				t.Errorf("replay %q redact %v", s.Replay, s.Redact)
			}
		})
	}
	load, err := LoadOptions(spec.Options{Overlays: []string{"b.yaml"}}, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(load.Overlays, []string{"a.yaml", "b.yaml"}) || !slices.Equal(p.Overlays, []string{"a.yaml"}) {
		t.Errorf("overlays %v (the plugin's first, then the command line's; the plugin untouched: %v)", load.Overlays, p.Overlays)
	}
}

func TestResolveMockData(t *testing.T) {
	str := func(s string) *string { return &s }
	plain := &plugin.Plugin{Name: "p", MockData: plugin.MockDataPlain}
	tests := []struct {
		name    string
		p       *plugin.Plugin
		flag    *string
		env     string
		want    bool
		wantErr string
	}{
		{name: "default realistic", want: false},
		{name: "the plugin's", p: plain, want: true},
		{name: "the environment over the plugin", p: plain, env: "realistic", want: false},
		{name: "the flag over both", p: plain, env: "realistic", flag: str("PLAIN"), want: true},
		{name: "a bad flag", flag: str("fancy"), wantErr: `--mock-data: invalid mock data mode "fancy"`},
		{name: "a bad variable", env: "fancy", wantErr: `MOCKLOOP_MOCK_DATA: invalid mock data mode "fancy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { return tt.env, k == "MOCKLOOP_MOCK_DATA" && tt.env != "" }
			s, err := Resolve(tt.p, Flags{MockData: tt.flag}, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || s.PlainData != tt.want {
				t.Errorf("PlainData = %v, %v; want %v", s.PlainData, err, tt.want)
			}
		})
	}
}
