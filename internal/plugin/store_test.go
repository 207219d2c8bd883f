package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "plugins")
	s := NewStore(dir)

	t.Run("list before the directory exists", func(t *testing.T) {
		ps, err := s.List()
		if err != nil || len(ps) != 0 {
			t.Fatalf("List = %v, %v", ps, err)
		}
	})
	t.Run("get missing", func(t *testing.T) {
		_, err := s.Get("nope")
		if !errors.Is(err, ErrNotFound) || err.Error() != `plugin "nope" not found in `+dir {
			t.Fatalf("err = %v", err)
		}
	})

	p := validPlugin()
	p.Name = "beta"
	p.Mode, p.TargetURL = ModeProxy, "https://api.example.com"
	p.Auth = &Auth{AuthType: AuthBearerToken, Credentials: map[string]string{"token": "literal-secret"}}

	t.Run("save creates dir 0700 and file 0600", func(t *testing.T) {
		if err := s.Save(p, false); err != nil {
			t.Fatal(err)
		}
		assertMode(t, dir, 0o700)
		assertMode(t, s.Path("beta"), 0o600)
		data, _ := os.ReadFile(s.Path("beta"))
		if !strings.Contains(string(data), "token: literal-secret") {
			t.Errorf("file lacks the secret:\n%s", data)
		}
	})
	t.Run("get", func(t *testing.T) {
		got, err := s.Get("beta")
		if err != nil {
			t.Fatal(err)
		}
		if got.TargetURL != p.TargetURL || got.Auth.Credentials["token"] != "literal-secret" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("save existing without force", func(t *testing.T) {
		q := *p
		q.TargetURL = "https://other.example.com"
		err := s.Save(&q, false)
		if !errors.Is(err, ErrExists) || err.Error() != `plugin "beta" already exists in `+dir {
			t.Fatalf("err = %v", err)
		}
		got, _ := s.Get("beta")
		if got.TargetURL != p.TargetURL {
			t.Error("file was replaced")
		}
	})
	t.Run("save existing with force", func(t *testing.T) {
		q := *p
		q.TargetURL = "https://other.example.com"
		if err := s.Save(&q, true); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get("beta")
		if got.TargetURL != "https://other.example.com" {
			t.Error("file not replaced")
		}
		assertMode(t, s.Path("beta"), 0o600)
	})
	t.Run("list sorted, ignores other files", func(t *testing.T) {
		a := validPlugin()
		a.Name = "alpha"
		if err := s.Save(a, false); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"README.txt", ".beta.123.tmp", "bad name.yaml"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x: ["), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].Name != "alpha" || ps[1].Name != "beta" {
			t.Errorf("List = %v", ps)
		}
		for _, f := range []string{"README.txt", ".beta.123.tmp", "bad name.yaml"} {
			os.Remove(filepath.Join(dir, f))
		}
	})
	t.Run("no temp files left", func(t *testing.T) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temp file left: %s", e.Name())
			}
		}
	})
	t.Run("invalid plugin is not saved", func(t *testing.T) {
		bad := validPlugin()
		bad.Name = "gamma"
		bad.Mode = ModeProxy // no target
		if err := s.Save(bad, false); err == nil {
			t.Fatal("saved an invalid plugin")
		}
		if _, err := os.Stat(s.Path("gamma")); !errors.Is(err, os.ErrNotExist) {
			t.Error("file written for an invalid plugin")
		}
	})
	t.Run("bad names never touch the disk", func(t *testing.T) {
		for _, name := range []string{"../escape", "a/b", "", "x.y"} {
			bad := validPlugin()
			bad.Name = name
			if err := s.Save(bad, true); err == nil {
				t.Errorf("Save(%q) succeeded", name)
			}
			if _, err := s.Get(name); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) = %v, want a name error", name, err)
			}
			if err := s.Delete(name); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Delete(%q) = %v, want a name error", name, err)
			}
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.yaml")); err == nil {
			t.Error("file written outside the directory")
		}
	})
	t.Run("file with wrong name", func(t *testing.T) {
		if err := os.WriteFile(s.Path("delta"), []byte("name: other\nspec: s\nmode: mock\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Get("delta")
		if err == nil || !strings.Contains(err.Error(), `name "other" does not match the file name`) {
			t.Errorf("err = %v", err)
		}
		if _, err := s.List(); err == nil {
			t.Error("List hid a broken file")
		}
		os.Remove(s.Path("delta"))
	})
	t.Run("delete", func(t *testing.T) {
		if err := s.Delete("beta"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete("beta"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

func TestStoreSaveFailsCleanly(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	err := NewStore(dir).Save(validPlugin(), false)
	if err == nil || !strings.Contains(err.Error(), `save plugin "p"`) {
		t.Errorf("err = %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode %o, want %o", path, got, want)
	}
}
