package spec

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCacheLoadsTheSameDocument loads every fixture fresh and then from the cache: the documents
// must be equal (reflect.DeepEqual sees unexported fields too), and the cached one must encode
// to the same bytes, which shows that the sharing of pointers is the same.
func TestCacheLoadsTheSameDocument(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.*")
	realWorld, _ := filepath.Glob("testdata/realworld/*.json")
	testCacheLoads(t, append(files, realWorld...))
}

// TestSharedSpecsGitHubCache is TestCacheLoadsTheSameDocument on GitHub's spec from the sibling
// shared directory.
func TestSharedSpecsGitHubCache(t *testing.T) {
	if _, err := os.Stat(githubSpec); err != nil {
		t.Skipf("skipped: the sibling shared spec %s is not present", githubSpec)
	}
	if testing.Short() {
		t.Skip("skipped in -short: loading 13 MB takes seconds")
	}
	testCacheLoads(t, []string{githubSpec})
}

// clearCacheEnv makes a cache test independent of the environment it runs in (the whole suite
// also runs with MOCKLOOP_NO_CACHE=1 and MOCKLOOP_CACHE_ALL=1).
func clearCacheEnv(t *testing.T) {
	t.Setenv("MOCKLOOP_NO_CACHE", "")
	t.Setenv("MOCKLOOP_CACHE_ALL", "")
}

func testCacheLoads(t *testing.T, files []string) {
	clearCacheEnv(t)
	dir := t.TempDir()
	cached := Options{cacheDir: dir, cacheAll: true}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			fresh, err := Load(context.Background(), file, Options{NoCache: true})
			if err != nil {
				t.Skipf("does not load: %v", err)
			}
			first, err := Load(context.Background(), file, cached) // writes the entry
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(file)
			c := cacheFor(cached, len(data))
			key := c.key(data, fileBase(abs))
			s, ok := c.get(key)
			if !ok {
				t.Fatalf("no cache entry after loading %s", file)
			}
			hit, err := Load(context.Background(), file, cached)
			if err != nil {
				t.Fatal(err)
			}
			for name, d := range map[string]*Document{"first": first, "hit": hit} {
				if !reflect.DeepEqual(fresh.T, d.T) {
					t.Errorf("%s load: T differs from a fresh load", name)
				}
				if !reflect.DeepEqual(fresh.Warnings, d.Warnings) {
					t.Errorf("%s load: warnings %v, want %v", name, d.Warnings, fresh.Warnings)
				}
				if len(data) < 1<<20 { // kin-openapi's validation of GitHub's spec takes seconds
					if got, want := d.Validate(context.Background()), fresh.Validate(context.Background()); !reflect.DeepEqual(got, want) {
						t.Errorf("%s load: Validate = %v, want %v", name, got, want)
					}
				}
				if strings.Join(opKeys(fresh), ",") != strings.Join(opKeys(d), ",") ||
					fresh.SourceVersion != d.SourceVersion || fresh.BasePath != d.BasePath || fresh.isJSON != d.isJSON {
					t.Errorf("%s load: index differs", name)
				}
			}
			want, err := encodeSnapshot(&snapshot{Version: fresh.SourceVersion, IsJSON: fresh.isJSON, T: fresh.T, Warnings: fresh.Warnings}, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeSnapshot(s, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("the cached document encodes differently (%d bytes, want %d)", len(got), len(want))
			}
		})
	}
}

func fileBase(abs string) *url.URL { return &url.URL{Path: filepath.ToSlash(abs)} }

// TestCacheSkips lists what is never cached.
func TestCacheSkips(t *testing.T) {
	clearCacheEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		file string
		opts Options
		env  map[string]string
	}{
		{"external refs", "testdata/ext/main.yaml", Options{cacheDir: dir, cacheAll: true}, nil},
		{"small document", "testdata/petstore-3.0.yaml", Options{cacheDir: dir}, nil},
		{"NoCache", "testdata/petstore-3.0.yaml", Options{cacheDir: dir, cacheAll: true, NoCache: true}, nil},
		{"MOCKLOOP_NO_CACHE", "testdata/petstore-3.0.yaml", Options{cacheDir: dir, cacheAll: true}, map[string]string{"MOCKLOOP_NO_CACHE": "1"}},
		{"broken document", "testdata/broken/badref.json", Options{cacheDir: dir, cacheAll: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, _ = Load(context.Background(), tt.file, tt.opts)
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("cache holds %d entries, want none", len(entries))
			}
		})
	}
	t.Run("MOCKLOOP_CACHE_ALL", func(t *testing.T) {
		t.Setenv("MOCKLOOP_CACHE_ALL", "1")
		if _, err := Load(context.Background(), "testdata/petstore-3.0.yaml", Options{cacheDir: dir}); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("cache holds %d entries, want 1", len(entries))
		}
	})
}

// TestCacheBadEntries: an entry that is truncated, flipped, from another layout or not an entry
// at all is a miss, and the load that follows rewrites it.
func TestCacheBadEntries(t *testing.T) {
	clearCacheEnv(t)
	const file = "testdata/petstore-3.0.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(file)
	fresh, err := Load(context.Background(), file, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := encodeSnapshot(&snapshot{Version: fresh.SourceVersion, IsJSON: fresh.isJSON, T: fresh.T, Warnings: fresh.Warnings}, 0)
	if err != nil {
		t.Fatal(err)
	}
	good := entry(payload)
	tests := []struct {
		name  string
		bytes []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a cache entry at all, not even close")},
		{"truncated", good[:len(good)/2]},
		{"flipped payload byte", flip(good, len(good)-10)},
		{"other layout", flip(good, len(cacheMagic)+3)},
		{"header only", good[:cacheHeaderLen]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{cacheDir: dir, cacheAll: true}
			c := cacheFor(opts, len(data))
			key := c.key(data, fileBase(abs))
			if err := os.WriteFile(c.path(key), tt.bytes, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.get(key); ok {
				t.Fatal("a bad entry was used")
			}
			d, err := Load(context.Background(), file, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.T, fresh.T) {
				t.Error("document differs from a fresh load")
			}
			if _, ok := c.get(key); !ok {
				t.Error("the bad entry was not rewritten")
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x55
	return out
}

// TestCacheConcurrentLoads starts many loads of one document at once on an empty cache: every
// one gets the document, and the cache ends with one sound entry and no temporary files.
func TestCacheConcurrentLoads(t *testing.T) {
	clearCacheEnv(t)
	const file = "testdata/bookings-3.1.json"
	dir := t.TempDir()
	opts := Options{cacheDir: dir, cacheAll: true}
	fresh, err := Load(context.Background(), file, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	docs := make([]*Document, 16)
	for i := range docs {
		wg.Go(func() { docs[i], errs[i] = Load(context.Background(), file, opts) })
	}
	wg.Wait()
	for i := range docs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !reflect.DeepEqual(docs[i].T, fresh.T) {
			t.Fatalf("load %d: document differs from a fresh load", i)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || strings.HasSuffix(entries[0].Name(), ".tmp") {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("cache holds %v, want one entry", names)
	}
}

// TestCachePrune: entries unused for cacheMaxAge and stale temporary files go when an entry is
// written; recent ones stay.
func TestCachePrune(t *testing.T) {
	clearCacheEnv(t)
	dir := t.TempDir()
	old := time.Now().Add(-cacheMaxAge - time.Hour)
	for _, name := range []string{"old", ".entry.123.tmp", "recent"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "recent" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Load(context.Background(), "testdata/bookings-3.1.json", Options{cacheDir: dir, cacheAll: true}); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || !strings.Contains(strings.Join(names, " "), "recent") {
		t.Errorf("cache holds %v, want recent and the new entry", names)
	}
}

// FuzzDecodeSnapshot: a snapshot decoder fed anything returns a snapshot or an error, never
// panics or corrupts memory (the race detector and -d=checkptr builds check the latter).
func FuzzDecodeSnapshot(f *testing.F) {
	for _, file := range []string{"testdata/petstore-3.0.yaml", "testdata/bookings-3.1.json", "testdata/petstore-2.0.json"} {
		d, err := Load(context.Background(), file, Options{NoCache: true})
		if err != nil {
			f.Fatal(err)
		}
		b, err := encodeSnapshot(&snapshot{Version: d.SourceVersion, IsJSON: d.isJSON, T: d.T, Warnings: d.Warnings}, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{7, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := decodeSnapshot(string(data))
		if err != nil {
			return
		}
		if snap.T != nil {
			if d, err := documentFromSnapshot("fuzz", nil, snap); err == nil {
				for _, op := range d.Operations {
					d.Find(op.Method, op.Path)
				}
			}
		}
	})
}

// TestCacheUnwritable: a cache directory that cannot be created is no error, and the load
// still returns the document.
func TestCacheUnwritable(t *testing.T) {
	clearCacheEnv(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), "testdata/bookings-3.1.json", Options{cacheDir: filepath.Join(file, "cache"), cacheAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Operations) == 0 {
		t.Error("no operations")
	}
}
