package record

import (
	"net/http/httptest"
	"testing"

	"github.com/mockloop/mockloop/internal/mock"
)

// BenchmarkReplayAnswer is one replayed answer (fingerprint, lookup, write); compare with
// BenchmarkMockRespond, the engine answering the same request from the spec.
func BenchmarkReplayAnswer(b *testing.B) {
	doc := loadPets(b)
	w, _ := NewWriter(b.TempDir(), doc, Options{})
	for _, q := range []string{"1", "2", "3", "4"} {
		if err := w.Add(exchange(b, doc, "GET", "/pets?limit="+q, 200, `[{"id": 1, "name": "Rex"}]`)); err != nil {
			b.Fatal(err)
		}
	}
	set, err := ReadDir(w.Dir())
	if err != nil {
		b.Fatal(err)
	}
	rp, _ := NewReplayer(set, doc, ReplayOptions{})
	r := httptest.NewRequest("GET", "/pets?limit=3", nil)
	m := doc.Find("GET", "/pets")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if !rp.Answer(rec, r, m) {
			b.Fatal("not answered")
		}
	}
}

// BenchmarkMockRespond is the baseline of BenchmarkReplayAnswer.
func BenchmarkMockRespond(b *testing.B) {
	doc := loadPets(b)
	e := mock.New(doc, mock.Options{ValidateRequests: true})
	r := httptest.NewRequest("GET", "/pets?limit=3", nil)
	m := doc.Find("GET", "/pets")
	b.ReportAllocs()
	for b.Loop() {
		e.Respond(httptest.NewRecorder(), r, m)
	}
}

// BenchmarkWriterAdd records one answer into a file of 100 entries (the default bound): the
// work serve --record does per live answer, after the client has it.
func BenchmarkWriterAdd(b *testing.B) {
	doc := loadPets(b)
	w, _ := NewWriter(b.TempDir(), doc, Options{})
	x := exchange(b, doc, "GET", "/pets?limit=1", 200, `[{"id": 1, "name": "Rex", "tags": ["a", "b"]}]`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		x.Request.URL.RawQuery = "limit=" + string(rune('a'+i%100))
		if err := w.Add(x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObserveLive is what a live answer costs its request under serve --record: the
// redaction and the in-memory update (the file is written in the background). Compare with
// BenchmarkWriterAdd, which writes each time.
func BenchmarkObserveLive(b *testing.B) {
	doc := loadPets(b)
	w, _ := NewWriter(b.TempDir(), doc, Options{})
	defer w.Close()
	x := exchange(b, doc, "GET", "/pets?limit=1", 200, `[{"id": 1, "name": "Rex", "tags": ["a", "b"]}]`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		x.Request.URL.RawQuery = "limit=" + string(rune('a'+i%100))
		w.ObserveLive(x)
	}
}
