package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

// This file is an external test package: stack imports record (for replay:), so a test that
// records through the real stack cannot live inside package record.

func loadPetsDoc(t testing.TB) *spec.Document {
	t.Helper()
	doc, err := spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestRecordingsHoldNoSecret records through the real stack: a plugin whose live API answers
// with everything it received (the injected credentials included, in the body and in headers)
// and a body field the plugin's redact: list names. No configured secret may reach the files.
func TestRecordingsHoldNoSecret(t *testing.T) {
	const apiKey, token, clientOwn, bodySecret = "sk_live_KEY_5678", "bearer-TOKEN-9876", "client-OWN-secret", "s3cr3t-field-value"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session="+token)
		w.Header().Set("X-Echo-Key", r.URL.Query().Get("api_key"))
		got, _ := json.Marshal(map[string]any{"query": r.URL.RawQuery, "auth": r.Header.Get("Authorization")})
		io.WriteString(w, `[{"id": 1, "name": "Rex", "token": "`+bodySecret+`", "seen": `+string(got)+`}]`)
	}))
	defer up.Close()
	p := &plugin.Plugin{Name: "pets", Spec: "testdata/pets.yaml", Mode: plugin.ModeProxy, TargetURL: up.URL,
		Auth:   &plugin.Auth{AuthType: plugin.AuthAPIKey, Location: "query", Name: "api_key", Credentials: map[string]string{"api_key": "${KEY}"}},
		Redact: []string{"token"}}
	lookup := func(k string) (string, bool) { return apiKey, k == "KEY" }
	set, err := stack.Resolve(p, stack.Flags{}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadPetsDoc(t)
	dir := t.TempDir()
	var st *stack.Stack
	rd, err := record.NewRedactor(set.RedactPolicy(), func(s string) string { return st.Redact(s) }, set.Redact)
	if err != nil {
		t.Fatal(err)
	}
	w, err := record.NewWriter(dir, doc, record.Options{Redactor: rd})
	if err != nil {
		t.Fatal(err)
	}
	st, err = stack.Build(doc, set, stack.Options{LookupEnv: lookup, LiveObservers: []server.LiveObserver{w}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := httptest.NewRequest("GET", "/pets?limit=1&api_key="+clientOwn, nil)
	req.Header.Set("Authorization", "Bearer "+clientOwn)
	req.Header.Set("Cookie", "sid="+clientOwn)
	req.Header.Set("X-Note", "key is "+apiKey)
	rec := httptest.NewRecorder()
	st.ServeHTTP(rec, req)
	w.Close()
	if !strings.Contains(rec.Body.String(), apiKey) {
		t.Fatalf("the live API did not see the injected key (the test proves nothing): %s", rec.Body)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	data, _ := os.ReadFile(files[0])
	for _, secret := range []string{apiKey, token, clientOwn, bodySecret} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("recording holds %q:\n%s", secret, data)
		}
	}
	if !bytes.Contains(data, []byte(`"redacted": [`)) || !bytes.Contains(data, []byte(`"$[0].token"`)) {
		t.Errorf("redacted field not listed:\n%s", data)
	}
}
