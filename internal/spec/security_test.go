package spec

import (
	"context"
	"reflect"
	"testing"
)

func TestOAuth2Flows(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []OAuth2Flow
	}{
		{"absolute, several flows, relative to servers[0]", `openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com/v2"}]
paths: {}
components:
  securitySchemes:
    zeta: {type: http, scheme: bearer}
    oauth:
      type: oauth2
      flows:
        implicit: {authorizationUrl: "https://auth/a", scopes: {}}
        clientCredentials: {tokenUrl: "https://auth.example.com/token", scopes: {}}
        authorizationCode: {authorizationUrl: "/authorize", tokenUrl: "/oauth/token", refreshUrl: "/oauth/refresh", scopes: {}}
`, []OAuth2Flow{
			{Scheme: "oauth", Flow: "authorizationCode", TokenURL: "https://api.example.com/oauth/token", RefreshURL: "https://api.example.com/oauth/refresh"},
			{Scheme: "oauth", Flow: "clientCredentials", TokenURL: "https://auth.example.com/token"},
		}},
		{"relative without servers stays relative", `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  securitySchemes:
    o: {type: oauth2, flows: {password: {tokenUrl: "/token", scopes: {}}}}
`, []OAuth2Flow{{Scheme: "o", Flow: "password", TokenURL: "/token"}}},
		{"swagger 2.0", `swagger: "2.0"
info: {title: t, version: "1"}
host: api.example.com
paths: {}
securityDefinitions:
  o: {type: oauth2, flow: application, tokenUrl: "https://auth.example.com/t", scopes: {}}
`, []OAuth2Flow{{Scheme: "o", Flow: "clientCredentials", TokenURL: "https://auth.example.com/t"}}},
		{"none", `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := LoadData(context.Background(), "t.yaml", nil, []byte(tt.doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.OAuth2Flows(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
