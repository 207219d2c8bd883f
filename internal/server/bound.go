package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What one request log entry keeps at most: the ring holds DefaultRequestBuffer entries for
// as long as the server runs, and a client may send a megabyte of headers with each request
// (400 such requests held 1.8 GB before these bounds).
const (
	maxLoggedHeaders = 4 << 10 // bytes of names and values, per direction
	maxLoggedValue   = 512     // bytes of one header value once the headers are over the bound
	maxLoggedURL     = 2 << 10 // bytes of the path, and of the query
)

// truncMark ends a value that was cut; n is the original length in bytes.
func truncMark(n int) string { return "...[truncated, " + strconv.Itoa(n) + " bytes]" }

// boundString returns s, or its first max bytes (not cutting a UTF-8 sequence) marked as cut.
func boundString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + truncMark(len(s))
}

// boundHeader returns h itself when its names and values fit in maxLoggedHeaders bytes (the
// usual case: no copy), else a copy that does: long values cut to maxLoggedValue, and once the
// bound is reached the remaining headers (in name order) left out and counted in an
// X-Mockloop-Truncated header. Redaction happens when the entry is read, by header name, so a
// cut secret is masked like a whole one.
func boundHeader(h http.Header) http.Header {
	size := 0
	for k, vs := range h {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size <= maxLoggedHeaders {
		return h
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(http.Header, len(h))
	left, dropped := maxLoggedHeaders, 0
	for _, k := range keys {
		for _, v := range h[k] {
			v = boundString(v, maxLoggedValue)
			if len(k)+len(v) > left {
				dropped++
				continue
			}
			left -= len(k) + len(v)
			out[k] = append(out[k], v)
		}
	}
	if dropped > 0 {
		out["X-Mockloop-Truncated"] = []string{strconv.Itoa(dropped) + " header values left out of the log (over " + strconv.Itoa(maxLoggedHeaders>>10) + " KiB)"}
	}
	return out
}

// boundURL bounds the path and raw query an entry keeps.
func boundURL(path, rawQuery string) (string, string) {
	if len(path) > maxLoggedURL {
		path = boundString(path, maxLoggedURL)
	}
	if len(rawQuery) > maxLoggedURL {
		// Cut at a parameter boundary when there is one, so a secret parameter's name stays
		// with (the start of) its value and is still masked.
		q := rawQuery[:maxLoggedURL]
		if i := strings.LastIndexByte(q, '&'); i > 0 {
			q = q[:i]
		}
		rawQuery = q + "&" + truncMark(len(rawQuery))
	}
	return path, rawQuery
}

// appendLogSafe appends s (a decoded path, a raw query) to a text log line with what could
// forge a line or reach the terminal percent-encoded: control characters (a %0a in the path
// would start a fake log line, an ESC sequence would reach the terminal), spaces (the line's
// field separator), invalid UTF-8 and Unicode format characters such as bidi overrides. The
// common case, nothing to escape, appends s as is.
func appendLogSafe(b []byte, s string) []byte {
	i := 0
	for i < len(s) && s[i] > ' ' && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == ' ' || (r == utf8.RuneError && n == 1) || !unicode.IsPrint(r) {
			for _, c := range []byte(s[i : i+n]) {
				b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
			}
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

const hexDigits = "0123456789ABCDEF"

// logSafe reports whether b needs no escaping by appendLogSafe.
func logSafe(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
