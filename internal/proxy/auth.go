package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"sort"
	"strings"

	"github.com/mockloop/mockloop/internal/envref"
	"github.com/mockloop/mockloop/internal/redact"
)

// The auth types a plugin can configure.
const (
	AuthAPIKey      = "api_key"
	AuthBearerToken = "bearer_token"
	AuthBasic       = "basic_auth"
	AuthOAuth2      = "oauth2"
	AuthCustom      = "custom"
)

// AuthConfig is the credential injected into every forwarded request.
type AuthConfig struct {
	// Type is api_key, bearer_token, basic_auth, oauth2 or custom; "" means none.
	Type string
	// Location is where an api_key goes: header (default), query or cookie.
	Location string
	// Name is the api_key's header, query parameter or cookie name (default X-API-Key for a
	// header, api_key otherwise).
	Name string
	// Credentials are literals or ${ENV} references, by type:
	// api_key: api_key; bearer_token: token; basic_auth: username, password;
	// oauth2: access_token, refresh_token, client_id, client_secret, token_url, scope;
	// custom: header.<Name> and query.<name> templates such as "v1 ${SIG}".
	Credentials map[string]string
}

func lookupOrEnv(lookup func(string) (string, bool)) func(string) (string, bool) {
	if lookup == nil {
		return os.LookupEnv
	}
	return lookup
}

// credentialKeys lists, per auth type, the credential keys it accepts and which are required.
var credentialKeys = map[string]struct{ required, optional []string }{
	AuthAPIKey:      {required: []string{"api_key"}},
	AuthBearerToken: {required: []string{"token"}},
	AuthBasic:       {required: []string{"username"}, optional: []string{"password"}},
	AuthOAuth2:      {optional: []string{"access_token", "refresh_token", "client_id", "client_secret", "token_url", "scope"}},
}

// injector applies resolved credentials to an outgoing request.
type injector struct {
	typ      string
	location string // api_key
	name     string // api_key
	value    string // api_key value, bearer token
	user     string
	pass     string
	headers  [][2]string // custom, canonical names
	queries  [][2]string // custom
	oauth    *tokenSource
	secrets  redact.Secrets // every resolved secret value and its derived forms
}

// newInjector checks cfg and resolves every credential now, so a missing variable fails at start.
func newInjector(cfg *AuthConfig, lookup func(string) (string, bool), client *http.Client) (*injector, error) {
	if cfg == nil || cfg.Type == "" {
		return nil, nil
	}
	in := &injector{typ: cfg.Type}
	creds := map[string]string{}
	keys := make([]string, 0, len(cfg.Credentials))
	for k := range cfg.Credentials {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := envref.Expand(cfg.Credentials[k], lookup)
		if err != nil {
			return nil, fmt.Errorf("auth %s: credential %q: %w", cfg.Type, k, err)
		}
		creds[k] = v
		if v != "" && k != "token_url" && k != "scope" && k != "client_id" && k != "username" {
			in.secrets.Add(v)
			// A template ("v1 ${SIG}") is a secret as a whole and so is each variable in it.
			for _, name := range envref.Names(cfg.Credentials[k]) {
				if val, _ := lookupOrEnv(lookup)(name); val != v {
					in.secrets.Add(val)
				}
			}
		}
	}
	if known, ok := credentialKeys[cfg.Type]; ok {
		allowed := map[string]bool{}
		for _, k := range append(append([]string{}, known.required...), known.optional...) {
			allowed[k] = true
		}
		for _, k := range keys {
			if !allowed[k] {
				return nil, fmt.Errorf("auth %s: unknown credential %q", cfg.Type, k)
			}
		}
		for _, k := range known.required {
			if creds[k] == "" {
				return nil, fmt.Errorf("auth %s: credential %q is required", cfg.Type, k)
			}
		}
	}
	switch cfg.Type {
	case AuthAPIKey:
		in.location = strings.ToLower(cfg.Location)
		in.name = cfg.Name
		switch in.location {
		case "", "header":
			in.location = "header"
			if in.name == "" {
				in.name = "X-API-Key"
			}
			in.name = textproto.CanonicalMIMEHeaderKey(in.name)
		case "query", "cookie":
			if in.name == "" {
				in.name = "api_key"
			}
		default:
			return nil, fmt.Errorf("auth api_key: location %q must be header, query or cookie", cfg.Location)
		}
		in.value = creds["api_key"]
	case AuthBearerToken:
		in.value = creds["token"]
	case AuthBasic:
		in.user, in.pass = creds["username"], creds["password"]
		in.secrets.AddPair(in.user, in.pass) // the Authorization header's base64 form
	case AuthOAuth2:
		ts, err := newTokenSource(creds, client)
		if err != nil {
			return nil, err
		}
		in.oauth = ts
		// The client secret travels to the token endpoint inside Basic auth.
		in.secrets.AddPair(creds["client_id"], creds["client_secret"])
	case AuthCustom:
		if len(keys) == 0 {
			return nil, fmt.Errorf("auth custom: no header.<Name> or query.<name> credentials")
		}
		for _, k := range keys {
			kind, name, _ := strings.Cut(k, ".")
			if name == "" {
				return nil, fmt.Errorf("auth custom: credential %q must be header.<Name> or query.<name>", k)
			}
			switch kind {
			case "header":
				in.headers = append(in.headers, [2]string{textproto.CanonicalMIMEHeaderKey(name), creds[k]})
			case "query":
				in.queries = append(in.queries, [2]string{name, creds[k]})
			default:
				return nil, fmt.Errorf("auth custom: credential %q must be header.<Name> or query.<name>", k)
			}
		}
	default:
		return nil, fmt.Errorf("auth: unknown auth_type %q (want api_key, bearer_token, basic_auth, oauth2 or custom)", cfg.Type)
	}
	return in, nil
}

// apply replaces the client's credentials on the outgoing request with the configured ones.
// The client's Authorization header is always removed when auth is configured, and so is any
// header, query parameter or cookie of the name the configuration sets.
func (in *injector) apply(out *http.Request, token string) {
	out.Header.Del("Authorization")
	switch in.typ {
	case AuthAPIKey:
		switch in.location {
		case "header":
			out.Header.Set(in.name, in.value)
		case "query":
			q := out.URL.Query()
			q.Set(in.name, in.value)
			out.URL.RawQuery = q.Encode()
		case "cookie":
			setCookie(out, in.name, in.value)
		}
	case AuthBearerToken:
		out.Header.Set("Authorization", "Bearer "+in.value)
	case AuthBasic:
		out.SetBasicAuth(in.user, in.pass)
	case AuthOAuth2:
		if token != "" {
			out.Header.Set("Authorization", "Bearer "+token)
		}
	case AuthCustom:
		for _, h := range in.headers {
			out.Header.Set(h[0], h[1])
		}
		if len(in.queries) > 0 {
			q := out.URL.Query()
			for _, kv := range in.queries {
				q.Set(kv[0], kv[1])
			}
			out.URL.RawQuery = q.Encode()
		}
	}
}

// setCookie replaces any cookie called name in the request's Cookie headers with value.
func setCookie(out *http.Request, name, value string) {
	cookies := out.Cookies()
	out.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != name {
			out.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	// AddCookie would quote or drop characters outside the cookie-octet set; a configured key
	// is sent as given, escaped only where the header syntax requires it.
	pair := name + "=" + strings.NewReplacer(";", "%3B", "\r", "", "\n", "").Replace(value)
	if prev := out.Header.Get("Cookie"); prev != "" {
		out.Header.Set("Cookie", prev+"; "+pair)
	} else {
		out.Header.Set("Cookie", pair)
	}
}

// redact replaces every secret value in s with ***.
func (in *injector) redact(s string) string {
	if in == nil {
		return s
	}
	s = in.secrets.Replace(s)
	if in.oauth != nil {
		s = in.oauth.redact(s)
	}
	return s
}

// SecretStatus says whether one credential resolves, without its value.
type SecretStatus struct {
	Key string `json:"key"`
	// Source is "literal" or "env".
	Source string `json:"source"`
	// Vars are the ${NAME} references in the value.
	Vars []string `json:"vars,omitempty"`
	// Resolved is false when a referenced variable is unset.
	Resolved bool `json:"resolved"`
	// Error names the unset variable.
	Error string `json:"error,omitempty"`
}

// TokenCheck is the result of a real token request for oauth2.
type TokenCheck struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// AuthStatus describes configured auth for `plugin auth-status`: never a secret value.
type AuthStatus struct {
	Type string `json:"auth_type"`
	// Where says where the credential goes, e.g. "header X-API-Key" or "header Authorization (Bearer)".
	Where   string         `json:"where"`
	Secrets []SecretStatus `json:"secrets"`
	// Problem is the configuration error, if any, that would stop serve (secret-free).
	Problem string `json:"problem,omitempty"`
	// Token is set for oauth2 when a token request was attempted.
	Token *TokenCheck `json:"token,omitempty"`
}

// InspectAuth reports cfg's auth without revealing secrets. For oauth2 with a token_url it makes
// one real token request with client (http.DefaultClient when nil) bounded by ctx.
func InspectAuth(ctx context.Context, cfg AuthConfig, lookup func(string) (string, bool), client *http.Client) AuthStatus {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	st := AuthStatus{Type: cfg.Type, Secrets: []SecretStatus{}}
	keys := make([]string, 0, len(cfg.Credentials))
	for k := range cfg.Credentials {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Credentials[k]
		s := SecretStatus{Key: k, Source: "literal", Resolved: true}
		if s.Vars = envref.Names(v); len(s.Vars) > 0 {
			s.Source = "env"
		}
		if _, err := envref.Expand(v, lookup); err != nil {
			s.Resolved, s.Error = false, err.Error()
		}
		st.Secrets = append(st.Secrets, s)
	}
	switch cfg.Type {
	case AuthAPIKey:
		loc, name := strings.ToLower(cfg.Location), cfg.Name
		if loc == "" {
			loc = "header"
		}
		if name == "" {
			name = "api_key"
			if loc == "header" {
				name = "X-API-Key"
			}
		}
		st.Where = loc + " " + name
	case AuthBearerToken, AuthOAuth2:
		st.Where = "header Authorization (Bearer)"
	case AuthBasic:
		st.Where = "header Authorization (Basic)"
	case AuthCustom:
		var parts []string
		for _, k := range keys {
			kind, name, _ := strings.Cut(k, ".")
			parts = append(parts, kind+" "+name)
		}
		st.Where = strings.Join(parts, ", ")
	case "":
		st.Where = "none"
	}
	if client == nil {
		client = http.DefaultClient
	}
	in, err := newInjector(&cfg, lookup, client)
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	if in != nil && in.oauth != nil && in.oauth.tokenURL != "" {
		_, _, err := in.oauth.fetch(ctx)
		st.Token = &TokenCheck{OK: err == nil}
		if err != nil {
			st.Token.Error = in.redact(err.Error())
		}
	}
	return st
}
