package plugin

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/redact"
)

// maxNameLen bounds plugin names so they stay valid file names everywhere.
const maxNameLen = 100

// ValidName accepts a plugin name made of ASCII letters, digits, '-' and '_' (1 to 100 of them).
// Names become file names, so anything else is rejected before the disk is touched.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("invalid plugin name %q: must not be empty", name)
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("invalid plugin name %q: longer than %d characters", name, maxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("invalid plugin name %q: use only letters, digits, '-' and '_'", name)
		}
	}
	return nil
}

// ValidationError lists everything wrong with a plugin, one problem per entry.
type ValidationError struct {
	Name string
	// Problems are located by the plugin file's keys when they are in a list or block
	// ("route_rules[1]", "endpoints[0]", "auth", "comparison"); top-level values name themselves.
	Problems []problem.Item
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("invalid plugin %q: %s", e.Name, strings.Join(parts, "; "))
}

// Methods accepted in endpoints and route rules (case-insensitive).
var httpMethods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// maxRetries bounds retry counts: more than this is a typo, not a plan.
const maxRetries = 10

// Validate checks p and returns a *ValidationError listing every problem, or nil: a valid
// name, a spec, the mode, an http(s) target for proxy and hybrid, the auth type, location and
// the credential keys it needs, endpoint paths and methods, rule modes and priorities, and
// non-negative timeouts, retries and tolerances, mock_data, and the simulation, stateful and
// overrides keys (conditions are compiled where the stack is built). Credential values are checked for
// ${ENV} syntax only; they are never part of a message.
func (p *Plugin) Validate() error {
	var probs []problem.Item
	add := func(where, format string, args ...any) {
		probs = append(probs, problem.Item{Location: where, Message: fmt.Sprintf(format, args...)})
	}

	if err := ValidName(p.Name); err != nil {
		add("", "%v", err)
	}
	if strings.TrimSpace(p.Spec) == "" {
		add("", "spec is required")
	}
	switch p.Mode {
	case ModeMock, ModeProxy, ModeHybrid:
	case "":
		add("", "mode is required (mock, proxy or hybrid)")
	default:
		add("", "mode %q: want mock, proxy or hybrid", p.Mode)
	}
	if p.TargetURL == "" {
		if p.Mode == ModeProxy || p.Mode == ModeHybrid {
			add("", "target_url is required in %s mode", p.Mode)
		}
	} else if err := checkURL(p.TargetURL); err != nil {
		add("", "target_url: %v", err)
	}
	if p.Fallback != "" && p.Fallback != ModeMock {
		add("", "fallback %q: want mock or nothing", p.Fallback)
	}
	if p.Timeout.Duration < 0 {
		add("", "timeout must not be negative")
	}
	if p.RetryCount < 0 || p.RetryCount > maxRetries {
		add("", "retry_count %d: want 0 to %d", p.RetryCount, maxRetries)
	}
	if p.Auth != nil {
		for _, msg := range p.Auth.Check() {
			add("auth", "%s", msg)
		}
	}
	for i, e := range p.Endpoints {
		where := fmt.Sprintf("endpoints[%d]", i)
		if !strings.HasPrefix(e.Path, "/") {
			add(where, "path %q must start with /", e.Path)
		}
		if e.Method != "" && !slices.Contains(httpMethods, strings.ToUpper(e.Method)) {
			add(where, "method %q: want one of %s", e.Method, strings.Join(httpMethods, ", "))
		}
		if e.ProxyURL != "" {
			if msg := checkTemplate(e.ProxyURL, e.Path); msg != "" {
				add(where, "proxy_url: %s", msg)
			} else if err := checkURL(strings.NewReplacer("{", "", "}", "").Replace(e.ProxyURL)); err != nil {
				add(where, "proxy_url: %v", err)
			}
		}
		for _, msg := range e.TLS.check() {
			add(where, "tls: %s", msg)
		}
		if e.Timeout.Duration < 0 {
			add(where, "timeout must not be negative")
		}
		if e.RetryCount < 0 || e.RetryCount > maxRetries {
			add(where, "retry_count %d: want 0 to %d", e.RetryCount, maxRetries)
		}
	}
	for i, r := range p.RouteRules {
		where := fmt.Sprintf("route_rules[%d]", i)
		if strings.TrimSpace(r.Pattern) == "" {
			add(where, "pattern is required")
		} else if !strings.HasPrefix(r.Pattern, "/") && !strings.HasPrefix(r.Pattern, "*") {
			add(where, "pattern %q must start with / or *", r.Pattern)
		}
		if r.Method != "" && !slices.Contains(httpMethods, strings.ToUpper(r.Method)) {
			add(where, "method %q: want one of %s", r.Method, strings.Join(httpMethods, ", "))
		}
		switch r.Mode {
		case ModeMock, ModeProxy:
		case "":
			add(where, "mode is required (mock or proxy)")
		default:
			add(where, "mode %q: want mock or proxy", r.Mode)
		}
		if r.Priority < 0 {
			add(where, "priority %d must not be negative", r.Priority)
		}
		if r.Fallback != "" && r.Fallback != ModeMock {
			add(where, "fallback %q: want mock or nothing", r.Fallback)
		}
		if r.Mode == ModeProxy && p.TargetURL == "" && p.Mode == ModeMock {
			add(where, "proxy rule needs target_url")
		}
		for _, msg := range r.checkShare() {
			add(where, "%s", msg)
		}
	}
	if p.UpstreamProxy != "" {
		if err := CheckUpstreamProxy(p.UpstreamProxy); err != nil {
			add("", "upstream_proxy: %v", err)
		}
	}
	for _, msg := range p.TLS.check() {
		add("tls", "%s", msg)
	}
	if p.MockData != "" && !slices.Contains(MockDataModes, p.MockData) {
		add("", "mock_data %q: want realistic or plain", p.MockData)
	}
	if p.MCPTools != "" && !slices.Contains(MCPToolModes, p.MCPTools) {
		add("", "mcp_tools %q: want auto, operations or discovery", p.MCPTools)
	}
	for i, o := range p.Operations {
		if strings.TrimSpace(o) == "" {
			add(fmt.Sprintf("operations[%d]", i), "empty filter")
		}
	}
	if err := p.Comparison.Validate(); err != nil {
		add("comparison", "%v", err)
	}
	p.checkSimulation(add)
	for i, o := range p.Overlays {
		if strings.TrimSpace(o) == "" {
			add(fmt.Sprintf("overlays[%d]", i), "must not be empty")
		}
	}
	if p.Replay != "" && strings.TrimSpace(p.Replay) == "" {
		add("", "replay must name a directory")
	}
	if err := compare.CheckFields("redact", p.Redact); err != nil {
		add("", "%v", err) // the error names the option already
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Name: p.Name, Problems: probs}
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL with a host", redact.URL(s))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkShare checks a rule's A/B split: percent (or weight) in (0, 100], key only with one.
func (r RouteRule) checkShare() []string {
	var probs []string
	if r.Percent != nil && r.Weight != nil {
		probs = append(probs, "percent and weight are the same setting: give one")
	}
	share, ok := r.Share()
	if ok && (math.IsNaN(share) || share <= 0 || share > 100) {
		probs = append(probs, fmt.Sprintf("percent %v: want more than 0 and at most 100", share))
	}
	if r.Key != "" {
		if !ok {
			probs = append(probs, "key applies to a percent split: give percent too")
		}
		if !validHeaderName(r.Key) {
			probs = append(probs, fmt.Sprintf("key %q is not a header name", r.Key))
		}
	}
	return probs
}

// TemplateParams lists the {name} placeholders of a proxy_url, in order; nil when it is a
// base URL. A "{" without its "}" is not a placeholder.
func TemplateParams(proxyURL string) []string {
	var names []string
	s := proxyURL
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return names
		}
		names = append(names, s[open+1:open+end])
		s = s[open+end+1:]
	}
}

// checkTemplate checks a proxy_url template against its endpoint's path: every {name} is a
// parameter of the path, and placeholders are in the URL's path only.
func checkTemplate(proxyURL, path string) string {
	names := TemplateParams(proxyURL)
	if len(names) == 0 {
		return ""
	}
	rest := proxyURL
	if _, after, ok := strings.Cut(rest, "://"); ok {
		rest = after
	}
	authority, _, _ := strings.Cut(rest, "/")
	_, query, _ := strings.Cut(rest, "?")
	if strings.ContainsAny(authority, "{}") || strings.ContainsAny(query, "{}") {
		return "{name} placeholders may appear in the URL's path only"
	}
	have := TemplateParams(path)
	for _, n := range names {
		if n == "" || !slices.Contains(have, n) {
			return fmt.Sprintf("{%s} is not a parameter of the endpoint's path %q", n, path)
		}
	}
	return ""
}

// CheckUpstreamProxy checks an upstream_proxy value: "none", or an http, https or socks5 URL
// with a host (user info may be ${ENV} references). Messages never quote the user info.
func CheckUpstreamProxy(v string) error {
	if v == NoUpstreamProxy {
		return nil
	}
	if err := checkRefs(v); err != nil {
		return err
	}
	u, err := url.Parse(refPlaceholder(v))
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return fmt.Errorf("%q: want none, or an http://, https:// or socks5:// URL", redact.URL(refPlaceholder(v)))
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return errors.New("a proxy URL has no path or query")
	}
	return nil
}

// refPlaceholder replaces each ${NAME} reference with "x", so that the rest can be parsed.
func refPlaceholder(v string) string {
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			return v
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return v
		}
		v = v[:i] + "x" + v[i+j+1:]
	}
}

// check lists what is wrong with a tls block (nil is fine): both halves of a client
// certificate, and ${ENV} syntax.
func (t *TLS) check() []string {
	if t == nil {
		return nil
	}
	var probs []string
	if (t.ClientCert == "") != (t.ClientKey == "") {
		probs = append(probs, "client_cert and client_key go together")
	}
	for _, f := range []struct{ key, v string }{{"ca_file", t.CAFile}, {"client_cert", t.ClientCert}, {"client_key", t.ClientKey}, {"server_name", t.ServerName}} {
		if err := checkRefs(f.v); err != nil {
			probs = append(probs, fmt.Sprintf("%s: %v", f.key, err))
		}
	}
	return probs
}
