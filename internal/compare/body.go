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
	if len(mock.Body) == 0 && len(live.Body) == 0 {
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
	if bytes.Equal(mock.Body, live.Body) {
		return
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

// volatileHeaders differ from one response to the next by nature: never compared.
var volatileHeaders = map[string]bool{
	"Date": true, "Age": true, "Server": true, "X-Request-Id": true, "Expires": true,
	"Last-Modified": true, "Etag": true, "Content-Length": true, "Via": true,
	// hop-by-hop (RFC 9110 section 7.6.1)
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// compareHeaders compares header names case-insensitively. Values are compared as the sorted
// list of values; Content-Type by media type; Set-Cookie by cookie names only (values are
// session data). Volatile headers, X-Mockloop-* and IgnoreHeaders count as ignored when they
// differ.
func (c *Comparer) compareHeaders(res *Result, mock, live http.Header) {
	m, l := canonical(mock), canonical(live)
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
		mv, mok := m[name]
		lv, lok := l[name]
		a, b := headerValue(name, mv), headerValue(name, lv)
		if mok == lok && a == b {
			continue
		}
		if volatileHeaders[name] || strings.HasPrefix(name, "X-Mockloop-") || c.ignoreHeaders[name] {
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

// headerValue is the comparable form of a header's values.
func headerValue(name string, vs []string) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		v = strings.TrimSpace(v)
		switch name {
		case "Content-Type":
			if mt, _, err := mime.ParseMediaType(v); err == nil {
				v = mt
			}
		case "Set-Cookie":
			v, _, _ = strings.Cut(v, "=")
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return strings.Join(out, "\x00")
}
