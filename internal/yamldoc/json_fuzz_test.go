package yamldoc

import (
	"encoding/json"
	"testing"
)

// FuzzToJSON: YAML input never panics and, when accepted, always becomes valid JSON.
func FuzzToJSON(f *testing.F) {
	for _, s := range []string{"a: 1\nb: [1, 2.5, -3e4]\n", "big: 123456789012345678901234567890\n", "x: &a [1, *a]\n",
		"- !!binary aGk=\n- 0x1F\n- 1_000\n- .inf\n", "? [a]\n: b\n", "a: &x {b: 1}\nc: *x\n", "~", "'s'", "t: yes\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ToJSON(data)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("ToJSON(%q) = %q: not JSON", data, out)
		}
	})
}
