package upstream

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

// tlsUpstream serves echoHandler over TLS with the test PKI's server certificate; with
// clientAuth it requires a client certificate signed by the test CA.
func tlsUpstream(t *testing.T, p *testPKI, clientAuth bool) *httptest.Server {
	t.Helper()
	up := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	if clientAuth {
		up.TLS.ClientAuth, up.TLS.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
	}
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	up.StartTLS()
	t.Cleanup(up.Close)
	return up
}

func TestForwardUpstreamTLS(t *testing.T) {
	p := newTestPKI(t)
	plain := tlsUpstream(t, p, false)
	mtls := tlsUpstream(t, p, true)
	env := map[string]string{"CA_FILE": p.caFile, "KEY_PEM": string(p.clientKeyPEM)}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name       string
		target     string
		tls        *plugin.TLS
		endpoints  []plugin.Endpoint
		path       string
		wantStatus int
		wantDetail string
		insecure   bool
	}{
		{"private CA unknown without ca_file", plain.URL, nil, nil, "/x", 502, "TLS: certificate signed by an unknown authority", false},
		{"private CA with ca_file", plain.URL, &plugin.TLS{CAFile: p.caFile}, nil, "/x", 200, "", false},
		{"ca_file as an env reference", plain.URL, &plugin.TLS{CAFile: "${CA_FILE}"}, nil, "/x", 200, "", false},
		{"server_name checked", plain.URL, &plugin.TLS{CAFile: p.caFile, ServerName: "other.internal"}, nil, "/x", 502, "TLS: x509: certificate is valid for api.internal, not other.internal", false},
		{"server_name accepted", plain.URL, &plugin.TLS{CAFile: p.caFile, ServerName: "api.internal"}, nil, "/x", 200, "", false},
		{"insecure_skip_verify", plain.URL, &plugin.TLS{InsecureSkipVerify: true}, nil, "/x", 200, "", true},
		{"mTLS without a client certificate", mtls.URL, &plugin.TLS{CAFile: p.caFile}, nil, "/x", 502, "TLS", false},
		{"mTLS with a client certificate", mtls.URL, &plugin.TLS{CAFile: p.caFile, ClientCert: p.clientCert, ClientKey: "${KEY_PEM}"}, nil, "/x", 200, "", false},
		{"an endpoint's tls replaces the plugin's", mtls.URL, &plugin.TLS{CAFile: p.caFile},
			[]plugin.Endpoint{{Path: "/secure/**", TLS: &plugin.TLS{CAFile: p.caFile, ClientCert: p.clientCert, ClientKey: p.clientKey}}}, "/secure/x", 200, "", false},
		{"other paths keep the plugin's", mtls.URL, &plugin.TLS{CAFile: p.caFile},
			[]plugin.Endpoint{{Path: "/secure/**", TLS: &plugin.TLS{CAFile: p.caFile, ClientCert: p.clientCert, ClientKey: p.clientKey}}}, "/open", 502, "TLS", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := fwNew(t, ForwardConfig{Target: tt.target, TLS: tt.tls, Endpoints: tt.endpoints, LookupEnv: lookup,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			front := fwFront(t, f, nil)
			resp, body := fwGet(t, mustReq(t, "GET", front.URL+tt.path))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantDetail != "" {
				if _, detail := problemOf(t, resp, body); !strings.Contains(detail, tt.wantDetail) {
					t.Errorf("detail %q, want %q", detail, tt.wantDetail)
				}
			}
			if got := f.InsecureTLS(); (len(got) == 1 && got[0] == tt.target) != tt.insecure {
				t.Errorf("InsecureTLS = %v", got)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "insecure_skip_verify")
			if warned != tt.insecure {
				t.Errorf("insecure warning %v, want %v:\n%s", warned, tt.insecure, logs.String())
			}
			if strings.Contains(logs.String(), "PRIVATE KEY") {
				t.Errorf("the key reached the log")
			}
		})
	}
}

func TestForwardTLSConfigErrors(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	junk := writeFile(t, dir, "junk.pem", []byte("not pem"))
	tests := []struct {
		name string
		tls  *plugin.TLS
		want string
	}{
		{"missing ca file", &plugin.TLS{CAFile: dir + "/nope.pem"}, "forward: tls: ca_file " + dir + "/nope.pem: no such file or directory"},
		{"not a certificate", &plugin.TLS{CAFile: junk}, "ca_file " + junk + ": no PEM certificate in it"},
		{"half a pair", &plugin.TLS{ClientCert: p.clientCert}, "client_cert and client_key go together"},
		{"mismatched pair", &plugin.TLS{ClientCert: p.clientCert, ClientKey: p.serverKey}, "client_cert " + p.clientCert + " and client_key " + p.serverKey + ": private key does not match public key"},
		{"unset variable", &plugin.TLS{CAFile: "${NO_SUCH_CA}"}, "ca_file: environment variable NO_SUCH_CA is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewForwarder(ForwardConfig{Target: "https://api.internal", TLS: tt.tls, LookupEnv: func(string) (string, bool) { return "", false }})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("PEM content in the error: %v", err)
			}
		})
	}
}

// fakeProxy is an egress proxy: absolute-form requests are answered with what it saw, CONNECT
// tunnels go to tunnelTo whatever they name.
type fakeProxy struct {
	*httptest.Server
	mu       sync.Mutex
	seen     []string // request lines: "GET http://api.example.test/x" or "CONNECT api.example.test:443"
	auth     []string // Proxy-Authorization headers
	tunnelTo string
}

func newFakeProxy(t *testing.T, tunnelTo string) *fakeProxy {
	fp := &fakeProxy{tunnelTo: tunnelTo}
	fp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		fp.seen = append(fp.seen, r.Method+" "+r.RequestURI)
		fp.auth = append(fp.auth, r.Header.Get("Proxy-Authorization"))
		fp.mu.Unlock()
		if r.Method != http.MethodConnect {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"via":"proxy","host":"`+r.Host+`","path":"`+r.URL.Path+`"}`)
			return
		}
		back, err := net.Dial("tcp", fp.tunnelTo)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			back.Close()
			return
		}
		go func() { io.Copy(back, buf); back.Close() }()
		io.Copy(conn, back)
		conn.Close()
	}))
	t.Cleanup(fp.Close)
	return fp
}

func (fp *fakeProxy) requests() ([]string, []string) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return append([]string(nil), fp.seen...), append([]string(nil), fp.auth...)
}

func TestForwardEgressProxy(t *testing.T) {
	p := newTestPKI(t)
	tlsUp := tlsUpstream(t, p, false)
	fp := newFakeProxy(t, strings.TrimPrefix(tlsUp.URL, "https://"))
	env := map[string]string{"PROXY_PASS": "proxy-pw-secret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	proxyURL := strings.Replace(fp.URL, "http://", "http://egress:${PROXY_PASS}@", 1)
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("egress:proxy-pw-secret"))

	t.Run("http target through the proxy", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: "http://api.example.test/v1", Proxy: proxyURL, LookupEnv: lookup})
		front := fwFront(t, f, nil)
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/pets"))
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"host":"api.example.test","path":"/v1/pets"`) {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		seen, auth := fp.requests()
		if seen[len(seen)-1] != "GET http://api.example.test/v1/pets" || auth[len(auth)-1] != wantAuth {
			t.Errorf("the proxy saw %v with %v", seen, auth)
		}
	})
	t.Run("the client cannot choose the destination", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: "http://api.example.test", Proxy: proxyURL, LookupEnv: lookup})
		front := fwFront(t, f, nil)
		conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET http://evil.example/steal HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `"host":"api.example.test","path":"/steal"`) {
			t.Errorf("answer %s", body)
		}
		seen, _ := fp.requests()
		for _, s := range seen {
			if strings.Contains(s, "evil") {
				t.Errorf("the proxy was asked for %s", s)
			}
		}
	})
	t.Run("https target through CONNECT, private CA and server_name", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: "https://api.internal/v2", Proxy: proxyURL, LookupEnv: lookup,
			TLS: &plugin.TLS{CAFile: p.caFile}})
		front := fwFront(t, f, nil)
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/pets"))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if e := decodeEcho(t, body); e.Path != "/v2/pets" || e.Host != "api.internal" {
			t.Errorf("upstream saw %s %s", e.Host, e.Path)
		}
		seen, auth := fp.requests()
		if seen[len(seen)-1] != "CONNECT api.internal:443" || auth[len(auth)-1] != wantAuth {
			t.Errorf("the proxy saw %v with %v", seen, auth)
		}
	})
	t.Run("none connects directly", func(t *testing.T) {
		f := fwNew(t, ForwardConfig{Target: "http://api.example.test", Proxy: "none"})
		front := fwFront(t, f, nil)
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/pets"))
		if resp.StatusCode != 502 || !strings.Contains(string(body), "cannot resolve host api.example.test") {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("a proxy that is down, without its password", func(t *testing.T) {
		var logs bytes.Buffer
		down := strings.Replace(closedPort(t), "http://", "http://egress:${PROXY_PASS}@", 1)
		f := fwNew(t, ForwardConfig{Target: "https://api.internal", Proxy: down, LookupEnv: lookup, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		front := fwFront(t, f, nil)
		resp, body := fwGet(t, mustReq(t, "GET", front.URL+"/pets"))
		if resp.StatusCode != 502 || !strings.Contains(string(body), "cannot reach the egress proxy") {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if all := string(body) + logs.String(); strings.Contains(all, "proxy-pw-secret") || strings.Contains(all, base64.StdEncoding.EncodeToString([]byte("egress:proxy-pw-secret"))) {
			t.Errorf("the proxy password leaked:\n%s", all)
		}
	})
	t.Run("bad proxy settings", func(t *testing.T) {
		for _, v := range []string{"ftp://proxy:21", "http://u:${UNSET_PW}@proxy:3128"} {
			if _, err := NewForwarder(ForwardConfig{Target: "http://x", Proxy: v, LookupEnv: lookup}); err == nil || !strings.Contains(err.Error(), "upstream_proxy") {
				t.Errorf("%s: err = %v", v, err)
			}
		}
	})
}
