package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/plugin"
)

// TestBrokenLiveAnswerLoggedCountedAborted: a live answer that breaks after its status was
// sent is in the request log, GET /__mockloop/requests, the counters and the metrics, with the
// status as sent and the error; and the client's answer is aborted, not completed.
func TestBrokenLiveAnswerLoggedCountedAborted(t *testing.T) {
	for _, format := range []LogFormat{LogText, LogJSON} {
		t.Run(string(format), func(t *testing.T) {
			var buf syncBuffer
			s := newTestServer(t, Config{Mode: plugin.ModeProxy, Live: &fakeLive{midBody: "the connection was reset mid-body after 8 bytes"}, Log: &buf, LogFormat: format})
			front := httptest.NewServer(s)
			defer front.Close()
			for range 3 {
				resp, err := http.Get(front.URL + "/pets/1")
				if err != nil {
					continue // the connection was dropped before the headers arrived: also an abort
				}
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil || resp.StatusCode != 200 {
					t.Errorf("status %d, body read error %v: the cut answer looks complete", resp.StatusCode, err)
				}
			}
			st := s.Status()
			if st.Requests.Total != 3 || st.Requests.Proxy["2xx"] != 3 || st.Requests.Aborted != 3 {
				t.Errorf("counters %+v", st.Requests)
			}
			m := s.Metrics().Snapshot()
			if len(m) != 1 || m[0].Count != 3 || m[0].Aborted != 3 {
				t.Errorf("metrics %+v", m)
			}
			w := do(s, "GET", "/__mockloop/requests", nil, "")
			if !strings.Contains(w.Body.String(), `"status": 200`) || !strings.Contains(w.Body.String(), `"error": "the connection was reset mid-body after 8 bytes"`) {
				t.Errorf("requests %s", w.Body)
			}
			s.Close()
			out := buf.String()
			want := ` GET /pets/1 200 `
			wantErr := ` error="the connection was reset mid-body after 8 bytes"`
			if format == LogJSON {
				want, wantErr = `"status":200`, `"error":"the connection was reset mid-body after 8 bytes"`
			}
			if strings.Count(out, "\n") != 3 || strings.Count(out, want) != 3 || strings.Count(out, wantErr) != 3 {
				t.Errorf("log:\n%s", out)
			}
		})
	}
}

func TestStatusInsecureTLS(t *testing.T) {
	s := newTestServer(t, Config{Live: &fakeLive{}, InsecureTLS: []string{"https://api.internal"}})
	w := do(s, "GET", "/__mockloop/status", nil, "")
	if !strings.Contains(w.Body.String(), `"insecure_tls": [
    "https://api.internal"
  ]`) {
		t.Errorf("status %s", w.Body)
	}
}
