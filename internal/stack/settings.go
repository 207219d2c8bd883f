// Package stack assembles what a plugin runs, once, for every command that runs one (serve,
// test run, mcp): the settings from flags, the environment and the plugin file (in that order
// of precedence, then defaults) become a Stack: the spec, the mock engine, the live side with
// its credentials and route rules, and the handler `serve` listens with. Its functions return
// plain errors; the command maps them to exit codes.
package stack

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
)

// Env lists the environment variables read for each setting, in the order they are tried
// (MOCKLOOP_* first, then the names of the original MockLoop guide's container).
var Env = struct {
	Plugin, Spec, Mode, Target, Addr, AdminToken, LogFormat, LogLevel, CORS, AuthType, UpstreamProxy, MockData []string
}{
	Plugin:     []string{"MOCKLOOP_PLUGIN"},
	Spec:       []string{"MOCKLOOP_SPEC"},
	Mode:       []string{"MOCKLOOP_MODE", "PROXY_MODE"},
	Target:     []string{"MOCKLOOP_TARGET", "API_BASE_URL"},
	Addr:       []string{"MOCKLOOP_ADDR"},
	AdminToken: []string{"MOCKLOOP_ADMIN_TOKEN"},
	LogFormat:  []string{"MOCKLOOP_LOG_FORMAT"},
	LogLevel:   []string{"MOCKLOOP_LOG_LEVEL"},
	CORS:       []string{"MOCKLOOP_CORS"},
	AuthType:   []string{"MOCKLOOP_AUTH_TYPE", "AUTH_TYPE"},
	// UpstreamProxy overrides HTTPS_PROXY/HTTP_PROXY (which Go's transport reads itself).
	UpstreamProxy: []string{"MOCKLOOP_UPSTREAM_PROXY"},
	MockData:      []string{"MOCKLOOP_MOCK_DATA"},
}

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8000"

// Flags are the settings a command line gave; nil means the flag was not given (so the
// environment, the plugin or the default decides).
type Flags struct {
	Spec, Mode, Target, Addr, AdminToken, LogFormat, UpstreamProxy *string
	CORS                                                           *bool
	// Replay is --replay: a recordings directory (nil: the plugin's replay).
	Replay *string
	// MockData is --mock-data: realistic or plain generated data (nil: the plugin's).
	MockData *string
}

// Settings is one run's configuration after precedence: flags > environment > plugin file >
// defaults.
type Settings struct {
	// Plugin is the plugin the settings came from; nil when none.
	Plugin     *plugin.Plugin
	Spec       string
	Mode       plugin.Mode
	Target     string
	Addr       string
	AdminToken string
	LogFormat  server.LogFormat
	CORS       bool
	// Auth is the plugin's auth with AUTH_TYPE applied; nil when none.
	Auth *plugin.Auth
	// Fallback answers from the mock when the live call fails (the plugin's `fallback: mock`).
	Fallback bool
	// UpstreamProxy is the egress proxy for live requests: "" follows HTTPS_PROXY, HTTP_PROXY
	// and NO_PROXY; "none" connects directly; else the proxy's URL (${ENV} references kept).
	UpstreamProxy string
	// Replay is the recordings directory the mock side answers from first ("" for none).
	Replay string
	// Redact names the body fields recordings never store (the plugin's redact list).
	Redact []string
	// PlainData makes the mock's generated values follow the schema alone, not property names
	// (mock_data: plain; docs/mock-data.md).
	PlainData bool
}

// RedactPolicy is the redaction policy of the settings' credentials: the names every policy
// hides, plus the header or query parameter the auth puts its key in.
func (s Settings) RedactPolicy() *redact.Policy {
	return redact.NewPolicy(redactNames(s.Auth))
}

// PluginName is the plugin's name, "" when there is none.
func (s Settings) PluginName() string {
	if s.Plugin == nil {
		return ""
	}
	return s.Plugin.Name
}

// authEnvCredentials are the credentials an AUTH_TYPE set in the environment uses when the plugin
// configures none: references to conventional variables, resolved when a request is forwarded.
var authEnvCredentials = map[string]map[string]string{
	plugin.AuthAPIKey:      {"api_key": "${API_KEY}"},
	plugin.AuthBearerToken: {"token": "${API_TOKEN}"},
	plugin.AuthBasic:       {"username": "${API_USERNAME}", "password": "${API_PASSWORD}"},
	plugin.AuthOAuth2: {"access_token": "${OAUTH2_ACCESS_TOKEN}", "client_id": "${OAUTH2_CLIENT_ID}",
		"client_secret": "${OAUTH2_CLIENT_SECRET}", "token_url": "${OAUTH2_TOKEN_URL}"},
}

// Resolve applies the precedence rules to the flags, the environment (lookup; nil reads none)
// and the plugin p (nil when none). Errors name where the bad value came from (the flag, the
// variable or the plugin).
func Resolve(p *plugin.Plugin, f Flags, lookup func(string) (string, bool)) (Settings, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	s := Settings{Plugin: p}
	if p == nil {
		p = &plugin.Plugin{}
	}
	pick := func(flagName string, flag *string, env []string, pluginValue, def string) (value, from string) {
		if flag != nil {
			return *flag, "--" + flagName
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
	s.Spec, _ = pick("spec", f.Spec, Env.Spec, p.Spec, spec.ExampleSource)

	mode, from := pick("mode", f.Mode, Env.Mode, string(p.Mode), string(plugin.ModeMock))
	m, err := plugin.ParseMode(mode)
	if err != nil {
		return s, fmt.Errorf("%s: %v", orDefault(from, "mode"), err)
	}
	s.Mode = m

	target, from := pick("target", f.Target, Env.Target, p.TargetURL, "")
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("%s: target %q is not an absolute http(s) URL", from, redact.URL(target))
		}
	}
	s.Target = target

	data, from := pick("mock-data", f.MockData, Env.MockData, string(p.MockData), string(plugin.MockDataRealistic))
	md, err := plugin.ParseMockData(data)
	if err != nil {
		return s, fmt.Errorf("%s: %v", orDefault(from, "mock data"), err)
	}
	s.PlainData = md == plugin.MockDataPlain

	s.Addr, _ = pick("addr", f.Addr, Env.Addr, "", DefaultAddr)
	s.AdminToken, _ = pick("admin-token", f.AdminToken, Env.AdminToken, "", "")

	format, from := pick("log-format", f.LogFormat, Env.LogFormat, "", string(server.LogText))
	if format != string(server.LogText) && format != string(server.LogJSON) {
		return s, fmt.Errorf("%s: invalid log format %q (want text or json)", orDefault(from, "log format"), format)
	}
	s.LogFormat = server.LogFormat(format)

	var corsFlag *string
	if f.CORS != nil {
		v := strconv.FormatBool(*f.CORS)
		corsFlag = &v
	}
	cors, from := pick("cors", corsFlag, Env.CORS, "", "false")
	if s.CORS, err = strconv.ParseBool(cors); err != nil {
		return s, fmt.Errorf("%s: want true or false, got %q", from, cors)
	}

	s.UpstreamProxy, from = pick("upstream-proxy", f.UpstreamProxy, Env.UpstreamProxy, p.UpstreamProxy, "")
	if s.UpstreamProxy != "" {
		if err := plugin.CheckUpstreamProxy(s.UpstreamProxy); err != nil {
			return s, fmt.Errorf("%s: upstream proxy: %v", orDefault(from, "upstream proxy"), err)
		}
	}

	s.Fallback = p.Fallback == plugin.ModeMock
	s.Replay = p.Replay
	if f.Replay != nil {
		s.Replay = *f.Replay
	}
	s.Redact = append([]string(nil), p.Redact...)
	if p.Auth != nil {
		a := *p.Auth
		s.Auth = &a
	}
	if authType, from := pick("", nil, Env.AuthType, "", ""); from != "" {
		switch {
		case authType == "none":
			s.Auth = nil
		case s.Auth != nil:
			s.Auth.AuthType = authType
		case authEnvCredentials[authType] != nil:
			s.Auth = &plugin.Auth{AuthType: authType, Credentials: authEnvCredentials[authType]}
		default:
			return s, fmt.Errorf("%s=%s: the plugin has no auth to take credentials from (api_key, bearer_token, basic_auth and oauth2 read API_KEY, API_TOKEN, API_USERNAME/API_PASSWORD, OAUTH2_*)", from, authType)
		}
	}
	return s, nil
}

// Check reports what makes the settings unable to serve: proxy and hybrid modes without a
// target. Build checks it too; a command checks it early to fail before loading a large spec.
func (s Settings) Check() error {
	if s.Mode != plugin.ModeMock && s.Mode != "" && s.Target == "" {
		return fmt.Errorf("mode %s needs a target URL (--target, MOCKLOOP_TARGET or API_BASE_URL, or the plugin's target_url)", s.Mode)
	}
	return nil
}

// LogLevels are the values of --log-level and MOCKLOOP_LOG_LEVEL.
var LogLevels = []string{"debug", "info", "warn", "error"}

// LogLevel is the log level a command runs with: the flag (nil when not given), else
// MOCKLOOP_LOG_LEVEL, else def. Errors name where the bad value came from.
func LogLevel(flag *string, lookup func(string) (string, bool), def slog.Level) (slog.Level, error) {
	v, from := "", ""
	if flag != nil {
		v, from = *flag, "--log-level"
	} else if lookup != nil {
		for _, name := range Env.LogLevel {
			if e, ok := lookup(name); ok && strings.TrimSpace(e) != "" {
				v, from = strings.TrimSpace(e), name
				break
			}
		}
	}
	if from == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return def, fmt.Errorf("%s: invalid log level %q (want debug, info, warn or error)", from, v)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// redactNames returns the header and query names the request log must hide for this auth, on
// top of the ones the redaction policy always hides.
func redactNames(a *plugin.Auth) (headers, query []string) {
	if a == nil {
		return nil, nil
	}
	if loc, name, ok := a.APIKeyPlace(); ok {
		switch loc {
		case "query":
			query = append(query, name)
		case "header":
			headers = append(headers, name)
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

// LoadOptions is how the spec of plugin p is loaded: base (stdin, client, fetch timeout, the
// command line's --allow-ref hosts and --overlay files) plus the hosts the plugin's
// allow_refs names and the plugin's overlays, applied before the command line's. A bad host
// glob is an error naming where it came from.
func LoadOptions(base spec.Options, p *plugin.Plugin) (spec.Options, error) {
	if err := spec.CheckAllowRefs(base.AllowRefs); err != nil {
		return base, fmt.Errorf("--allow-ref: %w", err)
	}
	if p != nil && len(p.Overlays) > 0 {
		base.Overlays = append(slices.Clip(p.Overlays), base.Overlays...)
	}
	if p == nil || len(p.AllowRefs) == 0 {
		return base, nil
	}
	if err := spec.CheckAllowRefs(p.AllowRefs); err != nil {
		return base, fmt.Errorf("plugin %s: allow_refs: %w", p.Name, err)
	}
	base.AllowRefs = append(slices.Clip(base.AllowRefs), p.AllowRefs...)
	return base, nil
}
