package envref

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "B_2": "beta"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "literal", want: "literal"},
		{in: "${A}", want: "alpha"},
		{in: "v1 ${A}-${B_2}", want: "v1 alpha-beta"},
		{in: "$${A}", want: "${A}"},
		{in: "price $5 {x}", want: "price $5 {x}"},
		{in: "${MISSING}", wantErr: "environment variable MISSING is not set"},
		{in: "x${A", wantErr: "unterminated"},
		{in: "${1A}", wantErr: "invalid"},
		{in: "${}", wantErr: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Expand(tt.in, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := strings.Join(Names("${A}:${B}-${A} $${C} ${1x} ${D"), ","); got != "A,B" {
		t.Errorf("Names = %q, want A,B", got)
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"literal", "${A}", "v1 ${A}-${B}", "$${A}", "${", "${1}", "$$$", "${A}${"} {
		f.Add(s)
	}
	lookup := func(k string) (string, bool) { return "val", k == "A" }
	f.Fuzz(func(t *testing.T, v string) {
		_, err := Expand(v, lookup)
		if err != nil && len(v) >= 12 && strings.Contains(err.Error(), v) {
			t.Errorf("the error repeats the value: %v", err)
		}
		_ = Names(v)
	})
}

func TestFileReferences(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api_key")
	if err := os.WriteFile(path, []byte("s3cret-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Expand("Bearer ${file:"+path+"}", nil)
	if err != nil || got != "Bearer s3cret-1" {
		t.Fatalf("Expand = %q, %v", got, err)
	}
	// A rotated secret is read again (a new size, or a new modification time).
	if err := os.WriteFile(path, []byte("s3cret-two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(path, later, later)
	if got, err := Expand("${file:"+path+"}", nil); err != nil || got != "s3cret-two" {
		t.Errorf("after rotation: %q, %v", got, err)
	}
	if files := Files("${file:/a} and ${file:/b} ${file:/a} ${NAME}"); !slices.Equal(files, []string{"/a", "/b"}) {
		t.Errorf("Files = %v", files)
	}
	if names := Names("${file:/a} ${NAME}"); !slices.Equal(names, []string{"NAME"}) {
		t.Errorf("Names = %v", names)
	}
	_, err = Expand("${file:"+filepath.Join(dir, "missing")+"}", nil)
	if err == nil || !strings.Contains(err.Error(), "credential file "+filepath.Join(dir, "missing")+": no such file") {
		t.Errorf("missing file: %v", err)
	}
	if err := Check("${file:/does/not/exist}"); err != nil {
		t.Errorf("Check opens files: %v", err)
	}
	if err := Check("${file:}"); err == nil {
		t.Errorf("empty file reference passes Check")
	}
}

// TestSnapshotReadsOnce: values expanded through one Snapshot see one content of a file, even
// when it changes between them; a new Snapshot sees the change.
func TestSnapshotReadsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSnapshot(nil)
	a, err := s.Expand("a ${file:" + path + "}")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("two-longer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := s.Expand("b ${file:" + path + "}")
	if err != nil || a != "a one" || b != "b one" {
		t.Errorf("got %q, %q, %v; want one content for both", a, b, err)
	}
	if c, err := NewSnapshot(nil).Expand("${file:" + path + "}"); err != nil || c != "two-longer" {
		t.Errorf("a new snapshot: %q, %v", c, err)
	}
	os.Remove(path)
	s = NewSnapshot(nil)
	if _, err := s.Expand("${file:" + path + "}"); err == nil {
		t.Error("a removed file expands")
	}
	if _, err := s.Expand("${file:" + path + "}"); err == nil {
		t.Error("the error is not kept")
	}
}
