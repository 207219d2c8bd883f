package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNoiseLearnFlags(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		want    *noiseLearnOptions
		wantErr string
	}{
		{"defaults", nil, &noiseLearnOptions{Samples: 3, Methods: []string{"GET", "HEAD", "OPTIONS"}, Output: "table", Concurrency: 4, Timeout: 30 * time.Second}, ""},
		{"everything", []string{"shop", "--spec", "s.yaml", "--live", "http://a.test", "--live2", "http://b.test", "--plan", "p.yaml", "--operations", "getItem",
			"--samples", "5", "--methods", "get,post", "--write", "-o", "json", "--concurrency", "2", "--timeout", "3s"},
			&noiseLearnOptions{Plugin: "shop", Spec: "s.yaml", Live: "http://a.test", Live2: "http://b.test", PlanFile: "p.yaml", Operations: []string{"getItem"},
				Samples: 5, Methods: []string{"GET", "POST"}, Write: true, Output: "json", Concurrency: 2, Timeout: 3 * time.Second}, ""},
		{"one sample", []string{"--samples", "1"}, nil, "--samples: 1: want at least 2"},
		{"bad method", []string{"--methods", "GET,P*T"}, nil, `--methods: "P*T" is not an HTTP method`},
		{"bad live2", []string{"--live2", "ftp://x"}, nil, `--live2: "ftp://x" is not an absolute http(s) URL`},
		{"bad output", []string{"-o", "junit"}, nil, `invalid --output "junit"`},
		{"bad plugin", []string{"no good"}, nil, `plugin name "no good"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestRunEnv(t)
			var got *noiseLearnOptions
			err := execCmd(newNoiseLearnCmd(env.f, func(o *noiseLearnOptions) error { got = o; return nil }), tt.argv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitTrouble {
					t.Fatalf("err = %v, want %q (exit 2)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Plugins, got.LookupEnv, got.Client = nil, nil, nil, nil
			got.Load = tt.want.Load
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestNoiseLearnRun(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	live := liveShop(t)
	tests := []struct {
		name string
		argv []string
		code int
		out  []string
		err  []string
	}{
		{"a stable live API", []string{"--spec", specPath, "--live", live.URL + "/api"}, 0,
			[]string{"2 operations, 6 answers compared (3 answers per case): 0 noisy locations"}, nil},
		{"unsafe methods warned", []string{"--spec", specPath, "--live", live.URL + "/api", "--methods", "GET,POST", "--samples", "2"}, 0,
			nil, []string{"warning: --methods POST: each such case is sent 2 times to the live API"}},
		{"write needs a plugin", []string{"--spec", specPath, "--live", live.URL + "/api", "--write"}, 2, nil, []string{"--write needs a plugin"}},
		{"no live side", []string{"--spec", specPath}, 2, nil, []string{"mode proxy needs a live side"}},
		{"unknown plugin", []string{"nope"}, 2, nil, []string{`plugin "nope" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := env.run(append([]string{"noise", "learn"}, tt.argv...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.code, env.out, env.errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(env.out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, env.out)
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(env.errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, env.errOut)
				}
			}
		})
	}
	// test run --learn-noise needs both sides, and at least two answers.
	if code := env.run("test", "run", "--spec", specPath, "--learn-noise", "3"); code != 2 || !strings.Contains(env.errOut.String(), "--learn-noise needs both sides") {
		t.Errorf("mock only: exit %d %s", code, env.errOut)
	}
	if code := env.run("test", "run", "--spec", specPath, "--learn-noise", "1"); code != 2 || !strings.Contains(env.errOut.String(), "want at least 2 answers") {
		t.Errorf("one answer: exit %d %s", code, env.errOut)
	}
}
