package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/mockloop/mockloop/internal/envref"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
)

// egress returns the transport's proxy function for an upstream_proxy value: "" is Go's
// http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; never for loopback targets),
// "none" is a direct connection, anything else the proxy at that URL, ${ENV} references in
// it resolved. The proxy's credentials are added to what Redact hides.
func (f *Forwarder) egress(v string, lookup func(string) (string, bool)) (func(*http.Request) (*url.URL, error), error) {
	switch strings.TrimSpace(v) {
	case "":
		return http.ProxyFromEnvironment, nil
	case plugin.NoUpstreamProxy:
		return nil, nil
	}
	if err := plugin.CheckUpstreamProxy(v); err != nil {
		return nil, fmt.Errorf("forward: upstream_proxy: %w", err)
	}
	raw, err := envref.Expand(v, lookup)
	if err != nil {
		return nil, fmt.Errorf("forward: upstream_proxy: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("forward: upstream_proxy: not a valid URL once its ${...} references are resolved")
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			f.proxySecret.Add(pw)
			f.proxySecret.AddPair(u.User.Username(), pw)
		}
	}
	return http.ProxyURL(u), nil
}

// buildTLS is base with a plugin's tls block applied: a private CA added to the system roots
// (or to base's), a client certificate, the server name, or no verification. A nil block is
// base as it is. Values are paths, ${ENV} references to paths, or ${ENV} references to PEM
// text; errors name the value as written, never its content.
func buildTLS(base *tls.Config, t *plugin.TLS, lookup func(string) (string, bool)) (*tls.Config, error) {
	if t == nil {
		return base, nil
	}
	c := base.Clone()
	if c == nil {
		c = &tls.Config{}
	}
	if t.CAFile != "" {
		data, err := readPEM("ca_file", t.CAFile, lookup)
		if err != nil {
			return nil, err
		}
		var pool *x509.CertPool
		if c.RootCAs != nil {
			pool = c.RootCAs.Clone()
		} else if sys, err := x509.SystemCertPool(); err == nil && sys != nil {
			pool = sys
		} else {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.ClientCert != "" || t.ClientKey != "" {
		if t.ClientCert == "" || t.ClientKey == "" {
			return nil, errors.New("client_cert and client_key go together")
		}
		certPEM, err := readPEM("client_cert", t.ClientCert, lookup)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readPEM("client_key", t.ClientKey, lookup)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client_cert %s and client_key %s: %s", t.ClientCert, t.ClientKey, strings.TrimPrefix(err.Error(), "tls: "))
		}
		c.Certificates = []tls.Certificate{pair}
	}
	if t.ServerName != "" {
		name, err := envref.Expand(t.ServerName, lookup)
		if err != nil {
			return nil, fmt.Errorf("server_name: %w", err)
		}
		c.ServerName = name
	}
	c.InsecureSkipVerify = t.InsecureSkipVerify
	return c, nil
}

// readPEM reads a TLS value: PEM text from a ${ENV} reference, or the file it names.
func readPEM(key, v string, lookup func(string) (string, bool)) ([]byte, error) {
	s, err := envref.Expand(v, lookup)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if strings.Contains(s, "-----BEGIN ") {
		return []byte(s), nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s %s: %v", key, v, err)
	}
	return data, nil
}

// redactHandler removes secrets from every line a slog handler writes: the message, string
// values, and anything else turned to text.
type redactHandler struct {
	h      slog.Handler
	redact func(string) string
}

func (rh *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return rh.h.Enabled(ctx, l) }

func (rh *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, rh.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rh.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = rh.attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		return slog.String(a.Key, rh.redact(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (rh *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = rh.attr(a)
	}
	return &redactHandler{h: rh.h.WithAttrs(out), redact: rh.redact}
}

func (rh *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: rh.h.WithGroup(name), redact: rh.redact}
}

func (f *Forwarder) logInfo(msg string, args ...any) {
	if f.log != nil {
		f.log.Info(msg, args...)
	}
}

func (f *Forwarder) logWarn(msg string, args ...any) {
	if f.log != nil {
		f.log.Warn(msg, args...)
	}
}

// redactURL is u as messages show it: no password, no secret query value, no credential.
func (f *Forwarder) redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return f.Redact(redact.Default.URLOf(u))
}

// redactWriter removes secrets from log lines before they reach w.
type redactWriter struct {
	w      io.Writer
	redact func(string) string
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := rw.w.Write([]byte(rw.redact(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CheckTLS builds a tls block's configuration to find what would stop serve: a CA file that
// is missing or holds no certificate, a client certificate that does not match its key.
// Values with ${ENV} references are resolved with lookup; when a variable is not set the
// block is not checked (ok is false).
func CheckTLS(t *plugin.TLS, lookup func(string) (string, bool)) (ok bool, err error) {
	if t == nil {
		return true, nil
	}
	for _, v := range []string{t.CAFile, t.ClientCert, t.ClientKey, t.ServerName} {
		for _, name := range envref.Names(v) {
			if _, set := lookupOrEnv(lookup)(name); !set {
				return false, nil
			}
		}
	}
	_, err = buildTLS(nil, t, lookup)
	return true, err
}
