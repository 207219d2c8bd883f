package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mockloop/mockloop/internal/redact"
)

// tokenTimeout bounds one token request made on behalf of waiting requests.
const tokenTimeout = 30 * time.Second

// expirySkew renews a token slightly before the expiry the server announced.
const expirySkew = 10 * time.Second

// tokenSource holds the current oauth2 access token and obtains a new one when it is missing,
// expired or rejected. Concurrent callers share one token request.
type tokenSource struct {
	tokenURL     string
	clientID     string
	clientSecret string
	scope        string
	client       *http.Client

	mu           sync.Mutex
	token        string
	expiry       time.Time // renew from then on; zero: unknown, valid until rejected
	refreshToken string
	issued       []string // every token seen, for redaction
	flight       *tokenFlight
}

// tokenFlight is one token request in progress; done is closed when token/err are set.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

func newTokenSource(creds map[string]string, client *http.Client) (*tokenSource, error) {
	ts := &tokenSource{
		tokenURL:     creds["token_url"],
		clientID:     creds["client_id"],
		clientSecret: creds["client_secret"],
		scope:        creds["scope"],
		client:       client,
		token:        creds["access_token"],
		refreshToken: creds["refresh_token"],
	}
	if ts.tokenURL == "" {
		if ts.token == "" {
			return nil, errors.New("auth oauth2: credential \"token_url\" is required when there is no access_token")
		}
		return ts, nil
	}
	u, err := url.Parse(ts.tokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("auth oauth2: token_url must be an absolute http(s) URL")
	}
	if ts.refreshToken == "" && (ts.clientID == "" || ts.clientSecret == "") {
		if ts.token == "" {
			return nil, errors.New("auth oauth2: needs access_token, refresh_token, or client_id and client_secret")
		}
	}
	return ts, nil
}

// canRefresh reports whether a rejected token can be replaced.
func (ts *tokenSource) canRefresh() bool {
	return ts.tokenURL != "" && (ts.refreshToken != "" || (ts.clientID != "" && ts.clientSecret != ""))
}

// get returns a usable token. stale is a token the upstream rejected: when it is still the
// current one a new token is obtained; when another request has already replaced it, the new
// one is returned without a second token request.
func (ts *tokenSource) get(ctx context.Context, stale string) (string, error) {
	ts.mu.Lock()
	if ts.flight == nil {
		valid := ts.token != "" && ts.token != stale && (ts.expiry.IsZero() || time.Now().Before(ts.expiry))
		if valid || (ts.token != "" && !ts.canRefresh()) {
			tok := ts.token
			ts.mu.Unlock()
			return tok, nil
		}
		if !ts.canRefresh() {
			ts.mu.Unlock()
			return "", errors.New("oauth2: no access token and no way to obtain one")
		}
		f := &tokenFlight{done: make(chan struct{})}
		ts.flight = f
		// The request runs on its own bounded context so that one impatient client does not
		// fail the others waiting for the same token.
		go ts.run(f)
	}
	f := ts.flight
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (ts *tokenSource) run(f *tokenFlight) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	tok, expiry, err := ts.fetch(ctx)
	ts.mu.Lock()
	if err == nil {
		ts.token, ts.expiry = tok, expiry
	}
	ts.flight = nil
	ts.mu.Unlock()
	f.token, f.err = tok, err
	close(f.done)
}

// fetch makes one token request: the refresh_token grant when a refresh token is known, else
// client_credentials. A rotated refresh token is kept. Errors never carry secrets.
func (ts *tokenSource) fetch(ctx context.Context) (string, time.Time, error) {
	ts.mu.Lock()
	refresh := ts.refreshToken
	ts.mu.Unlock()
	form := url.Values{}
	if refresh != "" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", refresh)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	if ts.scope != "" {
		form.Set("scope", ts.scope)
	}
	if ts.clientSecret == "" && ts.clientID != "" {
		form.Set("client_id", ts.clientID)
	}
	where := "oauth2 token request to " + redact.Origin(ts.tokenURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %s", where, safeError(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ts.clientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(ts.clientID), url.QueryEscape(ts.clientSecret))
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %s", where, safeError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: reading answer: %s", where, safeError(err))
	}
	var tr struct {
		AccessToken  string      `json:"access_token"`
		ExpiresIn    json.Number `json:"expires_in"`
		RefreshToken string      `json:"refresh_token"`
		Error        string      `json:"error"`
		Description  string      `json:"error_description"`
	}
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("%s: token endpoint answered %d", where, resp.StatusCode)
		if tr.Error != "" {
			// error and error_description are defined by RFC 6749 to be plain ASCII codes and text.
			msg += ": " + tr.Error
			if tr.Description != "" {
				msg += " (" + tr.Description + ")"
			}
		}
		return "", time.Time{}, errors.New(ts.redact(msg))
	}
	if jsonErr != nil || tr.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("%s: answer has no access_token", where)
	}
	var expiry time.Time
	if secs, err := tr.ExpiresIn.Int64(); err == nil && secs > 0 {
		// Renew a little early, but never sooner than halfway through a short lifetime.
		life := time.Duration(secs) * time.Second
		expiry = time.Now().Add(life - min(expirySkew, life/2))
	}
	ts.mu.Lock()
	if tr.RefreshToken != "" {
		ts.refreshToken = tr.RefreshToken
		ts.issued = append(ts.issued, tr.RefreshToken)
	}
	ts.issued = append(ts.issued, tr.AccessToken)
	if len(ts.issued) > 64 {
		ts.issued = ts.issued[len(ts.issued)-64:]
	}
	ts.mu.Unlock()
	return tr.AccessToken, expiry, nil
}

// redact hides every token this source has seen.
func (ts *tokenSource) redact(s string) string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, v := range append([]string{ts.token, ts.refreshToken, ts.clientSecret}, ts.issued...) {
		if len(v) >= 3 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}
