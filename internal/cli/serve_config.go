package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/proxy"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/spec"
)

// serveEnv lists the environment variables serve reads, in the order they are tried for each
// setting (MOCKLOOP_* first, then the original guide's names).
var serveEnv = struct {
	Plugin, Spec, Mode, Target, Addr, AdminToken, LogFormat, CORS, AuthType []string
}{
	Plugin:     []string{"MOCKLOOP_PLUGIN"},
	Spec:       []string{"MOCKLOOP_SPEC"},
	Mode:       []string{"MOCKLOOP_MODE", "PROXY_MODE"},
	Target:     []string{"MOCKLOOP_TARGET", "API_BASE_URL"},
	Addr:       []string{"MOCKLOOP_ADDR"},
	AdminToken: []string{"MOCKLOOP_ADMIN_TOKEN"},
	LogFormat:  []string{"MOCKLOOP_LOG_FORMAT"},
	CORS:       []string{"MOCKLOOP_CORS"},
	AuthType:   []string{"MOCKLOOP_AUTH_TYPE", "AUTH_TYPE"},
}

// serveSettings is one serve run's configuration after precedence:
// flags > environment > plugin file > defaults.
type serveSettings struct {
	Spec       string
	Mode       proxy.Mode
	Target     string
	Addr       string
	AdminToken string
	LogFormat  proxy.LogFormat
	CORS       bool
	// Auth is the plugin's auth with AUTH_TYPE applied; nil when none.
	Auth *plugin.Auth
	// Fallback is the plugin's fallback: answer from the mock when the live call fails.
	Fallback bool
}

// defaultAddr is where serve listens unless told otherwise: loopback only.
const defaultAddr = "127.0.0.1:8000"

// authEnvCredentials are the credentials an AUTH_TYPE set in the environment uses when the plugin
// configures none: references to conventional variables, resolved when a request is forwarded.
var authEnvCredentials = map[string]map[string]string{
	proxy.AuthAPIKey:      {"api_key": "${API_KEY}"},
	proxy.AuthBearerToken: {"token": "${API_TOKEN}"},
	proxy.AuthBasic:       {"username": "${API_USERNAME}", "password": "${API_PASSWORD}"},
	proxy.AuthOAuth2: {"access_token": "${OAUTH2_ACCESS_TOKEN}", "client_id": "${OAUTH2_CLIENT_ID}",
		"client_secret": "${OAUTH2_CLIENT_SECRET}", "token_url": "${OAUTH2_TOKEN_URL}"},
}

// resolveServe applies the precedence rules. set reports whether a flag was given on the command
// line; p is the plugin (nil when none); lookup reads the environment.
func resolveServe(opts *serveOptions, set func(flag string) bool, p *plugin.Plugin, lookup func(string) (string, bool)) (serveSettings, error) {
	if p == nil {
		p = &plugin.Plugin{}
	}
	pick := func(flag, flagValue string, env []string, pluginValue, def string) (string, string) {
		if set(flag) {
			return flagValue, "--" + flag
		}
		for _, name := range env {
			if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v), name
			}
		}
		if pluginValue != "" {
			return pluginValue, "plugin " + p.Name
		}
		return def, ""
	}
	var s serveSettings
	s.Spec, _ = pick("spec", opts.Spec, serveEnv.Spec, p.Spec, spec.ExampleSource)

	mode, from := pick("mode", opts.Mode, serveEnv.Mode, p.Mode, string(proxy.ModeMock))
	m, err := proxy.ParseMode(mode)
	if err != nil {
		return s, usageErrorf("%s: %v", orDefault(from, "mode"), err)
	}
	s.Mode = m

	target, from := pick("target", opts.Target, serveEnv.Target, p.TargetURL, "")
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, usageErrorf("%s: target %q is not an absolute http(s) URL", from, redact.URL(target))
		}
	}
	s.Target = target
	if s.Mode != proxy.ModeMock && s.Target == "" {
		return s, usageErrorf("mode %s needs a target URL (--target, MOCKLOOP_TARGET or API_BASE_URL, or the plugin's target_url)", s.Mode)
	}

	s.Addr, _ = pick("addr", opts.Addr, serveEnv.Addr, "", defaultAddr)
	s.AdminToken, _ = pick("admin-token", opts.AdminToken, serveEnv.AdminToken, "", "")

	format, from := pick("log-format", opts.LogFormat, serveEnv.LogFormat, "", string(proxy.LogText))
	if format != string(proxy.LogText) && format != string(proxy.LogJSON) {
		return s, usageErrorf("%s: invalid log format %q (want text or json)", orDefault(from, "log format"), format)
	}
	s.LogFormat = proxy.LogFormat(format)

	cors, from := pick("cors", strconv.FormatBool(opts.CORS), serveEnv.CORS, "", "false")
	if s.CORS, err = strconv.ParseBool(cors); err != nil {
		return s, usageErrorf("%s: want true or false, got %q", from, cors)
	}

	s.Fallback = p.Fallback == "mock"
	if p.Auth != nil {
		a := *p.Auth
		s.Auth = &a
	}
	if authType, from := pick("", "", serveEnv.AuthType, "", ""); from != "" {
		switch {
		case authType == "none":
			s.Auth = nil
		case s.Auth != nil:
			s.Auth.AuthType = authType
		case authEnvCredentials[authType] != nil:
			s.Auth = &plugin.Auth{AuthType: authType, Credentials: authEnvCredentials[authType]}
		default:
			return s, usageErrorf("%s=%s: the plugin has no auth to take credentials from (api_key, bearer_token, basic_auth and oauth2 read API_KEY, API_TOKEN, API_USERNAME/API_PASSWORD, OAUTH2_*)", from, authType)
		}
	}
	return s, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// authConfig converts a plugin's auth into the proxy's.
func authConfig(a *plugin.Auth) *proxy.AuthConfig {
	if a == nil {
		return nil
	}
	creds := make(map[string]string, len(a.Credentials))
	for k, v := range a.Credentials {
		creds[k] = v
	}
	return &proxy.AuthConfig{Type: a.AuthType, Location: a.Location, Name: a.Name, Credentials: creds}
}

// routeRules converts a plugin's route rules into the proxy's.
func routeRules(rules []plugin.RouteRule) []proxy.Rule {
	out := make([]proxy.Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, proxy.Rule{
			Pattern:   r.Pattern,
			Method:    r.Method,
			Condition: r.Condition,
			Mode:      proxy.Mode(r.Mode),
			Priority:  r.Priority,
			Fallback:  r.Fallback == "mock",
		})
	}
	return out
}

// redactNames returns the header and query names the request log must hide for this auth, on top
// of the ones it always hides.
func redactNames(a *plugin.Auth) (headers, query []string) {
	if a == nil {
		return nil, nil
	}
	if a.AuthType == proxy.AuthAPIKey && a.Name != "" {
		switch a.Location {
		case "query":
			query = append(query, a.Name)
		case "cookie":
		default:
			headers = append(headers, a.Name)
		}
	}
	for k := range a.Credentials {
		if name, ok := strings.CutPrefix(k, "header."); ok {
			headers = append(headers, name)
		}
		if name, ok := strings.CutPrefix(k, "query."); ok {
			query = append(query, name)
		}
	}
	return headers, query
}

// describeTarget is the target for the "listening on" line.
func describeTarget(s serveSettings) string {
	if s.Target == "" {
		return ""
	}
	return fmt.Sprintf(", target %s", redact.URL(s.Target))
}

// forwardConfig converts a plugin and the resolved settings into the forwarder's configuration.
func forwardConfig(p *plugin.Plugin, set serveSettings, lookup func(string) (string, bool)) proxy.ForwardConfig {
	cfg := proxy.ForwardConfig{Target: set.Target, Auth: authConfig(set.Auth), LookupEnv: lookup}
	if p == nil {
		return cfg
	}
	cfg.Timeout = p.Timeout.Duration
	cfg.RetryCount = p.RetryCount
	for _, e := range p.Endpoints {
		cfg.Endpoints = append(cfg.Endpoints, proxy.EndpointConfig{
			Path:       e.Path,
			Method:     e.Method,
			ProxyURL:   e.ProxyURL,
			Timeout:    e.Timeout.Duration,
			RetryCount: e.RetryCount,
		})
	}
	return cfg
}
