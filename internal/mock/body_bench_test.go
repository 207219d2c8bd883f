package mock

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// bigItems is a JSON body of about size bytes for POST /items of testdata/bigbody.yaml: many
// small objects, the shape that costs a decoder the most per byte.
func bigItems(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","tags":["a","b","c"]}`, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkLargeBody validates a 10 MB request body: B/op is what one such request costs the
// server, the figure that bounds memory under many concurrent large POSTs.
func BenchmarkLargeBody(b *testing.B) {
	doc := loadSpec(b, "testdata/bigbody.yaml")
	m := doc.Find("POST", "/items")
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	body := bigItems(10 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "http://127.0.0.1/items", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := &discard{h: http.Header{}}
		e.Respond(w, r, m)
		if w.code != http.StatusCreated {
			b.Fatalf("status %d", w.code)
		}
	}
}
