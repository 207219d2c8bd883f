package mock

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

var (
	fuzzOnce sync.Once
	fuzzDoc  *spec.Document
	fuzzEng  *Engine
)

// FuzzRequestDecoding feeds arbitrary queries and bodies to the decoders this package adds to
// request validation (deepObject queries, bracketed forms, multipart parts, form-style query
// objects): they must never panic, and every request gets an answer or a problem.
func FuzzRequestDecoding(f *testing.F) {
	f.Add("expand[]=a&created[gt]=5&filter[a][b]=1", []byte("email=a%40b.c&metadata[foo]=bar&tax_ids[0][type]=eu_vat"), "application/x-www-form-urlencoded")
	f.Add("created=5&expand=a", []byte("tax_ids[x][y][z]=1&tax_ids[]=2&address=&address[city]=x"), "application/x-www-form-urlencoded")
	f.Add("filter[a]=1&filter[a][b]=2&filter[]=3", []byte("a[[]]]=1&[=2&%zz"), "application/x-www-form-urlencoded")
	f.Add("", []byte("--b\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"w\":1}\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add("Name=x&Options=y", []byte("--b\r\n\r\n--b"), "multipart/form-data")
	f.Fuzz(func(t *testing.T, query string, body []byte, contentType string) {
		fuzzOnce.Do(func() {
			fuzzDoc = fragment(t, requestDoc)
			fuzzEng = New(fuzzDoc, Options{ValidateRequests: true})
		})
		for _, target := range []struct{ method, path string }{{"GET", "/customers"}, {"POST", "/customers"}, {"POST", "/upload"}, {"GET", "/aws"}} {
			r := httptest.NewRequest(target.method, "http://127.0.0.1"+target.path, strings.NewReader(string(body)))
			r.URL.RawQuery = query // as the server hands it over, whatever the client sent
			r.Header.Set("Content-Type", contentType)
			rec := httptest.NewRecorder()
			fuzzEng.Respond(rec, r, fuzzDoc.Find(target.method, target.path))
			if rec.Code >= 500 || rec.Code < 200 {
				t.Fatalf("%s %s?%s: status %d: %s", target.method, target.path, query, rec.Code, rec.Body)
			}
			if rec.Code == http.StatusOK && target.method == "POST" && target.path == "/upload" {
				t.Fatalf("upload answered 200, its only response is 204")
			}
		}
	})
}
