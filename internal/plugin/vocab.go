package plugin

import (
	"fmt"
	"slices"
	"strings"
)

// Mode says which side answers requests: the mock, the live API, or route rules per request.
// It is the vocabulary of plugin files, flags, environment variables, the admin API and MCP.
type Mode string

// The modes. A route rule, and the decision it makes, only ever uses ModeMock or ModeProxy.
const (
	ModeMock   Mode = "mock"   // every request is answered from the spec
	ModeProxy  Mode = "proxy"  // every request is forwarded to the live API
	ModeHybrid Mode = "hybrid" // route rules decide per request
)

// Modes lists the modes in the order help texts name them.
var Modes = []Mode{ModeMock, ModeProxy, ModeHybrid}

// ParseMode accepts "mock", "proxy" or "hybrid", in any case, surrounding space ignored.
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Modes, m) {
		return m, nil
	}
	return "", fmt.Errorf("invalid mode %q (want mock, proxy or hybrid)", s)
}

// MCPTools is how `mockloop mcp` exposes a plugin's operations to an assistant.
type MCPTools string

// The MCP tool modes.
const (
	// MCPToolsAuto is MCPToolsOperations up to MCPAutoLimit operations, MCPToolsDiscovery above.
	MCPToolsAuto MCPTools = "auto"
	// MCPToolsOperations is one tool per operation.
	MCPToolsOperations MCPTools = "operations"
	// MCPToolsDiscovery is search_operations, describe_operation and call_operation instead, so
	// that a large API does not flood the assistant's context.
	MCPToolsDiscovery MCPTools = "discovery"
)

// MCPAutoLimit is the most operations MCPToolsAuto exposes as one tool each.
const MCPAutoLimit = 60

// MCPToolModes lists the MCP tool modes in the order help texts name them.
var MCPToolModes = []MCPTools{MCPToolsAuto, MCPToolsOperations, MCPToolsDiscovery}

// ParseMCPTools accepts "auto", "operations" or "discovery", in any case, surrounding space
// ignored.
func ParseMCPTools(s string) (MCPTools, error) {
	m := MCPTools(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(MCPToolModes, m) {
		return m, nil
	}
	return "", fmt.Errorf("invalid MCP tool mode %q (want auto, operations or discovery)", s)
}

// MockData is how the mock generates values for schemas without examples.
type MockData string

// The mock data modes.
const (
	// MockDataRealistic (the default, also when the key is absent) takes hints from property,
	// parameter and header names: `email` gets an address, `created_at` a recent time.
	MockDataRealistic MockData = "realistic"
	// MockDataPlain generates from the schema alone (lorem ipsum strings, numbers in range).
	MockDataPlain MockData = "plain"
)

// MockDataModes lists the mock data modes in the order help texts name them.
var MockDataModes = []MockData{MockDataRealistic, MockDataPlain}

// ParseMockData accepts "realistic" or "plain", in any case, surrounding space ignored.
func ParseMockData(s string) (MockData, error) {
	m := MockData(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(MockDataModes, m) {
		return m, nil
	}
	return "", fmt.Errorf("invalid mock data mode %q (want realistic or plain)", s)
}

// Auth types accepted in auth.auth_type.
const (
	AuthAPIKey      = "api_key"
	AuthBearerToken = "bearer_token"
	AuthBasic       = "basic_auth"
	AuthOAuth2      = "oauth2"
	AuthCustom      = "custom"
)

// AuthType describes the credentials of one auth_type: the one table the plugin validator,
// the credential injector and every redactor read.
type AuthType struct {
	// Keys are the credential keys the type takes ("custom" takes header.<Name> and
	// query.<name> keys instead).
	Keys []string
	// Required are the keys that must have a value (oauth2 has its own rule: see Auth.Check).
	Required []string
	// Public are the keys whose values are not secrets (a username, a token URL): they may be
	// shown, and are not redacted.
	Public []string
}

// AuthTypes is every auth type by name.
var AuthTypes = map[string]AuthType{
	AuthAPIKey:      {Keys: []string{"api_key"}, Required: []string{"api_key"}},
	AuthBearerToken: {Keys: []string{"token"}, Required: []string{"token"}},
	// A password may be empty: some APIs take the key as the user name (Stripe does).
	AuthBasic: {Keys: []string{"username", "password"}, Required: []string{"username"}, Public: []string{"username"}},
	AuthOAuth2: {Keys: []string{"access_token", "refresh_token", "client_id", "client_secret", "token_url", "scope"},
		Public: []string{"client_id", "token_url", "scope"}},
	AuthCustom: {},
}

// authTypeNames is the list of auth types for messages.
const authTypeNames = "api_key, bearer_token, basic_auth, oauth2 or custom"

// Default names of an api_key when the plugin gives none.
const (
	DefaultAPIKeyHeader = "X-API-Key"
	DefaultAPIKeyParam  = "api_key" // query parameter or cookie
)

// APIKeyPlace is where an api_key goes: its location (header, query or cookie) and name,
// defaults applied. ok is false for another auth type or an unknown location.
func (a *Auth) APIKeyPlace() (location, name string, ok bool) {
	if a == nil || a.AuthType != AuthAPIKey {
		return "", "", false
	}
	location, name = strings.ToLower(a.Location), a.Name
	switch location {
	case "", "header":
		location = "header"
		if name == "" {
			name = DefaultAPIKeyHeader
		}
	case "query", "cookie":
		if name == "" {
			name = DefaultAPIKeyParam
		}
	default:
		return location, name, false
	}
	return location, name, true
}

// Secret reports whether the value of credential key k is a secret: everything but the
// table's public keys.
func (a *Auth) Secret(k string) bool {
	return a != nil && !slices.Contains(AuthTypes[a.AuthType].Public, k)
}

// Check lists what is wrong with a: the type, where an api_key goes, the credential keys and
// which are required, ${ENV} syntax. It reads the values only to see whether they are empty,
// so it works on a plugin file (references unresolved) and on resolved credentials alike.
// Messages never contain a credential value.
func (a *Auth) Check() []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	typ, known := AuthTypes[a.AuthType]
	switch {
	case a.AuthType == "":
		add("auth_type is required (%s)", authTypeNames)
		return probs
	case !known:
		add("auth_type %q: want %s", a.AuthType, authTypeNames)
		return probs
	}
	if a.AuthType == AuthAPIKey {
		if _, _, ok := a.APIKeyPlace(); !ok {
			add("location %q: want header, query or cookie", a.Location)
		}
	} else {
		if a.Location != "" {
			add("location applies to api_key only")
		}
		if a.Name != "" {
			add("name applies to api_key only")
		}
	}
	for _, k := range sortedKeys(a.Credentials) {
		if a.AuthType == AuthCustom {
			kind, name, _ := strings.Cut(k, ".")
			if (kind != "header" && kind != "query") || name == "" {
				add("credentials key %q: want header.<Name> or query.<name>", k)
			}
		} else if !slices.Contains(typ.Keys, k) {
			add("credentials key %q is not used by %s (want %s)", k, a.AuthType, strings.Join(typ.Keys, ", "))
		}
		if err := checkRefs(a.Credentials[k]); err != nil {
			add("credentials %q: %v", k, err)
		}
	}
	has := func(k string) bool { return a.Credentials[k] != "" }
	for _, k := range typ.Required {
		if !has(k) {
			add("credentials %s is required", k)
		}
	}
	switch a.AuthType {
	case AuthOAuth2:
		// The token URL may also come from the spec's OAuth2 security scheme: whether one
		// exists is known where the spec is (see upstream.OAuth2Refresh).
		if !has("access_token") && !has("refresh_token") && !(has("client_id") && has("client_secret")) {
			add("oauth2 needs access_token, refresh_token, or client_id and client_secret")
		}
		if u := a.Credentials["token_url"]; u != "" && !strings.Contains(u, "${") {
			if err := checkURL(u); err != nil {
				add("credentials token_url: %v", err)
			}
		}
	case AuthCustom:
		if len(a.Credentials) == 0 {
			add("custom needs at least one header.<Name> or query.<name> credential")
		}
	}
	return probs
}
