package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"time"
)

// selfSignedLifetime is how long a --tls-self-signed certificate is valid.
const selfSignedLifetime = 7 * 24 * time.Hour

// serveTLS is serve's TLS configuration: nil for plain HTTP; --tls-cert/--tls-key loaded, or
// with --tls-self-signed a throw-away certificate whose fingerprint is printed on w. HTTP/2 and
// HTTP/1.1 are offered.
func serveTLS(w io.Writer, opts *serveOptions) (*tls.Config, error) {
	var cert tls.Certificate
	switch {
	case opts.TLSCert != "":
		var err error
		if cert, err = tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey); err != nil {
			return nil, usageErrorf("--tls-cert %s, --tls-key %s: %s", opts.TLSCert, opts.TLSKey, strings.TrimPrefix(err.Error(), "tls: "))
		}
	case opts.TLSSelfSigned:
		var err error
		if cert, err = selfSigned(time.Now()); err != nil {
			return nil, fmt.Errorf("serve: --tls-self-signed: %w", err)
		}
		sum := sha256.Sum256(cert.Leaf.Raw)
		pin := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
		fmt.Fprintf(w, "tls: self-signed certificate for localhost, 127.0.0.1 and ::1, valid until %s\n", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "tls: SHA-256 fingerprint %s\n", fingerprint(sum[:]))
		fmt.Fprintf(w, "tls: public key pin sha256//%s (curl --insecure --pinnedpubkey sha256//...)\n", base64.StdEncoding.EncodeToString(pin[:]))
	default:
		return nil, nil
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, nil
}

// selfSigned makes an ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1.
func selfSigned(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"mockloop (self-signed)"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(selfSignedLifetime),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// fingerprint is a digest as colon-separated upper-case hex, as browsers and openssl show it.
func fingerprint(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
