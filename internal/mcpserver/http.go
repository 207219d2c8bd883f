package mcpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// HTTPPath is where the Streamable HTTP transport is served: http://ADDR/mcp.
const HTTPPath = "/mcp"

// httpSessionTimeout closes a session whose client has sent nothing for that long (a client
// that went away without DELETE must not hold a session forever).
const httpSessionTimeout = 30 * time.Minute

// HTTPHandler is the Streamable HTTP transport of the MCP specification (the SDK's) at
// HTTPPath, every session talking to this one server. With a token, every request must carry
// "Authorization: Bearer TOKEN" (else 401); without, the SDK's own protection refuses requests
// that reach a loopback listener under another host name (DNS rebinding), and cross-origin
// browser requests are refused either way.
func (s *Server) HTTPHandler(token string) http.Handler {
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{Logger: s.log, SessionTimeout: httpSessionTimeout})
	if token != "" {
		want := []byte(token)
		verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
			if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
				return nil, auth.ErrInvalidToken
			}
			return &auth.TokenInfo{}, nil
		}
		h = auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	}
	mux := http.NewServeMux()
	mux.Handle(HTTPPath, http.NewCrossOriginProtection().Handler(h))
	return mux
}

// ServeHTTP serves the Streamable HTTP transport on ln until ctx is done, then stops: the
// sessions' streams are cut after a short grace period, and the plugins are unloaded.
// Errors (the server's own) go to the logger.
func (s *Server) ServeHTTP(ctx context.Context, ln net.Listener, token string) error {
	defer s.Close()
	hs := &http.Server{
		Handler:           s.HTTPHandler(token),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(logWriter{s}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// Open event streams never go idle: give calls in flight a moment, then close.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// logWriter turns net/http's error log lines into warnings.
type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.log.Warn("http", "error", string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
