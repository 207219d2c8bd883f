package upstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/mockloop/mockloop/internal/redact"
)

// tokenTimeout bounds one token request made on behalf of waiting requests.
const tokenTimeout = 30 * time.Second

// expirySkew renews a token slightly before the expiry the server announced.
const expirySkew = 10 * time.Second

// maxIssued bounds how many issued tokens are remembered for redaction.
const maxIssued = 64

// tokenSource holds the current oauth2 access token and obtains a new one when it is missing,
// expired or rejected. The token requests themselves are golang.org/x/oauth2's (the refresh
// token grant, or client credentials); concurrent callers share one request
// (golang.org/x/sync/singleflight). What x/oauth2 does not do, and this adds: a token the
// upstream rejected is replaced once, and every token seen is hidden from messages.
type tokenSource struct {
	log    *slog.Logger
	client *http.Client
	flight singleflight.Group
	// requests counts the token requests made (stats.go).
	requests atomic.Int64

	mu sync.Mutex
	// The endpoint and grants change when a credential file does (rotate).
	tokenURL     string
	from         string                    // where tokenURL came from, for messages
	refresh      *oauth2.Config            // the refresh_token grant
	clients      *clientcredentials.Config // the client_credentials grant
	gen          uint64                    // counts rotations: a token obtained before one is not kept
	token        string
	expiry       time.Time // renew from then on; zero: unknown, valid until rejected
	refreshToken string
	issued       []string // the latest tokens issued, for redaction
	secrets      redact.Secrets
}

// newTokenSource prepares the oauth2 tokens of creds; the token endpoint is creds' token_url,
// else specURL (the spec's security scheme's, named by from). Without either, the access token
// is used as long as the API accepts it.
func newTokenSource(creds map[string]string, client *http.Client, specURL, from string) (*tokenSource, error) {
	ep, err := tokenEndpoint(creds, specURL, from)
	if err != nil {
		return nil, err
	}
	ts := &tokenSource{
		client:       client,
		token:        creds["access_token"],
		refreshToken: creds["refresh_token"],
	}
	ts.tokenURL, ts.from, ts.refresh, ts.clients = ep.url, ep.from, ep.refresh, ep.clients
	ts.secrets.Add(creds["client_secret"], creds["refresh_token"], creds["access_token"])
	ts.secrets.AddPair(creds["client_id"], creds["client_secret"])
	return ts, nil
}

// endpointConfig is where and how tokens are obtained for some credentials.
type endpointConfig struct {
	url, from string
	refresh   *oauth2.Config
	clients   *clientcredentials.Config
}

// tokenEndpoint checks creds and prepares their grants (see newTokenSource).
func tokenEndpoint(creds map[string]string, specURL, from string) (endpointConfig, error) {
	ep := endpointConfig{url: creds["token_url"], from: "the plugin's token_url"}
	if ep.url == "" && specURL != "" {
		ep.url, ep.from = specURL, from
	}
	if ep.url == "" {
		if creds["access_token"] == "" {
			return ep, errors.New("auth oauth2: no access_token, and no token URL to obtain one (token_url in the plugin, or an OAuth2 security scheme with a tokenUrl in the spec)")
		}
		return ep, nil
	}
	u, err := url.Parse(ep.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ep, errors.New("auth oauth2: token_url must be an absolute http(s) URL")
	}
	// RFC 6749 2.3.1: a confidential client authenticates with Basic auth; a public client
	// (no secret) names itself in the form.
	style := oauth2.AuthStyleInHeader
	if creds["client_secret"] == "" {
		style = oauth2.AuthStyleInParams
	}
	var scopes []string
	if s := creds["scope"]; s != "" {
		scopes = strings.Fields(s)
	}
	endpoint := oauth2.Endpoint{TokenURL: ep.url, AuthStyle: style}
	ep.refresh = &oauth2.Config{ClientID: creds["client_id"], ClientSecret: creds["client_secret"], Endpoint: endpoint, Scopes: scopes}
	if creds["client_id"] != "" && creds["client_secret"] != "" {
		ep.clients = &clientcredentials.Config{ClientID: creds["client_id"], ClientSecret: creds["client_secret"],
			TokenURL: ep.url, Scopes: scopes, AuthStyle: style}
	}
	return ep, nil
}

// rotate takes the credentials read again after a credential file changed (old are the ones
// before): a new access_token or refresh_token replaces the current one, and new client
// credentials, scope or token URL mean new tokens, obtained with them at the next request
// (unless a new access_token came with them). A token request under way when the
// credentials change is not kept. creds are checked first: on an error nothing changes.
func (ts *tokenSource) rotate(old, creds map[string]string, specURL, from string) error {
	ep, err := tokenEndpoint(creds, specURL, from)
	if err != nil {
		return err
	}
	changed := func(k string) bool { return old[k] != creds[k] }
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.tokenURL, ts.from, ts.refresh, ts.clients = ep.url, ep.from, ep.refresh, ep.clients
	ts.gen++
	if changed("refresh_token") {
		ts.refreshToken = creds["refresh_token"]
	}
	switch {
	case changed("access_token"):
		ts.token, ts.expiry = creds["access_token"], time.Time{}
	case (changed("client_id") || changed("client_secret") || changed("scope") || changed("token_url")) && ts.canRefreshLocked():
		ts.token, ts.expiry = "", time.Time{}
	}
	return nil
}

// endpoint is the token URL and where it came from, for messages.
func (ts *tokenSource) endpoint() (tokenURL, from string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.tokenURL, ts.from
}

// canRefresh reports whether a rejected token can be replaced.
func (ts *tokenSource) canRefresh() bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.canRefreshLocked()
}

func (ts *tokenSource) canRefreshLocked() bool {
	return ts.tokenURL != "" && (ts.refreshToken != "" || ts.clients != nil)
}

// refreshProblem says why a rejected token cannot be replaced ("" when it can).
func (ts *tokenSource) refreshProblem() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	switch {
	case ts.canRefreshLocked():
		return ""
	case ts.tokenURL == "":
		return "no token URL (the plugin has no token_url and the spec no OAuth2 security scheme with a tokenUrl)"
	}
	return "no refresh_token and no client_id/client_secret to obtain a token with"
}

// get returns a usable token. stale is a token the upstream rejected: when it is still the
// current one a new token is obtained; when another request has already replaced it, the new
// one is returned without a second token request.
func (ts *tokenSource) get(ctx context.Context, stale string) (string, error) {
	ts.mu.Lock()
	valid := ts.token != "" && ts.token != stale && (ts.expiry.IsZero() || time.Now().Before(ts.expiry))
	if valid || (ts.token != "" && !ts.canRefreshLocked()) {
		tok := ts.token
		ts.mu.Unlock()
		return tok, nil
	}
	if !ts.canRefreshLocked() {
		ts.mu.Unlock()
		return "", errors.New("oauth2: no access token and no way to obtain one")
	}
	ts.mu.Unlock()
	// The request runs on its own bounded context so that one impatient client does not fail
	// the others waiting for the same token.
	ch := ts.flight.DoChan("token", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
		defer cancel()
		start := time.Now()
		tok, expiry, gen, err := ts.fetchGen(ctx)
		if ts.log != nil {
			tokenURL, from := ts.endpoint()
			if err != nil {
				ts.log.Warn("oauth2 token request failed", "token_url", redact.URL(tokenURL), "from", from, "error", err.Error())
			} else {
				ts.log.Info("oauth2 token obtained", "token_url", redact.URL(tokenURL), "from", from, "grant", ts.grant(), "took", roundDuration(time.Since(start)))
			}
		}
		if err == nil {
			ts.mu.Lock()
			if ts.gen == gen { // else the credentials changed meanwhile: the next request asks again
				ts.token, ts.expiry = tok, expiry
			}
			ts.mu.Unlock()
		}
		return tok, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// grant is the grant fetch uses: refresh_token or client_credentials.
func (ts *tokenSource) grant() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.refreshToken != "" {
		return "refresh_token"
	}
	return "client_credentials"
}

// fetch makes one token request: the refresh_token grant when a refresh token is known, else
// client_credentials. A rotated refresh token is kept. Errors never carry secrets: a token
// endpoint's answer is reduced to its status and RFC 6749 error code and description, and
// whatever of a secret they echo is hidden.
func (ts *tokenSource) fetch(ctx context.Context) (string, time.Time, error) {
	tok, expiry, _, err := ts.fetchGen(ctx)
	return tok, expiry, err
}

// fetchGen is fetch, also returning the generation of the credentials it used.
func (ts *tokenSource) fetchGen(ctx context.Context) (string, time.Time, uint64, error) {
	ts.requests.Add(1)
	ts.mu.Lock()
	refresh, refreshCfg, clients, tokenURL, gen := ts.refreshToken, ts.refresh, ts.clients, ts.tokenURL, ts.gen
	ts.mu.Unlock()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: jsonAnswers{ts.client}, Timeout: ts.client.Timeout})
	var (
		tok *oauth2.Token
		err error
	)
	switch {
	case refresh != "" && refreshCfg != nil:
		tok, err = refreshCfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	case clients != nil:
		tok, err = clients.Token(ctx)
	default:
		return "", time.Time{}, gen, errors.New("oauth2: no refresh_token and no client credentials to obtain a token with")
	}
	if err != nil {
		return "", time.Time{}, gen, errors.New(ts.redact(describeTokenError(tokenURL, err)))
	}
	var expiry time.Time
	if !tok.Expiry.IsZero() {
		// Renew a little early, but never sooner than halfway through a short lifetime.
		life := time.Until(tok.Expiry)
		expiry = tok.Expiry.Add(-min(expirySkew, life/2))
	}
	ts.mu.Lock()
	if tok.RefreshToken != "" && tok.RefreshToken != refresh {
		if ts.gen == gen { // a refresh token from a file that changed meanwhile wins
			ts.refreshToken = tok.RefreshToken
		}
		ts.remember(tok.RefreshToken)
	}
	ts.remember(tok.AccessToken)
	ts.mu.Unlock()
	return tok.AccessToken, expiry, gen, nil
}

// describeTokenError is a token request failure at tokenURL in one secret-free line.
func describeTokenError(tokenURL string, err error) string {
	where := "oauth2 token request to " + redact.Origin(tokenURL)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg := fmt.Sprintf("%s: token endpoint answered %d", where, status)
		if status == http.StatusOK {
			msg = where + ": the answer has no usable access_token"
		}
		code, desc := re.ErrorCode, re.ErrorDescription
		if code != "" {
			// error and error_description are defined by RFC 6749 to be plain ASCII codes and text.
			msg += ": " + oneLine(code)
			if desc != "" {
				msg += " (" + oneLine(desc) + ")"
			}
		}
		return msg
	}
	if strings.HasPrefix(err.Error(), "oauth2: server response missing access_token") {
		return where + ": the answer has no access_token"
	}
	return where + ": " + oneLine(strings.TrimPrefix(safeError(err), "oauth2: "))
}

// remember adds an issued token to the redacted values, keeping the latest maxIssued.
// ts.mu is held.
func (ts *tokenSource) remember(tok string) {
	if tok == "" {
		return
	}
	ts.issued = append(ts.issued, tok)
	if len(ts.issued) > maxIssued {
		ts.issued = ts.issued[len(ts.issued)-maxIssued:]
	}
}

// redact hides every secret of the configuration and every token this source has seen.
func (ts *tokenSource) redact(s string) string {
	ts.mu.Lock()
	issued := append([]string{ts.token, ts.refreshToken}, ts.issued...)
	ts.mu.Unlock()
	var recent redact.Secrets
	recent.Add(issued...)
	return recent.Replace(ts.secrets.Replace(s))
}

// oneLine folds white space, so a message never spans lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// jsonAnswers marks a token endpoint's JSON answer as JSON when the server labelled it
// otherwise (text/plain, or nothing): x/oauth2 reads such answers as form encoding, and would
// find no token in them. RFC 6749 5.1 asks for application/json.
type jsonAnswers struct{ client *http.Client }

func (j jsonAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := j.client.Do(r)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct == "" || strings.HasPrefix(ct, "text/plain") {
		br := bufio.NewReader(resp.Body)
		if b, _ := br.Peek(1); len(b) == 1 && b[0] == '{' {
			resp.Header.Set("Content-Type", "application/json")
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{br, resp.Body}
	}
	return resp, nil
}
