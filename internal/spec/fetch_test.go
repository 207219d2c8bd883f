package spec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// refDoc is a document whose one response is an external $ref to ref.
func refDoc(ref string) string {
	return `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '` + ref + `'}
`
}

const schemaDoc = "Thing: {type: object, properties: {x: {type: integer}}}\n"

// specServer serves fixed documents by path and counts the requests it gets.
type specServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newSpecServer(t *testing.T, docs map[string]string) *specServer {
	s := &specServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if to, ok := strings.CutPrefix(docs[r.URL.Path], "redirect "); ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(doc))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestLoadURLRefPolicy(t *testing.T) {
	other := newSpecServer(t, map[string]string{"/schemas.yaml": schemaDoc})
	otherURL, _ := url.Parse(other.URL)
	otherPort := otherURL.Port()
	localhost := "http://localhost:" + otherPort + "/schemas.yaml"
	tests := []struct {
		name  string
		ref   string   // the $ref in the document at /api.yaml on the main server; MAIN is its URL
		allow []string // Options.AllowRefs
		// wantErr is a part of the load error, "" when the document loads.
		wantErr string
		// otherHits is how many requests the other server must have seen.
		otherHits int32
	}{
		{name: "relative, same origin", ref: "schemas.yaml#/Thing"},
		{name: "absolute, same origin", ref: "MAIN/schemas.yaml#/Thing"},
		{name: "another port of the same host", ref: other.URL + "/schemas.yaml#/Thing",
			wantErr: `cannot read $ref "` + other.URL + `/schemas.yaml": not on http://127.0.0.1:`},
		{name: "another host name for the same address", ref: localhost + "#/Thing", wantErr: "not on http://127.0.0.1:"},
		{name: "allowed host, any port", ref: other.URL + "/schemas.yaml#/Thing", allow: []string{"127.0.0.1"}, otherHits: 1},
		{name: "allowed host and port", ref: other.URL + "/schemas.yaml#/Thing", allow: []string{"127.0.0.1:" + otherPort}, otherHits: 1},
		{name: "allowed host, another port", ref: other.URL + "/schemas.yaml#/Thing", allow: []string{"127.0.0.1:1"}, wantErr: "allow its host with --allow-ref"},
		{name: "glob", ref: localhost + "#/Thing", allow: []string{"local*"}, otherHits: 1},
		{name: "everything", ref: localhost + "#/Thing", allow: []string{"*"}, otherHits: 1},
		{name: "other hosts allowed, not this one", ref: localhost + "#/Thing", allow: []string{"*.example.com", "127.0.0.1"}, wantErr: "not on"},
		{name: "same origin redirecting elsewhere", ref: "moved.yaml#/Thing", wantErr: "not on http://127.0.0.1:"},
		{name: "redirect to an allowed host", ref: "moved.yaml#/Thing", allow: []string{"localhost"}, otherHits: 1},
		{name: "local file", ref: "file:///etc/hostname#/x", wantErr: "cannot refer to local files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := map[string]string{"/schemas.yaml": schemaDoc, "/moved.yaml": "redirect " + localhost}
			main := newSpecServer(t, docs)
			docs["/api.yaml"] = refDoc(strings.ReplaceAll(tt.ref, "MAIN", main.URL))
			before := other.hits.Load()
			d, err := Load(context.Background(), main.URL+"/api.yaml", Options{AllowRefs: tt.allow})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				s := d.T.Paths.Value("/a").Get.Responses.Value("200").Value.Content["application/json"].Schema.Value
				if s == nil || s.Properties["x"] == nil {
					t.Fatalf("the $ref did not resolve to Thing: %+v", s)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := other.hits.Load() - before; got != tt.otherHits {
				t.Errorf("the other server got %d requests, want %d", got, tt.otherHits)
			}
		})
	}
}

func TestLoadFileRefsReachAnyURL(t *testing.T) {
	// A document the user has on disk is theirs: its $refs may name any URL, as before.
	other := newSpecServer(t, map[string]string{"/schemas.yaml": schemaDoc})
	dir := t.TempDir()
	d, err := LoadData(context.Background(), "api.yaml", &url.URL{Path: dir + "/api.yaml"}, []byte(refDoc(other.URL+"/schemas.yaml#/Thing")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.T.Paths.Value("/a").Get.Responses.Value("200").Value.Content["application/json"].Schema.Value == nil {
		t.Fatal("the $ref did not resolve")
	}
}

func TestCheckAllowRefs(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string
	}{
		{"example.com", ""},
		{"*.example.com", ""},
		{"127.0.0.1:8080", ""},
		{"host:*", ""},
		{"[::1]", ""},
		{"[::1]:8443", ""},
		{"*", ""},
		{"", "empty host"},
		{":8080", "empty host"},
		{"https://example.com", "not a URL"},
		{"example.com/schemas", "not a URL"},
		{"user@example.com", "not a URL"},
		{"a[b", "bad glob"},
		{"[::1", "unclosed ["},
		{"host:80a", "bad port"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			err := CheckAllowRefs([]string{"ok.example.com", tt.pattern})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.pattern)) {
				t.Fatalf("err = %v, want %q naming the entry", err, tt.wantErr)
			}
		})
	}
	if _, err := Load(context.Background(), "testdata/petstore-3.0.yaml", Options{AllowRefs: []string{"http://x"}}); err == nil || !strings.Contains(err.Error(), `allowed $ref host "http://x"`) {
		t.Errorf("Load with a bad entry: err = %v", err)
	}
}

func TestRefAllowedMatching(t *testing.T) {
	base, _ := url.Parse("https://api.example.com/spec/openapi.yaml")
	tests := []struct {
		target string
		allow  []string
		ok     bool
	}{
		{"https://api.example.com/other.yaml", nil, true},
		{"https://API.Example.com:443/other.yaml", nil, true}, // default port, any case
		{"http://api.example.com/other.yaml", nil, false},     // another scheme
		{"https://api.example.com:8443/other.yaml", nil, false},
		{"https://schemas.example.com/a.yaml", []string{"*.example.com"}, true},
		{"http://schemas.example.com/a.yaml", []string{"*.example.com"}, true},
		{"https://example.com/a.yaml", []string{"*.example.com"}, false},
		{"https://a.b.example.com/a.yaml", []string{"*.example.com"}, true},
		{"https://schemas.example.com:8443/a.yaml", []string{"schemas.example.com:443"}, false},
		{"https://schemas.example.com/a.yaml", []string{"Schemas.Example.com:443"}, true},
		{"http://[::1]:9000/a.yaml", []string{"[::1]"}, true},
		{"http://[::1]:9000/a.yaml", []string{"[::1]:9000"}, true},
		{"http://[::1]:9000/a.yaml", []string{"[::1]:9001"}, false},
		{"http://169.254.169.254/latest/meta-data/", []string{"*.example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+strings.Join(tt.allow, ","), func(t *testing.T) {
			u, _ := url.Parse(tt.target)
			if err := refAllowed(base, tt.allow, u); (err == nil) != tt.ok {
				t.Fatalf("refAllowed = %v, want allowed %v", err, tt.ok)
			}
		})
	}
}

// stalledServer accepts requests and never finishes answering them: with headers=true it
// sends the status line and headers first, then stalls in the body.
func stalledServer(t *testing.T, docs map[string]string, stallPath string, headers bool) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != stallPath {
			w.Write([]byte(docs[r.URL.Path]))
			return
		}
		if headers {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("openapi: "))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func TestLoadURLFetchTimeout(t *testing.T) {
	tests := []struct {
		name    string
		stall   string // the path that stalls
		headers bool
	}{
		{"document, no answer", "/api.yaml", false},
		{"document, body stalls", "/api.yaml", true},
		{"$ref, no answer", "/schemas.yaml", false},
		{"$ref, body stalls", "/schemas.yaml", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := stalledServer(t, map[string]string{"/api.yaml": refDoc("schemas.yaml#/Thing"), "/schemas.yaml": schemaDoc}, tt.stall, tt.headers)
			_, err := Load(context.Background(), srv.URL+"/api.yaml", Options{FetchTimeout: 50 * time.Millisecond})
			want := "GET " + srv.URL + tt.stall + ": no complete answer within 50ms"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to contain %q", err, want)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err does not wrap context.DeadlineExceeded: %v", err)
			}
		})
	}
}

func TestLoadURLSizeCap(t *testing.T) {
	big := refDoc("schemas.yaml#/Thing") + "# " + strings.Repeat("x", 2000) + "\n"
	tests := []struct {
		name, path string
		chunked    bool // no Content-Length: the cap applies while reading
	}{
		{"document", "/api.yaml", false},
		{"document, chunked", "/api.yaml", true},
		{"$ref", "/schemas.yaml", false},
		{"$ref, chunked", "/schemas.yaml", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := map[string]string{"/api.yaml": refDoc("schemas.yaml#/Thing"), "/schemas.yaml": schemaDoc}
			docs[tt.path] = big
			if tt.path == "/schemas.yaml" {
				docs[tt.path] = schemaDoc + "# " + strings.Repeat("x", 2000) + "\n"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.chunked {
					w.(http.Flusher).Flush() // headers out before the body: no Content-Length
				}
				w.Write([]byte(docs[r.URL.Path]))
			}))
			defer srv.Close()
			_, err := Load(context.Background(), srv.URL+"/api.yaml", Options{maxFetch: 1000})
			want := "GET " + srv.URL + tt.path + ": document larger than 1000 bytes"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestLoadURLErrorsHideSecrets(t *testing.T) {
	srv := stalledServer(t, nil, "/api.yaml", false)
	u := strings.Replace(srv.URL, "http://", "http://user:PW@", 1) + "/api.yaml?api_key=K"
	_, err := Load(context.Background(), u, Options{FetchTimeout: 20 * time.Millisecond})
	if err == nil || strings.Contains(err.Error(), "PW") || strings.Contains(err.Error(), "=K") {
		t.Fatalf("err = %v, want an error without the password or the key", err)
	}
}

func TestPercentEncodedPointerRefs(t *testing.T) {
	// RFC 6901 section 6: in a URI fragment the pointer is percent-encoded; "{" is not allowed
	// there as is, so #/paths/~1a~1%7Bid%7D is the correct way to write it.
	doc := func(ref string) string {
		return `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/My%20Thing"}
  /b:
    get:
      responses:
        "200":
          $ref: "` + ref + `"
components:
  schemas:
    My Thing: {type: object, properties: {x: {type: integer}}}
`
	}
	for _, ref := range []string{
		"#/paths/~1a~1%7Bid%7D/get/responses/200",
		"#/paths/~1a~1%7bid%7d/get/responses/200",
		"#/paths/%7E1a%7E1%7Bid%7D/get/responses/200",
		"#%2Fpaths%2F~1a~1%7Bid%7D%2Fget%2Fresponses%2F200",
		"other.yaml#/paths/~1x~1%7Bid%7D/get/responses/200",
	} {
		other := "openapi: 3.0.3\ninfo: {title: o, version: \"1\"}\npaths:\n  /x/{id}:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {x: {type: integer}}}\n"
		srv := newSpecServer(t, map[string]string{"/api.yaml": doc(ref), "/other.yaml": other})
		dir := t.TempDir()
		writeFile(t, dir+"/api.yaml", doc(ref))
		writeFile(t, dir+"/other.yaml", other)
		for _, source := range []string{dir + "/api.yaml", srv.URL + "/api.yaml"} {
			t.Run(ref+" from "+strings.SplitN(source, ":", 2)[0], func(t *testing.T) {
				d, err := Load(context.Background(), source, Options{})
				if err != nil {
					t.Fatal(err)
				}
				r := d.T.Paths.Value("/b").Get.Responses.Value("200")
				if r == nil || r.Value == nil || r.Value.Content["application/json"].Schema.Value.Properties["x"] == nil {
					t.Fatalf("GET /b 200 did not resolve to /a/{id}'s response: %+v", r)
				}
				for _, w := range d.Warnings {
					t.Errorf("warning: %v", w)
				}
			})
		}
	}
}

// TestFindBadRefSkipsEncodedRefs: when a load error does not quote the $ref it is about, the
// first internal $ref whose target is missing is blamed; a valid percent-encoded one is not.
func TestFindBadRefSkipsEncodedRefs(t *testing.T) {
	doc := []byte("a:\n  $ref: '#/paths/~1a~1%7Bid%7D'\nb:\n  $ref: '#/paths/~1b'\npaths:\n  /a/{id}: {}\n")
	r, ok := findBadRef(doc, "a message that quotes no $ref")
	if !ok || r.pointer != "/b/$ref" || r.line != 4 {
		t.Fatalf("findBadRef = %+v, %v; want /b/$ref on line 4", r, ok)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
