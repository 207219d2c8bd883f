package server

import (
	"net/http"
	"strings"
)

// exposed are the response headers a browser script may read: mockloop's own.
const exposed = HeaderMode + ", " + HeaderRule + ", " + HeaderFallback

// isPreflight: an OPTIONS request that asks (Access-Control-Request-Method) whether the real
// request is allowed.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// setCORS sets permissive CORS headers, replacing any an upstream sent: the request's origin
// echoed (so credentials work), or *.
func setCORS(h http.Header, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if !containsToken(h.Values("Vary"), "Origin") {
			h.Add("Vary", "Origin")
		}
	} else {
		h.Del("Access-Control-Allow-Credentials")
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Access-Control-Expose-Headers", exposed)
}

// writePreflight allows whatever the preflight asks for: the method, the headers, for a day.
func writePreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setCORS(h, r)
	h.Set("Access-Control-Allow-Methods", strings.ToUpper(r.Header.Get("Access-Control-Request-Method"))+", GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Set("Access-Control-Max-Age", "86400")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

// containsToken reports whether a comma-separated header's values list tok (case-insensitive).
func containsToken(values []string, tok string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// setAdminCORS lets a page on another origin read admin answers, never with credentials: a
// browser does not send cookies or HTTP auth to the admin API on a page's behalf, and the
// Vary keeps caches from mixing origins.
func setAdminCORS(h http.Header, r *http.Request) {
	h.Del("Access-Control-Allow-Credentials")
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
}

// writeAdminPreflight answers a preflight for the admin API. Without an admin token the admin
// API trusts loopback clients, and a page in the user's own browser is one: it may then only
// read (GET, HEAD), never switch the mode or change state. With a token the token decides, so
// the methods and the Authorization header are allowed. Credentials are never allowed.
func writeAdminPreflight(w http.ResponseWriter, r *http.Request, token bool) {
	h := w.Header()
	setAdminCORS(h, r)
	if token {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	} else {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Method")
	w.WriteHeader(http.StatusNoContent)
}
