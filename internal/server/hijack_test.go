package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
)

// dropper is a step that drops the connection of /pets/drop, holds /pets/hold until the
// client leaves or Drain, and lets the rest through.
type dropper struct {
	drained chan struct{}
	drains  atomic.Int32
}

func (d *dropper) Around(w http.ResponseWriter, r *http.Request, m spec.Match, next func(http.ResponseWriter, *http.Request)) {
	switch m.PathParams["id"] {
	case "drop":
		w.Header().Set(HeaderSimulation, "fault=empty")
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		conn.Close()
	case "hold":
		select {
		case <-r.Context().Done():
		case <-d.drained:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	default:
		next(w, r)
	}
}

func (d *dropper) Drain() {
	if d.drains.Add(1) == 1 {
		close(d.drained)
	}
}

func TestStepsThatDropOrHold(t *testing.T) {
	d := &dropper{drained: make(chan struct{})}
	s := newTestServer(t, Config{
		Steps: []Step{d},
		Admin: []AdminRoute{{Name: "things", Methods: "GET", Handler: http.NotFoundHandler(),
			Status: func() any { return map[string]int{"things": 3} }}},
	})
	hs := httptest.NewServer(s)
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	t.Run("a dropped connection is logged and counted with status 0", func(t *testing.T) {
		if resp, err := client.Get(hs.URL + "/pets/drop"); err == nil {
			resp.Body.Close()
			t.Fatalf("got an answer: %s", resp.Status)
		}
		waitFor(t, func() bool { return len(s.recent.recent(10, all)) == 1 })
		e := s.recent.recent(1, all)[0]
		if e.status != 0 || e.resHeader.Get(HeaderSimulation) != "fault=empty" {
			t.Errorf("logged status %d, header %q", e.status, e.resHeader.Get(HeaderSimulation))
		}
		if got := s.Status().Requests.Mock["other"]; got != 1 {
			t.Errorf("counted as other: %d", got)
		}
	})
	t.Run("a client that leaves first is logged with status 0", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/pets/hold", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("got an answer: %s", resp.Status)
		}
		waitFor(t, func() bool { return len(s.recent.recent(10, all)) == 2 })
		if e := s.recent.recent(1, all)[0]; e.status != 0 || e.path != "/pets/hold" {
			t.Errorf("logged %s %d", e.path, e.status)
		}
	})
	t.Run("drain lets held requests go", func(t *testing.T) {
		done := make(chan int, 1)
		go func() {
			resp, err := client.Get(hs.URL + "/pets/hold")
			if err != nil {
				done <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		time.Sleep(20 * time.Millisecond)
		s.Drain()
		s.Drain()
		if got := <-done; got != http.StatusServiceUnavailable {
			t.Errorf("held request got %d", got)
		}
	})
	t.Run("admin routes report under features", func(t *testing.T) {
		st := s.Status()
		if got, ok := st.Features["things"].(map[string]int); !ok || got["things"] != 3 {
			t.Errorf("features = %#v", st.Features)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func all(*entry) bool { return true }
