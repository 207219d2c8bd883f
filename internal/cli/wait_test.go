package cli

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
)

func TestWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens yet
	started := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			close(started)
			return
		}
		close(started)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/ok" {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})}
		t.Cleanup(func() { srv.Close() })
		srv.Serve(ln)
	}()
	ios, _, _, errOut := iostreams.Test()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, HTTPClient: &http.Client{}}
	if code := Run(t.Context(), f, []string{"wait", "http://" + addr + "/ok", "--timeout", "10s", "--interval", "50ms"}); code != 0 {
		t.Errorf("wait for a server that starts: exit %d: %s", code, errOut.String())
	}
	<-started
	errOut.Reset()
	code := Run(t.Context(), f, []string{"wait", "http://" + addr + "/down?token=SECRET", "--timeout", "3s", "--interval", "50ms"})
	if code != 2 || !strings.Contains(errOut.String(), "answered 503 Service Unavailable") || strings.Contains(errOut.String(), "SECRET") {
		t.Errorf("a server that never answers 2xx: exit %d: %q", code, errOut.String())
	}
	if code := Run(t.Context(), f, []string{"wait", "ftp://x"}); code != 2 {
		t.Errorf("bad URL: exit %d", code)
	}
}
