package compare

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

func (c *Comparer) compareBodies(res *Result, mock, live Response) {
	// The same bytes are the same document under every option (the common case of a mock
	// that agrees with its live API): no parse needed.
	if bytes.Equal(mock.Body, live.Body) {
		return
	}
	if isJSONish(mock) && isJSONish(live) {
		a, errA := ParseJSON(mock.Body)
		b, errB := ParseJSON(live.Body)
		if errA == nil && errB == nil {
			c.compareDocs(res, a, b)
			return
		}
	}
	if isText(mock.Body) && isText(live.Body) {
		compareText(res, mock.Body, live.Body)
		return
	}
	res.Differences = append(res.Differences, Difference{
		Location: "body", Kind: KindChanged,
		Mock: jsonString(byteSummary(mock.Body)), Live: jsonString(byteSummary(live.Body)),
	})
}

// isJSONish: a JSON media type, or no media type at all (then the body decides).
func isJSONish(r Response) bool {
	ct := r.ContentType
	if ct == "" && r.Header != nil {
		ct = r.Header.Get("Content-Type")
	}
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "/json")
}

func isText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

func byteSummary(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, sha256 %s", len(b), hex.EncodeToString(sum[:]))
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// compareText reports the first differing line ("line N", 1-based); a body that ends
// earlier is missing the line the other one has.
func compareText(res *Result, mock, live []byte) {
	ml := strings.Split(strings.ReplaceAll(string(mock), "\r\n", "\n"), "\n")
	ll := strings.Split(strings.ReplaceAll(string(live), "\r\n", "\n"), "\n")
	for i := 0; i < max(len(ml), len(ll)); i++ {
		d := Difference{Location: fmt.Sprintf("line %d", i+1)}
		switch {
		case i >= len(ll):
			d.Kind, d.Mock = KindMissing, jsonString(ml[i])
		case i >= len(ml):
			d.Kind, d.Live = KindExtra, jsonString(ll[i])
		case ml[i] != ll[i]:
			d.Kind, d.Mock, d.Live = KindChanged, jsonString(ml[i]), jsonString(ll[i])
		default:
			continue
		}
		res.Differences = append(res.Differences, d)
		return
	}
}

// perResponse headers differ from one response to the next by nature (dates, caching
// validators, sizes, cookies, tracing ids), and hop-by-hop headers (RFC 9110 section 7.6.1)
// describe the connection, not the answer: compare_headers: all leaves them out, and a
// declared one is compared for presence only.
var perResponse = map[string]bool{
	"Date": true, "Age": true, "Server": true, "Expires": true, "Last-Modified": true, "Etag": true,
	"Content-Length": true, "Via": true, "Set-Cookie": true, "Alt-Svc": true, "Report-To": true, "Nel": true,
	"X-Request-Id": true, "X-Correlation-Id": true, "X-Trace-Id": true, "Traceparent": true, "Tracestate": true,
	"Request-Id": true, "X-Amzn-Requestid": true, "X-Amzn-Trace-Id": true, "X-Amz-Request-Id": true,
	"X-Amz-Id-2": true, "X-Cloud-Trace-Context": true, "X-B3-Traceid": true, "X-B3-Spanid": true,
	"X-B3-Parentspanid": true, "X-B3-Sampled": true, "B3": true, "Cf-Ray": true, "X-Served-By": true,
	"X-Cache": true, "X-Cache-Hits": true, "X-Timer": true, "X-Runtime": true, "X-Response-Time": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// PerResponseHeader reports whether a header differs on every response by nature (Date,
// X-Request-Id, Set-Cookie...) or is hop-by-hop: compare_headers: all leaves it out.
func PerResponseHeader(name string) bool { return perResponse[http.CanonicalHeaderKey(name)] }

// headerRule is how one header is compared.
type headerRule uint8

const (
	headerSkip     headerRule = iota // not compared, not counted
	headerIgnored                    // not compared; a difference counts as ignored
	headerPresence                   // compared for presence only
	headerValue                      // compared by value
)

// headerRule decides how name is compared. IgnoreHeaders and X-Mockloop-* win, then
// IncludeHeaders, then the mode.
func (c *Comparer) headerRule(name string, declared map[string]bool) headerRule {
	switch {
	case c.ignoreHeaders[name] || strings.HasPrefix(name, "X-Mockloop-"):
		return headerIgnored
	case c.includeHeaders[name]:
		return headerValue
	}
	switch c.headerMode {
	case HeadersAll:
		if perResponse[name] {
			return headerIgnored
		}
		return headerValue
	case HeadersDeclared:
		switch {
		case name == "Content-Type":
			return headerValue
		case !declared[name]:
			return headerSkip
		case perResponse[name]:
			return headerPresence
		}
		return headerValue
	}
	return headerSkip
}

// compareHeaders compares header names case-insensitively. Values are compared as the sorted
// list of values; Content-Type by media type and normalised parameters; Set-Cookie (when
// included) by cookie names only, since values are session data.
func (c *Comparer) compareHeaders(res *Result, mock, live Response) {
	m, l := canonical(mock.Header), canonical(live.Header)
	var declared map[string]bool
	if c.headerMode == HeadersDeclared && len(mock.Declared)+len(live.Declared) > 0 {
		declared = make(map[string]bool, len(mock.Declared)+len(live.Declared))
		for _, d := range [][]string{mock.Declared, live.Declared} {
			for _, n := range d {
				declared[http.CanonicalHeaderKey(strings.TrimSpace(n))] = true
			}
		}
	}
	names := make([]string, 0, len(m)+len(l))
	for k := range m {
		names = append(names, k)
	}
	for k := range l {
		if _, ok := m[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		rule := c.headerRule(name, declared)
		if rule == headerSkip {
			continue
		}
		mv, mok := m[name]
		lv, lok := l[name]
		if mok == lok && (rule == headerPresence || headerValueOf(name, mv) == headerValueOf(name, lv)) {
			continue
		}
		if rule == headerIgnored {
			res.Ignored++
			continue
		}
		d := Difference{Location: "header " + name, Kind: KindHeader}
		if mok {
			d.Mock = jsonString(strings.Join(mv, ", "))
		}
		if lok {
			d.Live = jsonString(strings.Join(lv, ", "))
		}
		res.Differences = append(res.Differences, d)
	}
}

func canonical(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], v...)
	}
	return out
}

// headerValueOf is the comparable form of a header's values.
func headerValueOf(name string, vs []string) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		v = strings.TrimSpace(v)
		switch name {
		case "Content-Type":
			v = NormalizeMediaType(v)
		case "Set-Cookie":
			v, _, _ = strings.Cut(v, "=")
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return strings.Join(out, "\x00")
}

// NormalizeMediaType is a Content-Type value as compared: type, subtype and parameter names
// in lower case, parameters sorted, the charset's value in lower case, and a charset of utf-8
// on a JSON media type dropped (JSON has no other encoding, RFC 8259 section 8.1). A value
// that does not parse is compared as written, trimmed.
func NormalizeMediaType(v string) string {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return strings.TrimSpace(v)
	}
	if cs, ok := params["charset"]; ok {
		params["charset"] = strings.ToLower(cs)
		if params["charset"] == "utf-8" && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			delete(params, "charset")
		}
	}
	if out := mime.FormatMediaType(mt, params); out != "" {
		return out
	}
	return mt
}
