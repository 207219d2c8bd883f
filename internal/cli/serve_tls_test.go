package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
)

// lockedBuffer is a bytes.Buffer that serve may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServe runs serve with opts until the test ends and returns its base URL.
func startServe(t *testing.T, opts *serveOptions, errOut *lockedBuffer) string {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	ios.ErrOut = errOut
	opts.IO, opts.Plugins = ios, plugin.NewStore(t.TempDir())
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	opts.Flags.Addr = &opts.Addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`listening on (\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve not listening:\n%s", errOut)
	return ""
}

// TestServeTLSSelfSigned: --tls-self-signed serves HTTPS with HTTP/2, and the fingerprint it
// prints is the certificate's.
func TestServeTLSSelfSigned(t *testing.T) {
	var errOut lockedBuffer
	base := startServe(t, &serveOptions{TLSSelfSigned: true, ShutdownTimeout: time.Second, Quiet: true}, &errOut)
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("listening on %s", base)
	}
	m := regexp.MustCompile(`tls: SHA-256 fingerprint ([0-9A-F:]{95})\n`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no fingerprint:\n%s", errOut.String())
	}
	// Trust exactly the certificate with that fingerprint.
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			sum := sha256.Sum256(raw[0])
			if fingerprint(sum[:]) != m[1] {
				return errors.New("fingerprint mismatch")
			}
			return nil
		},
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(base + "/books")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.Header.Get("X-Mockloop-Mode") != "mock" {
		t.Errorf("%s %d %v: %s", resp.Proto, resp.StatusCode, resp.Header, body)
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	now := time.Now()
	cert, err := selfSigned(now)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, CurrentTime: now}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("valid for example.com")
	}
}

func TestServeTLSFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"cert without key", []string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{"both ways", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed"}, "not both"},
		{"missing files", []string{"--tls-cert", dir + "/c.pem", "--tls-key", dir + "/k.pem", "--addr", "127.0.0.1:0"}, "--tls-cert " + dir + "/c.pem, --tls-key " + dir + "/k.pem: open"},
		{"bad log level", []string{"--log-level", "loud", "--addr", "127.0.0.1:0"}, `--log-level: invalid log level "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, pluginsDirFlag: dir}
			cmd := newServeCmd(f, nil)
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if code := exitCode(err); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
		})
	}
}
