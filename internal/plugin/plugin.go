// Package plugin is the plugin file format and its on-disk store. A plugin is a named, saved
// configuration: where the spec is, the mode (mock, proxy or hybrid), the live target, the
// credentials to inject, endpoint overrides, route rules and comparison defaults. Files are YAML
// with snake_case keys, decoded strictly (an unknown key is an error naming the key and line).
// Credential values are literals or ${ENV} references; references stay unresolved in files and
// are expanded with ResolveValue when used.
package plugin

import (
	"fmt"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

// Plugin is one plugin file.
type Plugin struct {
	Name       string         `yaml:"name" json:"name"`
	Spec       string         `yaml:"spec" json:"spec"`
	Mode       Mode           `yaml:"mode" json:"mode"`
	TargetURL  string         `yaml:"target_url,omitempty" json:"target_url,omitempty"`
	Auth       *Auth          `yaml:"auth,omitempty" json:"auth,omitempty"`
	Endpoints  []Endpoint     `yaml:"endpoints,omitempty" json:"endpoints,omitempty"`
	RouteRules []RouteRule    `yaml:"route_rules,omitempty" json:"route_rules,omitempty"`
	Fallback   Mode           `yaml:"fallback,omitempty" json:"fallback,omitempty"` // "" or "mock"
	Comparison compare.Config `yaml:"comparison,omitempty" json:"comparison,omitzero"`
	Timeout    Duration       `yaml:"timeout,omitempty" json:"timeout,omitempty,omitzero"`
	RetryCount int            `yaml:"retry_count,omitempty" json:"retry_count,omitempty"`
	// AllowRefs are the hosts (globs) a URL-loaded spec's external $refs may reach besides its own.
	AllowRefs []string `yaml:"allow_refs,omitempty" json:"allow_refs,omitempty"`
	// Operations keeps only the matching operations as MCP tools (the --operations grammar of
	// test run and mcp: operationIds, tags, tag:NAME, globs, "METHOD /path"); empty keeps all.
	// The grammar is spec's, so it is checked where specs are known (plugin create, validate, mcp).
	Operations []string `yaml:"operations,omitempty" json:"operations,omitempty"`
	// MCPTools is how `mockloop mcp` exposes the operations: auto (the default), operations
	// or discovery.
	MCPTools MCPTools `yaml:"mcp_tools,omitempty" json:"mcp_tools,omitempty"`
	// Simulation, Stateful and Overrides are what `serve` simulates (see simulation.go).
	Simulation *Simulation         `yaml:"simulation,omitempty" json:"simulation,omitempty"`
	Stateful   *Stateful           `yaml:"stateful,omitempty" json:"stateful,omitempty"`
	Overrides  map[string]Override `yaml:"overrides,omitempty" json:"overrides,omitempty"` // by operationId
	// UpstreamProxy is the egress proxy live requests go through: an http(s) or socks5 URL
	// (credentials as ${ENV} references), or "none"; "" follows HTTPS_PROXY, HTTP_PROXY and
	// NO_PROXY. It never chooses the destination, only the way to the target.
	UpstreamProxy string `yaml:"upstream_proxy,omitempty" json:"upstream_proxy,omitempty"`
	// TLS configures the connections to the live API (a private CA, a client certificate).
	TLS *TLS `yaml:"tls,omitempty" json:"tls,omitempty"`
	// Overlays are OpenAPI Overlay 1.0 files applied to the spec whenever it is loaded, in
	// order (before any --overlay of the command line).
	Overlays []string `yaml:"overlays,omitempty" json:"overlays,omitempty"`
	// Replay is a directory of recordings (serve --record) the mock side answers from first.
	Replay string `yaml:"replay,omitempty" json:"replay,omitempty"`
	// Redact names body fields recordings never store (bare names at any depth, or JSONPaths
	// as in comparison.ignore_fields); credentials are always redacted.
	Redact []string `yaml:"redact,omitempty" json:"redact,omitempty"`
	// MockData is MockDataRealistic (or empty) or MockDataPlain; see docs/mock-data.md.
	MockData MockData `yaml:"mock_data,omitempty" json:"mock_data,omitempty" jsonschema:"realistic (default: values follow property names) or plain (values from the schema alone)"`
}

// TLS configures the TLS connections to a live API. File values are paths, ${ENV} references
// to paths, or ${ENV} references to PEM text.
type TLS struct {
	// CAFile holds PEM certificates trusted in addition to the system roots (a private CA).
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// ClientCert and ClientKey are the client certificate and its key, for mutual TLS.
	ClientCert string `yaml:"client_cert,omitempty" json:"client_cert,omitempty"`
	ClientKey  string `yaml:"client_key,omitempty" json:"client_key,omitempty"`
	// InsecureSkipVerify accepts any server certificate: warned at start and shown in status.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// ServerName is the name the server certificate is checked against (and sent as SNI), when
	// it is not the target's host.
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
}

// PlainData reports whether the plugin asks for plain generated data (mock_data: plain), what
// mock.Options.PlainData takes.
func (p *Plugin) PlainData() bool { return p.MockData == MockDataPlain }

// Auth is how credentials are injected into live requests. Credentials keys by type:
// api_key: api_key; bearer_token: token; basic_auth: username, password; oauth2: access_token,
// refresh_token, client_id, client_secret, token_url, scope; custom: "header.<Name>" and
// "query.<name>" templates such as {"header.X-Sig": "v1 ${SIG}"}. Values are literals or ${ENV}.
type Auth struct {
	AuthType    string            `yaml:"auth_type" json:"auth_type" jsonschema:"api_key, bearer_token, basic_auth, oauth2 or custom"`
	Location    string            `yaml:"location,omitempty" json:"location,omitempty" jsonschema:"api_key only: header, query or cookie"` // header|query|cookie (api_key)
	Name        string            `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"api_key only: the header, query or cookie name"`
	Credentials map[string]string `yaml:"credentials,omitempty" json:"credentials,omitempty" jsonschema:"api_key: {api_key}; bearer_token: {token}; basic_auth: {username, password}; oauth2: {access_token, refresh_token, client_id, client_secret, token_url, scope}; custom: {\"header.X-Name\": template}. Values may be ${ENV} references"`
}

// Endpoint overrides the forwarding of one path template (and method, "" = any method).
type Endpoint struct {
	Path       string   `yaml:"path" json:"path"`
	Method     string   `yaml:"method,omitempty" json:"method,omitempty"`
	ProxyURL   string   `yaml:"proxy_url,omitempty" json:"proxy_url,omitempty"`
	Timeout    Duration `yaml:"timeout,omitempty" json:"timeout,omitempty,omitzero"`
	RetryCount int      `yaml:"retry_count,omitempty" json:"retry_count,omitempty"`
	// Retryable allows retries of a non-idempotent method (POST, PATCH) when its body can be
	// sent again.
	Retryable bool `yaml:"retryable,omitempty" json:"retryable,omitempty"`
	// TLS replaces the plugin's tls block for this endpoint.
	TLS *TLS `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// RouteRule sends matching requests to mock or proxy in hybrid mode. Higher priority is tried
// first; ties keep file order.
type RouteRule struct {
	// Name labels the rule in X-Mockloop-Rule and the admin status ("" gives "#N METHOD pattern").
	Name      string `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"a label for the rule, shown in X-Mockloop-Rule"`
	Pattern   string `yaml:"pattern" json:"pattern" jsonschema:"path glob (* one segment, ** any) or OpenAPI path template"`
	Method    string `yaml:"method,omitempty" json:"method,omitempty" jsonschema:"HTTP method; empty matches any"`
	Condition string `yaml:"condition,omitempty" json:"condition,omitempty" jsonschema:"expression over request.method, request.path, request.headers, request.params"`
	Mode      Mode   `yaml:"mode" json:"mode" jsonschema:"mock or proxy"`
	Priority  int    `yaml:"priority,omitempty" json:"priority,omitempty" jsonschema:"higher is tried first"`
	Fallback  Mode   `yaml:"fallback,omitempty" json:"fallback,omitempty" jsonschema:"mock: answer from the mock when the live call fails"`
	// Percent sends only that share of the matching requests (0 < percent <= 100) to Mode and
	// the rest to the other side: A/B routing. Omitted: all of them. Weight is another name.
	Percent *float64 `yaml:"percent,omitempty" json:"percent,omitempty" jsonschema:"A/B routing: the share (0-100) of matching requests sent to mode; the rest go to the other side"`
	Weight  *float64 `yaml:"weight,omitempty" json:"weight,omitempty" jsonschema:"another name for percent"`
	// Key names the request header whose value decides a percent split, so that one client
	// always lands on the same side (X-User-Id); without it, or without the header, the side is
	// drawn at random per request.
	Key string `yaml:"key,omitempty" json:"key,omitempty" jsonschema:"A/B routing: the request header whose value picks the side stably (e.g. X-User-Id)"`
}

// Share is the rule's percent (or weight), and whether it has one.
func (r RouteRule) Share() (float64, bool) {
	switch {
	case r.Percent != nil:
		return *r.Percent, true
	case r.Weight != nil:
		return *r.Weight, true
	}
	return 0, false
}

// Parse decodes a plugin file strictly: unknown keys, wrong types and trailing documents are
// errors naming source and line. It does not validate the values (see Validate).
func Parse(data []byte, source string) (*Plugin, error) {
	var p Plugin
	if err := decodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("parse plugin %q: %w", source, err)
	}
	return &p, nil
}

// decodeStrict decodes one YAML document into v with unknown keys rejected.
func decodeStrict(data []byte, v any) error { return yamldoc.DecodeStrict(data, v) }

// Masked returns a deep copy of p with every credential value replaced by "***" and any
// password in the target or endpoint URLs hidden, safe to print.
func (p *Plugin) Masked() *Plugin {
	c := p.clone()
	if c.Auth != nil {
		for k := range c.Auth.Credentials {
			c.Auth.Credentials[k] = redact.Mask
		}
	}
	c.TargetURL = redact.URL(c.TargetURL)
	if c.UpstreamProxy != "" && c.UpstreamProxy != NoUpstreamProxy {
		c.UpstreamProxy = redact.URL(c.UpstreamProxy)
	}
	c.TLS = c.TLS.masked()
	for i := range c.Endpoints {
		c.Endpoints[i].ProxyURL = redact.URL(c.Endpoints[i].ProxyURL)
		c.Endpoints[i].TLS = c.Endpoints[i].TLS.masked()
	}
	return c
}

// NoUpstreamProxy is the upstream_proxy value that connects directly, whatever HTTPS_PROXY says.
const NoUpstreamProxy = "none"

// masked is a copy of t with a key written inline (PEM text, not a path) hidden.
func (t *TLS) masked() *TLS {
	if t == nil {
		return nil
	}
	c := *t
	if strings.Contains(c.ClientKey, "PRIVATE KEY") {
		c.ClientKey = redact.Mask
	}
	return &c
}

// clone returns a deep copy of p.
func (p *Plugin) clone() *Plugin {
	c := *p
	if p.Auth != nil {
		a := *p.Auth
		if p.Auth.Credentials != nil {
			a.Credentials = make(map[string]string, len(p.Auth.Credentials))
			for k, v := range p.Auth.Credentials {
				a.Credentials[k] = v
			}
		}
		c.Auth = &a
	}
	c.Endpoints = append([]Endpoint(nil), p.Endpoints...)
	c.RouteRules = append([]RouteRule(nil), p.RouteRules...)
	c.Operations = append([]string(nil), p.Operations...)
	if p.TLS != nil {
		t := *p.TLS
		c.TLS = &t
	}
	c.Overlays = append([]string(nil), p.Overlays...)
	c.Redact = append([]string(nil), p.Redact...)
	c.Comparison = compare.Merge(p.Comparison) // a deep copy
	return &c
}
