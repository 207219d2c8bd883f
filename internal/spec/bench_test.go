package spec

import (
	"context"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// BenchmarkLoadGitHub is Load of the 13 MB GitHub spec: "fresh" parses, resolves, indexes and
// collects the warnings (the fast JSON path, the cache off); "cached" reads the snapshot a
// previous load left in the cache, and indexes. Compare with BenchmarkKinLoadGitHub.
func BenchmarkLoadGitHub(b *testing.B) {
	if _, err := os.Stat(githubSpec); err != nil {
		b.Skip("no shared GitHub spec")
	}
	b.Setenv("MOCKLOOP_NO_CACHE", "")
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Load(context.Background(), githubSpec, Options{NoCache: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		opts := Options{cacheDir: b.TempDir()}
		if _, err := Load(context.Background(), githubSpec, opts); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := Load(context.Background(), githubSpec, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKinLoadGitHub is kin-openapi's plain loader on the same file (no index, no
// warnings): the baseline.
func BenchmarkKinLoadGitHub(b *testing.B) {
	if _, err := os.Stat(githubSpec); err != nil {
		b.Skip("no shared GitHub spec")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi3.NewLoader().LoadFromFile(githubSpec); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadGitHubOnce and TestKinLoadGitHubOnce exist to measure peak memory from outside:
// /usr/bin/time -v go test -run 'TestLoadGitHubOnce$' ./internal/spec/ (the test binary's RSS).
func TestLoadGitHubOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	d := loadGitHub(t)
	if len(d.Operations) != 1223 {
		t.Fatalf("%d operations", len(d.Operations))
	}
}

func TestKinLoadGitHubOnce(t *testing.T) {
	if os.Getenv("MOCKLOOP_BENCH_KIN") == "" {
		t.Skip("set MOCKLOOP_BENCH_KIN=1 to run kin-openapi's loader on the GitHub spec")
	}
	if _, err := openapi3.NewLoader().LoadFromFile(githubSpec); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSnapshotGitHub is the load cache's own work on GitHub's spec: encoding the loaded
// document (what the first load adds) and decoding it (most of a cached load).
func BenchmarkSnapshotGitHub(b *testing.B) {
	if _, err := os.Stat(githubSpec); err != nil {
		b.Skip("no shared GitHub spec")
	}
	d, err := Load(context.Background(), githubSpec, Options{NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	s := &snapshot{Version: d.SourceVersion, IsJSON: d.isJSON, T: d.T, Warnings: d.Warnings}
	enc, err := encodeSnapshot(s, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := encodeSnapshot(s, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(enc)))
		text := string(enc)
		for b.Loop() {
			if _, err := decodeSnapshot(text); err != nil {
				b.Fatal(err)
			}
		}
	})
}
