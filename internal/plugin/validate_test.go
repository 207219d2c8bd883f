package plugin

import (
	"errors"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"demo", true},
		{"Pet-Store_2", true},
		{"a", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"", false},
		{"../x", false},
		{"a/b", false},
		{"a.b", false},
		{".hidden", false},
		{"with space", false},
		{"naïve", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.name)
			if (err == nil) != tt.ok {
				t.Errorf("ValidName(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

func validPlugin() *Plugin {
	return &Plugin{Name: "p", Spec: "mockloop:example", Mode: ModeMock}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Plugin)
		want   string // "" = valid
	}{
		{"minimal mock", func(p *Plugin) {}, ""},
		{"proxy with target", func(p *Plugin) { p.Mode, p.TargetURL = ModeProxy, "https://api.example.com" }, ""},
		{"bad name", func(p *Plugin) { p.Name = "a/b" }, "invalid plugin name"},
		{"no spec", func(p *Plugin) { p.Spec = "" }, "spec is required"},
		{"no mode", func(p *Plugin) { p.Mode = "" }, "mode is required"},
		{"bad mode", func(p *Plugin) { p.Mode = "live" }, `mode "live": want mock, proxy or hybrid`},
		{"proxy without target", func(p *Plugin) { p.Mode = ModeProxy }, "target_url is required in proxy mode"},
		{"hybrid without target", func(p *Plugin) { p.Mode = ModeHybrid }, "target_url is required in hybrid mode"},
		{"target not http", func(p *Plugin) { p.TargetURL = "ftp://x" }, "want an http:// or https:// URL"},
		{"target relative", func(p *Plugin) { p.TargetURL = "api.example.com" }, "want an http:// or https:// URL"},
		{"bad fallback", func(p *Plugin) { p.Fallback = "proxy" }, `fallback "proxy"`},
		{"plain mock data", func(p *Plugin) { p.MockData = MockDataPlain }, ""},
		{"realistic mock data", func(p *Plugin) { p.MockData = MockDataRealistic }, ""},
		{"bad mock data", func(p *Plugin) { p.MockData = "fake" }, `mock_data "fake": want realistic or plain`},
		{"mcp tools", func(p *Plugin) { p.MCPTools = MCPToolsDiscovery }, ""},
		{"bad mcp tools", func(p *Plugin) { p.MCPTools = "some" }, `mcp_tools "some": want auto, operations or discovery`},
		{"operations", func(p *Plugin) { p.Operations = []string{"tag:pets", "GET /pets/*"} }, ""},
		{"empty operation filter", func(p *Plugin) { p.Operations = []string{"listPets", " "} }, "operations[1]: empty filter"},
		{"retries", func(p *Plugin) { p.RetryCount = -1 }, "retry_count -1"},
		{"too many retries", func(p *Plugin) { p.RetryCount = 11 }, "retry_count 11"},
		{"overlays, replay and redact", func(p *Plugin) {
			p.Overlays, p.Replay, p.Redact = []string{"live.yaml"}, "recordings", []string{"token", "$.user.password"}
		}, ""},
		{"empty overlay", func(p *Plugin) { p.Overlays = []string{" "} }, "overlays[0]: must not be empty"},
		{"bad redact path", func(p *Plugin) { p.Redact = []string{"$.a["} }, `redact: bad path "$.a["`},
		{"api key ok", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthAPIKey, Location: "query", Name: "key", Credentials: map[string]string{"api_key": "${K}"}}
		}, ""},
		{"api key without a name goes in X-API-Key", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthAPIKey, Credentials: map[string]string{"api_key": "x"}}
		}, ""},
		{"api key bad location", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthAPIKey, Location: "body", Name: "k", Credentials: map[string]string{"api_key": "x"}}
		}, `location "body": want header, query or cookie`},
		{"api key missing credential", func(p *Plugin) { p.Auth = &Auth{AuthType: AuthAPIKey, Name: "k"} }, "credentials api_key is required"},
		{"unknown auth type", func(p *Plugin) { p.Auth = &Auth{AuthType: "kerberos"} }, `auth_type "kerberos"`},
		{"no auth type", func(p *Plugin) { p.Auth = &Auth{} }, "auth_type is required"},
		{"bearer typo key", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthBearerToken, Credentials: map[string]string{"tokn": "x"}}
		}, `credentials key "tokn" is not used by bearer_token`},
		{"bearer with location", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthBearerToken, Location: "query", Credentials: map[string]string{"token": "x"}}
		}, "location applies to api_key only"},
		{"basic without password (the key as user name)", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthBasic, Credentials: map[string]string{"username": "u"}}
		}, ""},
		{"basic missing username", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthBasic, Credentials: map[string]string{"password": "p"}}
		}, "credentials username is required"},
		{"oauth2 access token", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthOAuth2, Credentials: map[string]string{"access_token": "${AT}"}}
		}, ""},
		{"oauth2 client credentials", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthOAuth2, Credentials: map[string]string{"client_id": "i", "client_secret": "s", "token_url": "https://auth/x"}}
		}, ""},
		{"oauth2 nothing usable", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthOAuth2, Credentials: map[string]string{"client_id": "i"}}
		}, "oauth2 needs access_token"},
		{"oauth2 bad token url", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthOAuth2, Credentials: map[string]string{"refresh_token": "r", "token_url": "nope"}}
		}, "credentials token_url"},
		{"custom ok", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthCustom, Credentials: map[string]string{"header.X-Sig": "v1 ${SIG}", "query.k": "x"}}
		}, ""},
		{"custom bad key", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthCustom, Credentials: map[string]string{"cookie.a": "x"}}
		}, `credentials key "cookie.a": want header.<Name> or query.<name>`},
		{"custom empty header name", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthCustom, Credentials: map[string]string{"header.": "x"}}
		}, `credentials key "header."`},
		{"custom none", func(p *Plugin) { p.Auth = &Auth{AuthType: AuthCustom} }, "custom needs at least one"},
		{"bad reference", func(p *Plugin) {
			p.Auth = &Auth{AuthType: AuthBearerToken, Credentials: map[string]string{"token": "${TOKEN"}}
		}, `credentials "token": unterminated`},
		{"endpoint ok", func(p *Plugin) { p.Endpoints = []Endpoint{{Path: "/pets/{id}", Method: "get"}} }, ""},
		{"endpoint path", func(p *Plugin) { p.Endpoints = []Endpoint{{Path: "pets"}} }, `endpoints[0]: path "pets" must start with /`},
		{"endpoint method", func(p *Plugin) { p.Endpoints = []Endpoint{{Path: "/a", Method: "FETCH"}} }, `endpoints[0]: method "FETCH"`},
		{"endpoint proxy url", func(p *Plugin) { p.Endpoints = []Endpoint{{Path: "/a", ProxyURL: "x"}} }, "endpoints[0]: proxy_url"},
		{"endpoint retries", func(p *Plugin) { p.Endpoints = []Endpoint{{Path: "/a", RetryCount: 99}} }, "endpoints[0]: retry_count 99"},
		{"rule ok", func(p *Plugin) {
			p.Mode, p.TargetURL = ModeHybrid, "http://127.0.0.1:9"
			p.RouteRules = []RouteRule{{Pattern: "/api/**", Method: "POST", Mode: ModeProxy, Priority: 10}}
		}, ""},
		{"rule without pattern", func(p *Plugin) { p.RouteRules = []RouteRule{{Mode: ModeMock}} }, "route_rules[0]: pattern is required"},
		{"rule pattern relative", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "api", Mode: ModeMock}} }, `pattern "api" must start with /`},
		{"rule without mode", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a"}} }, "route_rules[0]: mode is required"},
		{"rule hybrid", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeHybrid}} }, `mode "hybrid": want mock or proxy`},
		{"rule negative priority", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Priority: -1}} }, "priority -1"},
		{"rule method", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Method: "X"}} }, `method "X"`},
		{"rule fallback", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Fallback: "x"}} }, `fallback "x"`},
		{"proxy rule without target", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeProxy}} }, "proxy rule needs target_url"},
		{"proxy_url template ok", func(p *Plugin) {
			p.Endpoints = []Endpoint{{Path: "/users/{id}", Method: "GET", ProxyURL: "https://api.example.com/users/{id}"}}
		}, ""},
		{"proxy_url template unknown name", func(p *Plugin) {
			p.Endpoints = []Endpoint{{Path: "/users/{id}", ProxyURL: "https://api.example.com/users/{userId}"}}
		}, `endpoints[0]: proxy_url: {userId} is not a parameter of the endpoint's path "/users/{id}"`},
		{"proxy_url template in the host", func(p *Plugin) {
			p.Endpoints = []Endpoint{{Path: "/t/{tenant}", ProxyURL: "https://{tenant}.example.com/x"}}
		}, "placeholders may appear in the URL's path only"},
		{"endpoint tls half a pair", func(p *Plugin) {
			p.Endpoints = []Endpoint{{Path: "/a", TLS: &TLS{ClientCert: "c.pem"}}}
		}, "endpoints[0]: tls: client_cert and client_key go together"},
		{"tls ok", func(p *Plugin) {
			p.TLS = &TLS{CAFile: "${CA_FILE}", ClientCert: "c.pem", ClientKey: "${KEY_PEM}", ServerName: "api.internal"}
		}, ""},
		{"tls bad reference", func(p *Plugin) { p.TLS = &TLS{CAFile: "${CA"} }, "tls: ca_file: unterminated"},
		{"upstream proxy ok", func(p *Plugin) { p.UpstreamProxy = "http://proxy-user:${PROXY_PASS}@proxy.corp:3128" }, ""},
		{"upstream proxy none", func(p *Plugin) { p.UpstreamProxy = "none" }, ""},
		{"upstream proxy socks", func(p *Plugin) { p.UpstreamProxy = "socks5://127.0.0.1:1080" }, ""},
		{"upstream proxy scheme", func(p *Plugin) { p.UpstreamProxy = "ftp://proxy:21" }, "upstream_proxy: \"ftp://proxy:21\": want none"},
		{"upstream proxy path", func(p *Plugin) { p.UpstreamProxy = "http://proxy:3128/x" }, "upstream_proxy: a proxy URL has no path"},
		{"rule percent ok", func(p *Plugin) {
			p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Percent: ptr(12.5), Key: "X-User-Id"}}
		}, ""},
		{"rule percent range", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Weight: ptr(0.0)}} }, "route_rules[0]: percent 0: want more than 0"},
		{"rule percent and weight", func(p *Plugin) {
			p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Percent: ptr(1.0), Weight: ptr(1.0)}}
		}, "percent and weight are the same setting"},
		{"rule key alone", func(p *Plugin) { p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Key: "X-User-Id"}} }, "key applies to a percent split"},
		{"rule key not a header", func(p *Plugin) {
			p.RouteRules = []RouteRule{{Pattern: "/a", Mode: ModeMock, Percent: ptr(5.0), Key: "X User"}}
		}, `key "X User" is not a header name`},
		{"negative tolerance", func(p *Plugin) { p.Comparison.Tolerance = compare.Tolerance{Paths: map[string]float64{"$.a": -1}} }, `tolerance "$.a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlugin()
			tt.change(p)
			err := p.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Errorf("not a ValidationError with problems: %#v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
			for _, w := range strings.Fields(tt.want)[:1] {
				if strings.Count(err.Error(), w+" "+w) > 0 {
					t.Errorf("%q said twice: %q", w, err)
				}
			}
		})
	}
}

func TestValidateNeverPrintsSecrets(t *testing.T) {
	p := validPlugin()
	p.Auth = &Auth{AuthType: AuthBasic, Credentials: map[string]string{"username": "admin", "password": "${hunter2 oops", "extra": "topsecret"}}
	p.TargetURL = "ftp://u:pw-secret@host"
	err := p.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"hunter2", "topsecret", "pw-secret"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error contains %q: %v", s, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestValidateUpstreamProxyHidesCredentials(t *testing.T) {
	p := validPlugin()
	p.UpstreamProxy = "ftp://user:pw-secret@proxy:21"
	err := p.Validate()
	if err == nil || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("err = %v", err)
	}
	if m := p.Masked(); strings.Contains(m.UpstreamProxy, "pw-secret") {
		t.Errorf("masked upstream_proxy %q", m.UpstreamProxy)
	}
}
