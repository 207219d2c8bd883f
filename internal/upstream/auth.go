package upstream

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/mockloop/mockloop/internal/envref"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/spec"
)

func lookupOrEnv(lookup func(string) (string, bool)) func(string) (string, bool) {
	if lookup == nil {
		return os.LookupEnv
	}
	return lookup
}

// injector applies resolved credentials to an outgoing request. The credentials that refer
// to files (${file:PATH}) are resolved again when a file changes (rotate.go): cur and secrets
// are swapped whole, so a request sees one generation of credentials or the next.
type injector struct {
	typ      string
	location string // api_key
	name     string // api_key
	cur      atomic.Pointer[credentials]
	oauth    *tokenSource
	// secrets are every resolved secret value and its derived forms, of the current
	// credentials and of the ones rotated out before them (rotate.go bounds how many).
	secrets atomic.Pointer[redact.Secrets]
	rot     *rotation // nil when no credential refers to a file
}

// credentials are one generation of resolved credentials, as apply sends them.
type credentials struct {
	value   string // api_key value, bearer token
	user    string
	pass    string
	headers [][2]string // custom, canonical names
	queries [][2]string // custom
}

// newInjector checks a and resolves every credential now, so a missing variable fails at
// start. The rules are plugin.Auth.Check's, applied to the resolved values.
func newInjector(a *plugin.Auth, lookup func(string) (string, bool), client *http.Client, tokenURL, tokenFrom string) (*injector, error) {
	if a == nil || a.AuthType == "" {
		return nil, nil
	}
	in := &injector{typ: a.AuthType}
	if in.typ == plugin.AuthAPIKey {
		in.location, in.name, _ = a.APIKeyPlace()
		if in.location == "header" {
			in.name = textproto.CanonicalMIMEHeaderKey(in.name)
		}
	}
	stamps := statFiles(a) // before the files are read: a change after this is seen next time
	creds, err := resolveCredentials(a, lookup)
	if err != nil {
		return nil, err
	}
	var secrets redact.Secrets
	addSecrets(&secrets, a, creds, lookup)
	in.secrets.Store(&secrets)
	if a.AuthType == plugin.AuthOAuth2 {
		ts, err := newTokenSource(creds, client, tokenURL, tokenFrom)
		if err != nil {
			return nil, err
		}
		in.oauth = ts
	}
	in.cur.Store(in.build(creds))
	in.rot = newRotation(a, lookup, creds, stamps, tokenURL, tokenFrom)
	return in, nil
}

// resolveCredentials expands every credential of a (variables, files, each file read once)
// and checks the result with plugin.Auth.Check. Errors name the credential and the variable or file, never a value.
func resolveCredentials(a *plugin.Auth, lookup func(string) (string, bool)) (map[string]string, error) {
	resolved := &plugin.Auth{AuthType: a.AuthType, Location: a.Location, Name: a.Name, Credentials: map[string]string{}}
	snap := envref.NewSnapshot(lookup) // two credentials of one file get the same content
	for _, k := range slices.Sorted(maps.Keys(a.Credentials)) {
		v, err := snap.Expand(a.Credentials[k])
		if err != nil {
			return nil, fmt.Errorf("auth %s: credential %q: %w", a.AuthType, k, err)
		}
		resolved.Credentials[k] = v
	}
	if probs := resolved.Check(); len(probs) > 0 {
		return nil, fmt.Errorf("auth %s: %s", a.AuthType, strings.Join(probs, "; "))
	}
	return resolved.Credentials, nil
}

// build is what apply sends for the resolved creds (oauth2's tokens are the token source's).
func (in *injector) build(creds map[string]string) *credentials {
	c := &credentials{}
	switch in.typ {
	case plugin.AuthAPIKey:
		c.value = creds["api_key"]
	case plugin.AuthBearerToken:
		c.value = creds["token"]
	case plugin.AuthBasic:
		c.user, c.pass = creds["username"], creds["password"]
	case plugin.AuthCustom:
		for _, k := range slices.Sorted(maps.Keys(creds)) {
			kind, name, _ := strings.Cut(k, ".")
			if kind == "header" {
				c.headers = append(c.headers, [2]string{textproto.CanonicalMIMEHeaderKey(name), creds[k]})
			} else {
				c.queries = append(c.queries, [2]string{name, creds[k]})
			}
		}
	}
	return c
}

// addSecrets adds the secret values of a, resolved to creds, to s: each secret credential, each
// variable a template refers to, and the Basic auth forms of username:password and of
// client_id:client_secret (which travels to an OAuth2 token endpoint that way).
func addSecrets(s *redact.Secrets, a *plugin.Auth, creds map[string]string, lookup func(string) (string, bool)) {
	for k, v := range creds {
		if v == "" || !a.Secret(k) {
			continue
		}
		s.Add(v)
		// A template ("v1 ${SIG}") is a secret as a whole and so is each variable in it.
		for _, name := range envref.Names(a.Credentials[k]) {
			if val, _ := lookupOrEnv(lookup)(name); val != v {
				s.Add(val)
			}
		}
	}
	s.AddPair(creds["username"], creds["password"])
	s.AddPair(creds["client_id"], creds["client_secret"])
}

// SecretsOf is the set of secret values of a, resolved with lookup (variables that are not
// set are left out): what must never appear in anything mockloop prints about a plugin.
func SecretsOf(a *plugin.Auth, lookup func(string) (string, bool)) *redact.Secrets {
	var s redact.Secrets
	if a == nil {
		return &s
	}
	creds := map[string]string{}
	for k, v := range a.Credentials {
		if r, err := envref.Expand(v, lookup); err == nil {
			creds[k] = r
		}
	}
	addSecrets(&s, a, creds, lookup)
	return &s
}

// Redact replaces every secret the forwarder knows in s (its credentials, in every form, the
// OAuth2 tokens it has obtained, and the egress proxy's password) with ***.
func (f *Forwarder) Redact(s string) string { return f.proxySecret.Replace(f.auth.redact(s)) }

// apply replaces the client's credentials on the outgoing request with the configured ones.
// The client's Authorization header is always removed when auth is configured, and so is any
// header, query parameter or cookie of the name the configuration sets.
func (in *injector) apply(out *http.Request, token string) {
	c := in.cur.Load()
	out.Header.Del("Authorization")
	switch in.typ {
	case plugin.AuthAPIKey:
		switch in.location {
		case "header":
			out.Header.Set(in.name, c.value)
		case "query":
			q := out.URL.Query()
			q.Set(in.name, c.value)
			out.URL.RawQuery = q.Encode()
		case "cookie":
			setCookie(out, in.name, c.value)
		}
	case plugin.AuthBearerToken:
		out.Header.Set("Authorization", "Bearer "+c.value)
	case plugin.AuthBasic:
		out.SetBasicAuth(c.user, c.pass)
	case plugin.AuthOAuth2:
		if token != "" {
			out.Header.Set("Authorization", "Bearer "+token)
		}
	case plugin.AuthCustom:
		for _, h := range c.headers {
			out.Header.Set(h[0], h[1])
		}
		if len(c.queries) > 0 {
			q := out.URL.Query()
			for _, kv := range c.queries {
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
	s = in.secrets.Load().Replace(s)
	if in.oauth != nil {
		s = in.oauth.redact(s)
	}
	return s
}

// SecretStatus says whether one credential resolves, without its value.
type SecretStatus struct {
	Key string `json:"key"`
	// Source is "literal", "env" (${NAME} references), "file" (${file:PATH} references, read
	// at use and again when the file changes) or "env+file".
	Source string `json:"source"`
	// Vars are the ${NAME} references in the value.
	Vars []string `json:"vars,omitempty"`
	// Files are the ${file:PATH} references in the value.
	Files []string `json:"files,omitempty"`
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

// RefreshStatus says whether an oauth2 access token can be renewed, and how.
type RefreshStatus struct {
	// Possible is true when a token URL and a grant to use there exist.
	Possible bool `json:"possible"`
	// Grant is refresh_token or client_credentials.
	Grant string `json:"grant,omitempty"`
	// TokenURL is the token endpoint (public; shown without user info or secret query values),
	// and From where it came from: the plugin's token_url or the spec's security scheme.
	TokenURL string `json:"token_url,omitempty"`
	From     string `json:"from,omitempty"`
	// Problem says why no refresh is possible.
	Problem string `json:"problem,omitempty"`
	// Required is true when the plugin configures a way to renew tokens (a refresh_token, or
	// client credentials) that cannot work, or has no access token to start with: an error,
	// not a note.
	Required bool `json:"-"`
}

// AuthStatus describes configured auth for `plugin auth-status`: never a secret value.
type AuthStatus struct {
	Type string `json:"auth_type"`
	// Where says where the credential goes, e.g. "header X-API-Key" or "header Authorization (Bearer)".
	Where   string         `json:"where"`
	Secrets []SecretStatus `json:"secrets"`
	// Problem is the configuration error, if any, that would stop serve (secret-free).
	Problem string `json:"problem,omitempty"`
	// Refresh is set for oauth2: whether (and how) the access token can be renewed.
	Refresh *RefreshStatus `json:"refresh,omitempty"`
	// Token is set for oauth2 when a token request was made.
	Token *TokenCheck `json:"token,omitempty"`
	// TokenSkipped says why no token request was made although one was possible.
	TokenSkipped string `json:"token_skipped,omitempty"`
}

// OK reports whether everything resolves, refresh works where the plugin relies on it, and
// the token request (when made) succeeded.
func (st AuthStatus) OK() bool {
	return st.Problem == "" && (st.Refresh == nil || st.Refresh.Possible || !st.Refresh.Required) && (st.Token == nil || st.Token.OK)
}

// InspectOptions tune InspectAuth.
type InspectOptions struct {
	// Flows are the spec's OAuth2 flows (where a token URL may come from), and Target the live
	// base URL a relative tokenUrl is relative to.
	Flows  []spec.OAuth2Flow
	Target string
	// Refresh allows a refresh_token grant: some servers rotate the refresh token on each use,
	// so it is spent only when asked. A client_credentials request is always made.
	Refresh bool
	// Client makes the token request (http.DefaultClient when nil), bounded by the context.
	Client *http.Client
}

// InspectAuth reports a's auth without revealing secrets (a nil a is "none"). For oauth2 it
// says whether the access token can be refreshed (token URL from the plugin, else from the
// spec) and, when the grant is client_credentials or opts.Refresh is set, makes one real token
// request.
func InspectAuth(ctx context.Context, a *plugin.Auth, lookup func(string) (string, bool), opts InspectOptions) AuthStatus {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if a == nil {
		a = &plugin.Auth{}
	}
	st := AuthStatus{Type: a.AuthType, Secrets: []SecretStatus{}}
	keys := slices.Sorted(maps.Keys(a.Credentials))
	for _, k := range keys {
		v := a.Credentials[k]
		s := SecretStatus{Key: k, Source: "literal", Resolved: true}
		s.Vars, s.Files = envref.Names(v), envref.Files(v)
		switch {
		case len(s.Vars) > 0 && len(s.Files) > 0:
			s.Source = "env+file"
		case len(s.Vars) > 0:
			s.Source = "env"
		case len(s.Files) > 0:
			s.Source = "file"
		}
		if _, err := envref.Expand(v, lookup); err != nil {
			s.Resolved, s.Error = false, err.Error()
		}
		st.Secrets = append(st.Secrets, s)
	}
	switch a.AuthType {
	case plugin.AuthAPIKey:
		loc, name, _ := a.APIKeyPlace()
		st.Where = loc + " " + name
	case plugin.AuthBearerToken, plugin.AuthOAuth2:
		st.Where = "header Authorization (Bearer)"
	case plugin.AuthBasic:
		st.Where = "header Authorization (Basic)"
	case plugin.AuthCustom:
		var parts []string
		for _, k := range keys {
			kind, name, _ := strings.Cut(k, ".")
			parts = append(parts, kind+" "+name)
		}
		st.Where = strings.Join(parts, ", ")
	case "":
		st.Where = "none"
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	var target *url.URL
	if opts.Target != "" {
		target, _ = url.Parse(opts.Target)
	}
	if a.AuthType == plugin.AuthOAuth2 {
		rs := OAuth2Refresh(a, opts.Flows, target)
		st.Refresh = &rs
	}
	tokenURL, tokenFrom := specTokenURL(a, opts.Flows, target)
	in, err := newInjector(a, lookup, client, tokenURL, tokenFrom)
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	if in == nil || in.oauth == nil || !in.oauth.canRefresh() {
		return st
	}
	if in.oauth.refreshToken != "" && !opts.Refresh {
		st.TokenSkipped = "a refresh_token grant spends the refresh token on servers that rotate it: --refresh tries it"
		return st
	}
	_, _, err = in.oauth.fetch(ctx)
	st.Token = &TokenCheck{OK: err == nil}
	if err != nil {
		st.Token.Error = in.redact(err.Error())
	}
	return st
}

// OAuth2Refresh says whether an oauth2 auth can renew its access token: with which grant, at
// which token URL (the plugin's token_url, else the spec's OAuth2 security scheme's tokenUrl,
// a relative one resolved against target), and if not, why. Unresolved ${ENV} references count
// as given.
func OAuth2Refresh(a *plugin.Auth, flows []spec.OAuth2Flow, target *url.URL) RefreshStatus {
	if a == nil || a.AuthType != plugin.AuthOAuth2 {
		return RefreshStatus{}
	}
	has := func(k string) bool { return strings.TrimSpace(a.Credentials[k]) != "" }
	var rs RefreshStatus
	switch {
	case has("refresh_token"):
		rs.Grant = "refresh_token"
	case has("client_id") && has("client_secret"):
		rs.Grant = "client_credentials"
	}
	rs.Required = rs.Grant != "" || !has("access_token")
	if has("token_url") {
		rs.TokenURL, rs.From = a.Credentials["token_url"], "the plugin's token_url"
		if len(envref.Names(rs.TokenURL)) == 0 {
			rs.TokenURL = redact.URL(rs.TokenURL)
		}
	} else {
		rs.TokenURL, rs.From = specTokenURL(a, flows, target)
		rs.TokenURL = redact.URL(rs.TokenURL)
	}
	switch {
	case rs.Grant == "" && rs.TokenURL == "":
		rs.Problem = "no refresh_token and no client_id/client_secret, and no token URL (token_url in the plugin, or an OAuth2 security scheme with a tokenUrl in the spec): the access token is used until the API rejects it"
	case rs.Grant == "":
		rs.Problem = "no refresh_token and no client_id/client_secret to obtain a token with: the access token is used until the API rejects it"
	case rs.TokenURL == "":
		rs.Problem = "no token URL: the plugin has no token_url and the spec has no OAuth2 security scheme with a tokenUrl"
	default:
		rs.Possible = true
	}
	return rs
}

// specTokenURL picks the token endpoint for an oauth2 auth without a token_url from the spec's
// flows: for a refresh_token, an authorizationCode or password flow's refreshUrl or tokenUrl
// first; for client credentials, the clientCredentials flow's tokenUrl first. A relative URL is
// resolved against target. It returns "" when the plugin names its own token_url or there is
// none, and says where the URL came from.
func specTokenURL(a *plugin.Auth, flows []spec.OAuth2Flow, target *url.URL) (tokenURL, from string) {
	if a == nil || a.AuthType != plugin.AuthOAuth2 || strings.TrimSpace(a.Credentials["token_url"]) != "" || len(flows) == 0 {
		return "", ""
	}
	order := []string{"clientCredentials", "authorizationCode", "password"}
	if strings.TrimSpace(a.Credentials["refresh_token"]) != "" {
		order = []string{"authorizationCode", "password", "clientCredentials"}
	}
	for _, name := range order {
		for _, fl := range flows {
			if fl.Flow != name {
				continue
			}
			u := fl.TokenURL
			if fl.RefreshURL != "" && name != "clientCredentials" && strings.TrimSpace(a.Credentials["refresh_token"]) != "" {
				u = fl.RefreshURL
			}
			if resolved := resolveAgainst(u, target); resolved != "" {
				return resolved, fmt.Sprintf("the spec's security scheme %q (%s flow)", fl.Scheme, fl.Flow)
			}
		}
	}
	return "", ""
}

// resolveAgainst makes ref absolute against base; "" when that is impossible.
func resolveAgainst(ref string, base *url.URL) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if u.IsAbs() {
		return u.String()
	}
	if base == nil || !base.IsAbs() {
		return ""
	}
	return base.ResolveReference(u).String()
}
