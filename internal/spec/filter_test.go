package spec

import (
	"context"
	"strings"
	"testing"
)

func loadFilterPets(t *testing.T) *Document {
	t.Helper()
	doc, err := Load(context.Background(), "testdata/filter-pets.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestFilters(t *testing.T) {
	doc := loadFilterPets(t)
	tests := []struct {
		filters []string
		want    []string // operation keys kept
	}{
		{nil, []string{"GET /pets", "POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"}},
		{[]string{"listPets"}, []string{"GET /pets"}},
		{[]string{"*Pet", "list*"}, []string{"GET /pets", "POST /pets"}},
		{[]string{"tag:admin"}, []string{"POST /pets", "DELETE /pets/{petId}"}},
		{[]string{"admin"}, []string{"POST /pets", "DELETE /pets/{petId}"}},
		{[]string{"GET /pets/*"}, []string{"GET /pets/{petId}"}},
		{[]string{"get /**"}, []string{"GET /pets", "GET /pets/{petId}"}},
		{[]string{"* /pets/{petId}", "createPet"}, []string{"POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"}},
		{[]string{"/pets"}, []string{"GET /pets", "POST /pets"}},
		{[]string{"/pets*"}, []string{"GET /pets", "POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"}},
		{[]string{"tag:ADMIN"}, []string{"POST /pets", "DELETE /pets/{petId}"}},
		{[]string{"get?pet*"}, []string{"GET /pets/{petId}"}},
		{[]string{"nothing"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, ","), func(t *testing.T) {
			fs, err := ParseFilter(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, op := range doc.Operations {
				if fs.Match(op) {
					got = append(got, op.Key())
				}
			}
			if strings.Join(got, "|") != strings.Join(sortedLike(doc, tt.want), "|") {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "tag:", "GET pets", "get pet.by-id!"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := ParseFilter([]string{bad}); err == nil {
				t.Errorf("ParseFilter(%q): no error", bad)
			}
		})
	}
}

// sortedLike orders keys as the document lists its operations.
func sortedLike(doc *Document, keys []string) []string {
	var out []string
	for _, op := range doc.Operations {
		for _, k := range keys {
			if op.Key() == k {
				out = append(out, k)
			}
		}
	}
	return out
}

// FuzzFilters checks that any --operations value compiles or is refused, and never panics
// when matched.
func FuzzFilters(f *testing.F) {
	for _, seed := range []string{"listPets", "tag:pets", "GET /pets/*", "* /**", "[", "tag:", "GET x", "**", "é?*"} {
		f.Add(seed)
	}
	doc, err := Load(context.Background(), "testdata/filter-pets.yaml", Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fs, err := ParseFilter([]string{v})
		if err != nil {
			return
		}
		for _, op := range doc.Operations {
			fs.Match(op)
		}
	})
}
