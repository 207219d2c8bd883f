package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestRunBaseline(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	live := liveShop(t)
	run := func(args ...string) int {
		return env.run(append([]string{"test", "run", "--spec", specPath, "--live", live.URL + "/api", "--tolerance", "0.1"}, args...)...)
	}
	base := filepath.Join(env.dir, "known.yaml")

	if code := run("--baseline", base); code != 2 || !strings.Contains(env.errOut.String(), "no such file (write one with --update-baseline)") {
		t.Fatalf("missing baseline: exit %d %s", code, env.errOut)
	}
	if code := run("--baseline", base, "--update-baseline"); code != 0 {
		t.Fatalf("update: exit %d\n%s\n%s", code, env.out, env.errOut)
	}
	if !strings.Contains(env.out.String(), "known 0 · new 3 · fixed 0") || !strings.Contains(env.errOut.String(), "known.yaml: 3 known differences (was 0; 3 new accepted, 0 fixed removed)") {
		t.Errorf("update output:\n%s\n%s", env.out, env.errOut)
	}
	if fi, err := os.Stat(base); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("baseline file: %v %v", fi, err)
	}
	first, _ := os.ReadFile(base)
	if code := run("--baseline", base); code != 0 || !strings.Contains(env.out.String(), "baseline "+base+": known 3 · new 0 · fixed 0") {
		t.Fatalf("known run: exit %d\n%s", code, env.out)
	}
	// A new difference (headers now compared) fails; the known ones do not.
	if code := run("--baseline", base, "--compare-header", "X-Live-Only"); code != 1 || !strings.Contains(env.out.String(), "known 3 · new 1 · fixed 0") {
		t.Fatalf("new difference: exit %d\n%s", code, env.out)
	}
	// One fixed: ignoring weight makes its entry disappear.
	if code := run("--baseline", base, "--ignore-field", "weight", "-o", "json"); code != 0 || !strings.Contains(env.out.String(), `"fixed": 1`) {
		t.Fatalf("fixed: exit %d\n%s", code, env.out)
	}
	// Updating twice gives the same bytes.
	run("--baseline", base, "--update-baseline")
	if again, _ := os.ReadFile(base); string(again) != string(first) {
		t.Errorf("baseline not stable:\n%s\nthen\n%s", first, again)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--update-baseline"}, "--update-baseline needs --baseline FILE"},
		{[]string{"--baseline", "x.txt"}, `--baseline "x.txt": want a .yaml, .yml or .json file`},
	} {
		if code := run(tt.args...); code != 2 || !strings.Contains(env.errOut.String(), tt.want) {
			t.Errorf("%v: exit %d %s", tt.args, code, env.errOut)
		}
	}
	bad := env.write(t, "bad.yaml", "schema: mockloop.baseline/v1\ndiffs: []\n")
	if code := run("--baseline", bad); code != 2 || !strings.Contains(env.errOut.String(), `line 2: unknown key "diffs"`) {
		t.Errorf("bad baseline: exit %d %s", code, env.errOut)
	}
}
