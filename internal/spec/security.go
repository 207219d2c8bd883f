package spec

import (
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// OAuth2Flow is one OAuth2 flow of a security scheme that has a token endpoint: what the live
// side needs to obtain and refresh tokens when a plugin names no token_url.
type OAuth2Flow struct {
	// Scheme is the security scheme's name in components.securitySchemes.
	Scheme string
	// Flow is authorizationCode, clientCredentials or password (implicit has no token endpoint).
	Flow string
	// TokenURL and RefreshURL are as the document writes them, resolved against servers[0] when
	// that is an absolute URL; a relative one is relative to the API's base URL.
	TokenURL   string
	RefreshURL string
}

// OAuth2Flows lists the document's OAuth2 flows that have a tokenUrl: schemes by name, then
// authorizationCode, clientCredentials, password.
func (d *Document) OAuth2Flows() []OAuth2Flow {
	if d.T == nil || d.T.Components == nil {
		return nil
	}
	var base *url.URL
	if len(d.T.Servers) > 0 && d.T.Servers[0] != nil && !strings.Contains(d.T.Servers[0].URL, "{") {
		if u, err := url.Parse(d.T.Servers[0].URL); err == nil && u.IsAbs() {
			base = u
		}
	}
	resolve := func(ref string) string {
		if ref == "" || base == nil {
			return ref
		}
		u, err := url.Parse(ref)
		if err != nil || u.IsAbs() {
			return ref
		}
		return base.ResolveReference(u).String()
	}
	var out []OAuth2Flow
	schemes := d.T.Components.SecuritySchemes
	for _, name := range sortedKeys(schemes) {
		ref := schemes[name]
		if ref == nil || ref.Value == nil || ref.Value.Type != "oauth2" || ref.Value.Flows == nil {
			continue
		}
		f := ref.Value.Flows
		for _, fl := range []struct {
			name string
			flow *openapi3.OAuthFlow
		}{{"authorizationCode", f.AuthorizationCode}, {"clientCredentials", f.ClientCredentials}, {"password", f.Password}} {
			if fl.flow == nil || strings.TrimSpace(fl.flow.TokenURL) == "" {
				continue
			}
			out = append(out, OAuth2Flow{Scheme: name, Flow: fl.name,
				TokenURL: resolve(strings.TrimSpace(fl.flow.TokenURL)), RefreshURL: resolve(strings.TrimSpace(fl.flow.RefreshURL))})
		}
	}
	return out
}
