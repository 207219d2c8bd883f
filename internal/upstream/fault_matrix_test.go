package upstream

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
)

// faultServer is the loopback upstream of the fault matrix: one path per fault. It counts the
// requests each path received.
type faultServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func (fs *faultServer) hit(path string) {
	fs.mu.Lock()
	fs.hits[path]++
	fs.mu.Unlock()
}

func (fs *faultServer) count(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path]
}

// hijack takes the raw connection of a request, for the faults HTTP cannot express.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	return conn, buf
}

func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // an RST, not a FIN
	}
	conn.Close()
}

func newFaultServer(t *testing.T, other string, hugeSize int64, done <-chan struct{}) *faultServer {
	fs := &faultServer{hits: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/reset-before", func(w http.ResponseWriter, r *http.Request) {
		conn, _ := hijack(w)
		reset(conn)
	})
	// Broken bodies, after a little (held back: nothing has reached the client yet) and after
	// 256 KiB (past what is held back: the client has part of the answer).
	resetAfter := func(n int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			conn, buf := hijack(w)
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"only\":\"the beginning%s", n+1000, strings.Repeat(" ", n))
			buf.Flush()
			time.Sleep(100 * time.Millisecond) // let what was sent be read before the RST
			reset(conn)
		}
	}
	mux.HandleFunc("/reset-mid-body", resetAfter(0))
	mux.HandleFunc("/reset-late", resetAfter(256<<10))
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	stallAfter := func(n int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(n+1000))
			io.WriteString(w, `{"partial":`+strings.Repeat(" ", n-11))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}
	}
	mux.HandleFunc("/stalled-body", stallAfter(11))
	mux.HandleFunc("/stalled-late", stallAfter(256<<10))
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for i := range 10 {
			fmt.Fprint(w, i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond) // each piece well within the 300ms timeout
		}
	})
	for _, code := range []int{500, 502, 503} {
		mux.HandleFunc("/"+strconv.Itoa(code), func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream's own "+strconv.Itoa(code), code)
		})
	}
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+"/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		for _, part := range []string{"chunk-1 ", "chunk-2 ", "chunk-3"} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Checksum", "c0ffee")
	})
	mux.HandleFunc("/bad-chunking", func(w http.ResponseWriter, r *http.Request) {
		conn, buf := hijack(w)
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nnot a chunk\r\n")
		buf.Flush()
		conn.Close()
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(hugeSize, 10))
		io.Copy(w, &zeroReader{n: hugeSize})
	})
	fs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.hit(r.URL.Path)
		if os.Getenv("FAULT_DEBUG") != "" {
			t.Logf("hit %s %s from %s at %s", r.Method, r.URL.Path, r.RemoteAddr, time.Now().Format("15:04:05.000"))
		}
		mux.ServeHTTP(w, r)
	}))
	fs.Config.ErrorLog = log.New(io.Discard, "", 0)
	fs.Start()
	t.Cleanup(fs.Close)
	return fs
}

// front serves f as the server package does: a broken answer is aborted.
func front(t *testing.T, f *Forwarder, fallback bool) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var fb func(string)
		if fallback {
			fb = func(cause string) {
				w.Header().Set("X-Mockloop-Fallback", cause)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"from":"mock"}`)
			}
		}
		if err := f.Forward(w, r, spec.Match{}, fb); err != nil {
			panic(http.ErrAbortHandler)
		}
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(s.Close)
	return s
}

// rssMiB is the process's resident memory now (VmRSS) and at its peak since the last
// resetPeak (VmHWM); zero where /proc is missing.
func rssMiB() (now, peak int) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		for key, dst := range map[string]*int{"VmRSS:": &now, "VmHWM:": &peak} {
			if v, ok := strings.CutPrefix(line, key); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				*dst = kb / 1024
			}
		}
	}
	return now, peak
}

// resetPeak restarts VmHWM (Linux: 5 to clear_refs); false where it cannot.
func resetPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o600) == nil
}

// outcome is what a client saw for one request.
type outcome struct {
	status   int
	cut      bool // the body ended with an error: the answer was aborted
	body     []byte
	bytes    int64
	header   http.Header
	trailer  http.Header
	attempts int // the problem+json's attempt count, when it is one
	detail   string
}

func fetch(t *testing.T, c *http.Client, method, url string, keep bool) outcome {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return outcome{cut: true, detail: err.Error()}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode, header: resp.Header}
	var w io.Writer = io.Discard
	var sb strings.Builder
	if keep {
		w = &sb
	}
	o.bytes, err = io.Copy(w, resp.Body)
	o.cut = err != nil
	o.body, o.trailer = []byte(sb.String()), resp.Trailer
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		var p struct {
			Detail string            `json:"detail"`
			Errors []json.RawMessage `json:"errors"`
		}
		json.Unmarshal(o.body, &p)
		o.detail, o.attempts = p.Detail, len(p.Errors)
	}
	return o
}

// TestFaultMatrix runs every upstream fault through the forwarder: the status and problem+json
// the client gets, the attempts the upstream saw (retries only for idempotent methods and only
// for connect errors, timeouts and 502/503/504), a wait bounded by the timeout, redirects
// passed on and never followed, the fallback's cause for each failure, no goroutine left
// behind and memory bounded (a 1 GB body streams through under 64 MB). With -v it prints the
// table: fault, status, time, attempts, RSS after.
func TestFaultMatrix(t *testing.T) {
	hugeSize := int64(1 << 30)
	if testing.Short() {
		hugeSize = 64 << 20
	}
	baseGoroutines := runtime.NumGoroutine()
	done := make(chan struct{})
	var otherHits int
	var otherMu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherMu.Lock()
		otherHits++
		otherMu.Unlock()
	}))
	fs := newFaultServer(t, other.URL, hugeSize, done)
	selfSigned := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0)
	selfSigned.StartTLS()

	const timeout = 300 * time.Millisecond
	cfg := func(target string) ForwardConfig {
		return ForwardConfig{Target: target, Timeout: timeout, RetryCount: 2, RetryBackoff: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond}
	}
	forwarders := map[string]*Forwarder{
		"faults":  fwNew(t, cfg(fs.URL)),
		"refused": fwNew(t, cfg(closedPort(t))),
		// The handshake is the fault here, not its speed: a loaded machine under -race took
		// more than 300ms over it, which timed out and retried.
		"self-signed": fwNew(t, func() ForwardConfig { c := cfg(selfSigned.URL); c.Timeout = 10 * time.Second; return c }()),
	}
	fronts, fallbacks := map[string]*httptest.Server{}, map[string]*httptest.Server{}
	for k, f := range forwarders {
		fronts[k], fallbacks[k] = front(t, f, false), front(t, f, true)
	}
	// The client never follows redirects: what the proxy answers is what is checked.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		name, via, method, path string
		wantStatus              int    // 0: the answer is cut after its status
		wantSent                int    // the status sent before a cut
		wantAttempts            int    // requests the upstream saw (or the problem lists)
		wantDetail              string // in the problem+json detail, or the body
		wantFallback            string // in X-Mockloop-Fallback; "" when the fallback must not answer
		check                   func(t *testing.T, o outcome)
	}{
		{"refuses", "refused", "GET", "/x", 502, 0, 3, "connection refused (3 attempts", "connection refused", nil},
		{"refuses, POST not retried", "refused", "POST", "/x", 502, 0, 1, "connection refused (1 attempt", "connection refused", nil},
		{"reset before the headers", "faults", "GET", "/reset-before", 502, 0, 3, "(3 attempts", "connection", nil},
		{"reset before the headers, POST", "faults", "POST", "/reset-before", 502, 0, 1, "(1 attempt", "connection", nil},
		{"reset mid-body, nothing sent yet", "faults", "GET", "/reset-mid-body", 502, 0, 1, "answered 200, then the connection was reset mid-body after 22 bytes (1 attempt", "the connection was reset mid-body after 22 bytes", nil},
		{"reset mid-body after 256 KiB", "faults", "GET", "/reset-late", 0, 200, 1, "", "", nil},
		{"headers slower than the timeout", "faults", "GET", "/slow-headers", 504, 0, 3, "no answer within 300ms (3 attempts", "no answer within 300ms", nil},
		{"body stalled past the timeout, nothing sent yet", "faults", "GET", "/stalled-body", 504, 0, 1, "answered 200, then its body stalled: nothing for 300ms after 11 bytes (1 attempt", "its body stalled: nothing for 300ms after 11 bytes", nil},
		{"body stalled after 256 KiB", "faults", "GET", "/stalled-late", 0, 200, 1, "", "", nil},
		{"trickled body within the timeout", "faults", "GET", "/trickle", 200, 0, 1, "0123456789", "", nil},
		{"500 passed on", "faults", "GET", "/500", 500, 0, 1, "upstream's own 500", "", nil},
		{"502 retried, then passed on", "faults", "GET", "/502", 502, 0, 3, "upstream's own 502", "upstream answered 502", nil},
		{"503 retried, then passed on", "faults", "GET", "/503", 503, 0, 3, "upstream's own 503", "upstream answered 503", nil},
		{"503 on POST not retried", "faults", "POST", "/503", 503, 0, 1, "upstream's own 503", "upstream answered 503", nil},
		{"self-signed certificate", "self-signed", "GET", "/x", 502, 0, 1, "TLS: certificate signed by an unknown authority (1 attempt", "TLS: certificate signed by an unknown authority", nil},
		{"redirect to another host", "faults", "GET", "/redirect", 302, 0, 1, "", "", func(t *testing.T, o outcome) {
			if loc := o.header.Get("Location"); loc != other.URL+"/elsewhere" {
				t.Errorf("Location %q, want the upstream's", loc)
			}
		}},
		{"chunked with trailers", "faults", "GET", "/trailers", 200, 0, 1, "chunk-1 chunk-2 chunk-3", "", func(t *testing.T, o outcome) {
			if o.trailer.Get("X-Checksum") != "c0ffee" {
				t.Errorf("trailer %v, want X-Checksum", o.trailer)
			}
		}},
		// A chunked answer is streamed: its first chunk goes to the client as it comes.
		{"bad chunking", "faults", "GET", "/bad-chunking", 0, 200, 1, "", "", nil},
		{fmt.Sprintf("%d MiB streamed", hugeSize>>20), "faults", "GET", "/huge", 200, 0, 1, "", "", func(t *testing.T, o outcome) {
			if o.bytes != hugeSize {
				t.Errorf("%d bytes arrived, want %d", o.bytes, hugeSize)
			}
		}},
	}
	type row struct {
		fault, status, took, attempts, rss, fallback string
	}
	var rows []row
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fs.count(tt.path)
			huge := tt.path == "/huge"
			peakReset := huge && resetPeak()
			start := time.Now()
			o := fetch(t, client, tt.method, fronts[tt.via].URL+tt.path, !huge)
			took := time.Since(start)
			rss, peak := rssMiB()

			status := strconv.Itoa(o.status)
			switch {
			case tt.wantStatus == 0:
				if !o.cut || (o.status != 0 && o.status != tt.wantSent) {
					t.Errorf("status %d, cut %v: want %d sent, then cut", o.status, o.cut, tt.wantSent)
				}
				status = fmt.Sprintf("%d sent, body cut", tt.wantSent)
			case o.status != tt.wantStatus || o.cut:
				t.Errorf("status %d (cut %v), want %d: %s %s", o.status, o.cut, tt.wantStatus, o.body, o.detail)
			}
			attempts := o.attempts
			if tt.via == "faults" {
				attempts = fs.count(tt.path) - before
			}
			if attempts != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", attempts, tt.wantAttempts)
			}
			if tt.wantDetail != "" && !strings.Contains(o.detail+string(o.body), tt.wantDetail) {
				t.Errorf("answer %q %q, want %q", o.detail, o.body, tt.wantDetail)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
			// A bound on the wait, not a speed: every attempt's timeout, the backoffs, slack.
			if limit := time.Duration(tt.wantAttempts)*timeout + time.Second + 10*time.Second; !huge && took > limit {
				t.Errorf("took %s, more than %s", took, limit)
			}
			if huge && peakReset && !raceEnabled && peak > 64 {
				t.Errorf("memory peaked at %d MiB streaming %d MiB", peak, hugeSize>>20)
			}
			if huge {
				status += fmt.Sprintf(" (%d MiB, peak RSS %d MiB)", o.bytes>>20, peak)
			}

			// The same fault with a fallback: the mock answers and says why, or, when the
			// upstream's answer stands, is not asked.
			fb := "-"
			if !huge {
				f := fetch(t, client, tt.method, fallbacks[tt.via].URL+tt.path, true)
				cause := f.header.Get("X-Mockloop-Fallback")
				switch {
				case tt.wantFallback == "" && cause != "":
					t.Errorf("fallback %q for an answer that stands", cause)
				case tt.wantFallback == "" && f.cut != (tt.wantStatus == 0):
					t.Errorf("with fallback: cut %v, want %v as without", f.cut, tt.wantStatus == 0)
				case tt.wantFallback != "" && (!strings.Contains(cause, tt.wantFallback) || string(f.body) != `{"from":"mock"}` || f.status != 200):
					t.Errorf("with fallback: %d %q, cause %q, want %q", f.status, f.body, cause, tt.wantFallback)
				}
				if cause != "" {
					fb = cause
				}
			}
			rows = append(rows, row{tt.name, status, roundDuration(took), strconv.Itoa(attempts), fmt.Sprintf("%d MiB", rss), fb})
		})
	}
	otherMu.Lock()
	if otherHits != 0 {
		t.Errorf("the redirect's other host got %d requests: followed", otherHits)
	}
	otherMu.Unlock()

	close(done)
	for k := range forwarders {
		fronts[k].Close()
		fallbacks[k].Close()
		forwarders[k].Close()
	}
	fs.Close()
	other.Close()
	selfSigned.Close()
	client.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, baseGoroutines)
	runtime.GC()
	rss, _ := rssMiB()

	var b strings.Builder
	b.WriteString("\n| fault | status | time | attempts | RSS after | X-Mockloop-Fallback |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.fault, r.status, r.took, r.attempts, r.rss, r.fallback)
	}
	fmt.Fprintf(&b, "goroutines back to the baseline of %d; RSS after all, GC'd: %d MiB\n", baseGoroutines, rss)
	t.Log(b.String())
	if rss > 128 && !raceEnabled {
		t.Errorf("RSS after the matrix: %d MiB", rss)
	}
}
