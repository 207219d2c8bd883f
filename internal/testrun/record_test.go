package testrun

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
)

// TestPrepareRecordsTheLiveSide: test run --record writes the live side's answers with the
// one recording writer, without the plugin's credential, and the report names the directory.
func TestPrepareRecordsTheLiveSide(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "pets.yaml")
	if err := os.WriteFile(specPath, []byte(petSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"id":1,"name":"`+r.Header.Get("Authorization")+`"}]`)
	}))
	defer live.Close()
	p := &plugin.Plugin{Name: "pets", Spec: specPath, Mode: plugin.ModeProxy, TargetURL: live.URL,
		Auth: &plugin.Auth{AuthType: plugin.AuthBearerToken, Credentials: map[string]string{"token": "tok-SECRET-42"}}}
	recDir := filepath.Join(dir, "rec")
	pr, err := Prepare(context.Background(), Request{Plugin: p, Operations: []string{"listPets"}, Validation: "off", Record: recDir})
	if err != nil {
		t.Fatal(err)
	}
	rep := pr.Run(context.Background(), nil)
	pr.Close()
	if rep.Recordings != recDir || len(rep.Cases) != 1 || rep.Cases[0].Live == nil || rep.Cases[0].Live.Error != "" {
		t.Fatalf("report: recordings %q, cases %+v", rep.Recordings, rep.Cases)
	}
	set, err := record.ReadDir(recDir)
	if err != nil {
		t.Fatal(err)
	}
	f := set.Files["GET /pets"]
	if f == nil || len(f.Entries) != 1 {
		t.Fatalf("recordings: %+v", set.Files)
	}
	body, _ := f.Entries[0].Response.BodyBytes()
	if !strings.Contains(string(body), `"Bearer ***"`) {
		t.Errorf("recorded body %s: the injected token must be redacted", body)
	}
	data, _ := os.ReadFile(filepath.Join(recDir, set.Names["GET /pets"]))
	if strings.Contains(string(data), "tok-SECRET-42") {
		t.Errorf("the token reached the recording:\n%s", data)
	}

	_, err = Prepare(context.Background(), Request{Spec: specPath, Mode: "mock", Record: recDir})
	if err == nil || !strings.Contains(err.Error(), "record: this run calls no live side") {
		t.Errorf("mock-only run with --record: %v", err)
	}
}
