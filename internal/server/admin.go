package server

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/route"
)

// Status is the body of GET /__mockloop/status.
type Status struct {
	Mode          plugin.Mode      `json:"mode"`
	Plugin        string           `json:"plugin,omitempty"`
	Spec          SpecInfo         `json:"spec"`
	Target        string           `json:"target,omitempty"` // userinfo removed, secret query values ***
	Live          bool             `json:"live"`             // a live side is configured
	ModeOverride  bool             `json:"mode_override"`    // the X-Mockloop-Mode request header is honoured
	StartedAt     string           `json:"started_at"`
	UptimeSeconds float64          `json:"uptime_seconds"`
	Requests      Counters         `json:"requests"`
	Rules         []route.RuleStat `json:"rules"`
	// Features are the admin routes' own status (Config.Admin's Status), by route name.
	Features map[string]any `json:"features,omitempty"`
	// InsecureTLS lists the live origins whose TLS certificates are not verified
	// (insecure_skip_verify).
	InsecureTLS []string `json:"insecure_tls,omitempty"`
}

// SpecInfo describes the served document.
type SpecInfo struct {
	Title      string `json:"title"`
	Version    string `json:"version"`
	OpenAPI    string `json:"openapi"` // the version the source declared
	Source     string `json:"source"`
	Operations int    `json:"operations"`
}

// ModeBody is the body of GET and PUT /__mockloop/mode (PUT also accepts ?mode=).
type ModeBody struct {
	Mode     plugin.Mode `json:"mode"`
	Previous plugin.Mode `json:"previous,omitempty"` // PUT only: the mode before the switch
}

// RequestsBody is the body of GET /__mockloop/requests.
type RequestsBody struct {
	Capacity int             `json:"capacity"` // how many requests the ring buffer keeps
	Requests []RequestRecord `json:"requests"` // newest first
}

// MetricsBody is the body of GET /__mockloop/metrics.
type MetricsBody struct {
	UptimeSeconds float64            `json:"uptime_seconds"`
	Operations    []OperationMetrics `json:"operations"` // only operations that were called
	// Live are the live side's own counts (attempts, retries, failures, broken answers, token
	// requests and refreshes); absent without a live side.
	Live map[string]int64 `json:"live,omitempty"`
}

// builtinAdmin are the admin endpoints of the server itself, with their methods.
var builtinAdmin = map[string]string{"status": "GET", "mode": "GET, PUT", "requests": "GET", "metrics": "GET",
	"metrics/prometheus": "GET", "health": "GET", "ready": "GET"}

// publicAdmin are the built-in endpoints any client may call: they hold no data, so that
// Kubernetes probes and Docker's HEALTHCHECK work from any address.
var publicAdmin = map[string]bool{"health": true, "ready": true}

// Probe is the body of GET /__mockloop/health and /__mockloop/ready.
type Probe struct {
	Status string `json:"status"` // "ok"
}

// admin serves /__mockloop/*: the built-in endpoints, then Config.Admin's routes by their first
// path segment.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, AdminPrefix), "/")
	first, _, _ := strings.Cut(name, "/")
	var route *AdminRoute
	for i := range s.cfg.Admin {
		if s.cfg.Admin[i].Name == first {
			route = &s.cfg.Admin[i]
			break
		}
	}
	public := publicAdmin[name] || (route != nil && route.Public)
	if !public && !s.adminAllowed(w, r) {
		return
	}
	methods := builtinAdmin[name]
	if route != nil {
		methods = route.Methods
	}
	if methods == "" {
		problem.Write(w, problem.Details{Status: http.StatusNotFound,
			Detail: fmt.Sprintf("no admin endpoint %s (have %s)", r.URL.Path, strings.Join(s.adminNames(), ", "))})
		return
	}
	if r.Method == http.MethodHead {
		r.Method = http.MethodGet
	}
	if !strings.Contains(methods, r.Method) {
		w.Header().Set("Allow", methods)
		problem.Write(w, problem.Details{Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s %s: allowed %s", r.Method, r.URL.Path, methods)})
		return
	}
	switch {
	case route != nil:
		route.Handler.ServeHTTP(w, r)
	case name == "health":
		// Liveness: the process answers.
		writeJSON(w, http.StatusOK, Probe{Status: "ok"})
	case name == "ready":
		// Readiness: a server exists only once its spec is loaded and prepared.
		writeJSON(w, http.StatusOK, Probe{Status: "ok"})
	case name == "status":
		writeJSON(w, http.StatusOK, s.Status())
	case name == "mode" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, ModeBody{Mode: s.Mode()})
	case name == "mode":
		s.putMode(w, r)
	case name == "requests":
		s.requests(w, r)
	case name == "metrics/prometheus" || (name == "metrics" && wantsPrometheus(r.Header.Get("Accept"))):
		s.prometheusHandler().ServeHTTP(w, r)
	case name == "metrics":
		body := MetricsBody{UptimeSeconds: s.uptime(), Operations: s.metrics.Snapshot()}
		if s.cfg.LiveCounters != nil {
			body.Live = map[string]int64{}
			for _, c := range s.cfg.LiveCounters() {
				body.Live[c.Name] = c.Value
			}
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// adminNames lists the admin endpoints, for messages.
func (s *Server) adminNames() []string {
	names := []string{"status", "mode", "requests", "metrics", "health", "ready"}
	for _, a := range s.cfg.Admin {
		names = append(names, a.Name)
	}
	return names
}

// WriteJSON answers an admin request with v as indented JSON (the admin API's one format).
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// adminAllowed: with a token, anyone presenting it; without, loopback clients only.
func (s *Server) adminAllowed(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.AdminToken != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AdminToken)) == 1 {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="mockloop admin"`)
		problem.Write(w, problem.Details{Status: http.StatusUnauthorized,
			Detail: "the admin API needs Authorization: Bearer <admin token>"})
		return false
	}
	if !isLoopback(r.RemoteAddr) {
		problem.Write(w, problem.Details{Status: http.StatusForbidden,
			Detail: "the admin API answers loopback clients only (start serve with --admin-token to open it)"})
		return false
	}
	if !localHost(r.Host) {
		// DNS rebinding: a page from evil.example whose name now resolves to 127.0.0.1 talks to
		// this server from the user's browser, a loopback client, with its own name as Host.
		problem.Write(w, problem.Details{Status: http.StatusForbidden,
			Detail: fmt.Sprintf("the admin API answers requests for a loopback name or an IP address only, not Host %q (start serve with --admin-token to use other names)", r.Host)})
		return false
	}
	return true
}

// localHost reports whether a Host header names this machine in a way DNS cannot rebind: an
// IP address, localhost or a name under .localhost (RFC 6761), with any port.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func (s *Server) uptime() float64 {
	return math.Round(time.Since(s.started).Seconds()*1000) / 1000
}

// Status reports what GET /__mockloop/status shows.
func (s *Server) Status() Status {
	st := Status{
		Mode:          s.Mode(),
		Plugin:        s.cfg.PluginName,
		Target:        s.redact.URL(s.cfg.Target),
		Live:          s.cfg.Live != nil,
		ModeOverride:  !s.cfg.NoModeOverride,
		StartedAt:     s.started.UTC().Format(time.RFC3339),
		UptimeSeconds: s.uptime(),
		Requests:      s.metrics.Counters(),
		Rules:         []route.RuleStat{},
		Spec:          SpecInfo{Source: s.cfg.Doc.Source, OpenAPI: s.cfg.Doc.SourceVersion, Operations: s.opCount},
		InsecureTLS:   s.cfg.InsecureTLS,
	}
	if t := s.cfg.Doc.T; t != nil && t.Info != nil {
		st.Spec.Title, st.Spec.Version = t.Info.Title, t.Info.Version
	}
	if s.cfg.Decider != nil {
		if rules := s.cfg.Decider.Stats(); rules != nil {
			st.Rules = rules
		}
	}
	for _, a := range s.cfg.Admin {
		if a.Status != nil {
			if st.Features == nil {
				st.Features = map[string]any{}
			}
			st.Features[a.Name] = a.Status()
		}
	}
	return st
}

func (s *Server) putMode(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("mode")
	if want == "" {
		var body ModeBody
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err == nil {
			err = json.Unmarshal(data, &body)
		}
		if err != nil {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid mode request",
				Detail: `send {"mode":"mock|proxy|hybrid"} or ?mode=: ` + err.Error()})
			return
		}
		want = string(body.Mode)
	}
	m, err := plugin.ParseMode(want)
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid mode", Detail: err.Error()})
		return
	}
	prev := s.Mode()
	if err := s.SetMode(m); err != nil {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Title: "Mode not available", Detail: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, ModeBody{Mode: m, Previous: prev})
}

func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid limit",
				Detail: fmt.Sprintf("limit must be a positive integer, got %q", v)})
			return
		}
		limit = n
	}
	method := strings.ToUpper(q.Get("method"))
	path := q.Get("path")
	prefix, isPrefix := strings.CutSuffix(path, "*")
	keep := func(e *entry) bool {
		if method != "" && e.method != method {
			return false
		}
		switch {
		case path == "":
			return true
		case isPrefix:
			return strings.HasPrefix(e.path, prefix)
		default:
			// The path as sent, or the operation's template: /pets/42 or /pets/{petId}.
			return e.path == path || strings.HasSuffix(e.operation, " "+path)
		}
	}
	entries := s.recent.recent(limit, keep)
	body := RequestsBody{Capacity: len(s.recent.buf), Requests: make([]RequestRecord, 0, len(entries))}
	for i := range entries {
		body.Requests = append(body.Requests, record(s.redact, &entries[i], true))
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // query strings keep their &
	if err := enc.Encode(v); err != nil {
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "encode admin answer: " + err.Error()})
		return
	}
	data := buf.Bytes()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(data)
}
