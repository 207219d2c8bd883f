package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults for ForwardConfig fields left zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultRetryBackoff = 100 * time.Millisecond
	DefaultRetryMax     = 2 * time.Second
	DefaultMaxReplay    = 1 << 20
)

// idempotent lists the methods that may be retried without being marked retryable (RFC 9110 9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// retryStatus reports the statuses that are retried and that count as a live failure for fallback.
func retryStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// backoff returns the wait before retry number n (0-based): base·2ⁿ capped at max, with jitter
// over its upper half so that clients retrying together spread out.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits d or until ctx is done; it reports whether the full wait happened.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// failure is a classified upstream failure.
type failure struct {
	status    int    // 502 or 504
	cause     string // one line, secret-free
	retryable bool   // connect error, timeout, reset before the answer, 502/503/504
	client    bool   // the client's fault (body too large): answered as is, never a fallback
}

// errRetryStatus is returned from ModifyResponse for a 502/503/504 that will be retried or
// replaced by the fallback.
type errRetryStatus struct{ code int }

func (e errRetryStatus) Error() string { return fmt.Sprintf("upstream answered %d", e.code) }

// errUnauthorized is returned from ModifyResponse for a 401 that triggers an oauth2 refresh.
var errUnauthorized = errors.New("upstream answered 401")

// errTimeout is recorded when the attempt's timer fired.
var errTimeout = errors.New("timed out")

// classify turns a transport error into a status and cause. timeout is the attempt's limit.
func classify(err error, timedOut bool, timeout time.Duration) failure {
	var rs errRetryStatus
	switch {
	case timedOut || errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded):
		return failure{status: http.StatusGatewayTimeout, cause: fmt.Sprintf("no answer within %s", timeout), retryable: true}
	case errors.As(err, &rs):
		return failure{status: http.StatusBadGateway, cause: rs.Error(), retryable: true}
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return failure{status: http.StatusRequestEntityTooLarge, client: true,
			cause: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)}
	}
	if msg := safeError(err); strings.HasPrefix(msg, "proxyconnect ") {
		return failure{status: http.StatusBadGateway, cause: "cannot reach the egress proxy: " + strings.TrimPrefix(msg, "proxyconnect "), retryable: true}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return failure{status: http.StatusBadGateway, cause: "cannot resolve host " + dnsErr.Name, retryable: true}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return failure{status: http.StatusBadGateway, cause: "connection refused", retryable: true}
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &unknownCA):
		return failure{status: http.StatusBadGateway, cause: "TLS: certificate signed by an unknown authority", retryable: false}
	case errors.As(err, &hostErr):
		return failure{status: http.StatusBadGateway, cause: "TLS: " + hostErr.Error(), retryable: false}
	case errors.As(err, &invalid):
		return failure{status: http.StatusBadGateway, cause: "TLS: " + invalid.Error(), retryable: false}
	case errors.As(err, &certErr):
		return failure{status: http.StatusBadGateway, cause: "TLS: certificate verification failed", retryable: false}
	case errors.As(err, &recordErr):
		return failure{status: http.StatusBadGateway, cause: "TLS: upstream did not answer with TLS", retryable: false}
	case errors.As(err, &alert):
		return failure{status: http.StatusBadGateway, cause: "TLS: " + alert.Error(), retryable: false}
	}
	if msg := safeError(err); strings.Contains(msg, "remote error: tls: ") {
		_, alertText, _ := strings.Cut(msg, "remote error: tls: ")
		cause := "TLS: the upstream refused the handshake: " + alertText
		if strings.Contains(alertText, "certificate required") || strings.Contains(alertText, "bad certificate") {
			cause += " (it wants a client certificate: tls.client_cert and tls.client_key)"
		}
		return failure{status: http.StatusBadGateway, cause: cause, retryable: false}
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return failure{status: http.StatusBadGateway, cause: "connection reset by upstream", retryable: true}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return failure{status: http.StatusBadGateway, cause: "upstream closed the connection before answering", retryable: true}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return failure{status: http.StatusBadGateway, cause: "cannot connect: " + safeError(err), retryable: true}
	}
	return failure{status: http.StatusBadGateway, cause: safeError(err), retryable: false}
}

// safeError is err's message without any URL: a *url.Error embeds the whole request URL, query
// string included, which may hold an api key. Only the wrapped cause is kept.
func safeError(err error) string {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) {
			return err.Error()
		}
		err = ue.Err
	}
}
