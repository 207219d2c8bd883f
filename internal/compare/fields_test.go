package compare

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestFieldsMask(t *testing.T) {
	body := `{"token": "abc", "user": {"name": "ann", "password": "pw", "tags": [{"token": 1}, {"id": 2}]},
 "items": [{"id": 1, "secret": {"a": 1}}, {"id": 2}], "n": 12345678901234567890}`
	tests := []struct {
		name     string
		patterns []string
		want     string
		where    []string
	}{
		{"bare name at any depth", []string{"token"},
			`{"token": "***", "user": {"name": "ann", "password": "pw", "tags": [{"token": "***"}, {"id": 2}]},
 "items": [{"id": 1, "secret": {"a": 1}}, {"id": 2}], "n": 12345678901234567890}`,
			[]string{"$.token", "$.user.tags[0].token"}},
		{"JSONPaths and an object value", []string{"$.user.password", "$.items[*].secret"},
			`{"token": "abc", "user": {"name": "ann", "password": "***", "tags": [{"token": 1}, {"id": 2}]},
 "items": [{"id": 1, "secret": "***"}, {"id": 2}], "n": 12345678901234567890}`,
			[]string{"$.user.password", "$.items[0].secret"}},
		{"inner selection inside an outer one", []string{"user", "$.user.name"},
			`{"token": "abc", "user": "***",
 "items": [{"id": 1, "secret": {"a": 1}}, {"id": 2}], "n": 12345678901234567890}`,
			[]string{"$.user"}},
		{"nothing selected", []string{"$.nope"}, body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CompileFields("redact", tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			got, where, ok := f.Mask([]byte(body), "***")
			if !ok || string(got) != tt.want || !reflect.DeepEqual(where, tt.where) {
				t.Errorf("Mask = %v %q %v\nwant %q %v", ok, got, where, tt.want, tt.where)
			}
			if !json.Valid(got) {
				t.Errorf("result is not JSON: %s", got)
			}
		})
	}
	f, _ := CompileFields("redact", []string{"token"})
	if out, _, ok := f.Mask([]byte("token=abc"), "***"); ok || string(out) != "token=abc" {
		t.Errorf("non-JSON body: %v %q", ok, out)
	}
	if err := CheckFields("redact", []string{"$.a[?(@.x)]"}); err == nil || !strings.Contains(err.Error(), `redact: bad path "$.a[?(@.x)]"`) {
		t.Errorf("CheckFields = %v", err)
	}
}

func FuzzFieldsMask(f *testing.F) {
	f.Add([]byte(`{"a": {"token": [1, {"token": "x"}]}, "b": "\u00e9"}`), "token", "$.a.token[1]")
	f.Add([]byte(`[{"x": 1}, {"x": [true, null]}]`), "x", "$[*].x")
	f.Fuzz(func(t *testing.T, body []byte, bare, path string) {
		fl, err := CompileFields("redact", []string{bare, path})
		if err != nil {
			return
		}
		out, where, ok := fl.Mask(body, "***")
		if !ok {
			if string(out) != string(body) {
				t.Fatal("a body that is not JSON was changed")
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("masking %q made invalid JSON %q", body, out)
		}
		if len(where) == 0 && string(out) != string(body) {
			t.Fatal("changed without a location")
		}
	})
}
