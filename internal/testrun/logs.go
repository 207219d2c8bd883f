package testrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/server"
)

// Collecting a running server's request log (Request.CollectLogs): the sides that go through
// the server send X-Mockloop-Case with each request, the server's log records the request's
// headers, and after the run the entries are fetched and attached to their cases.

// tagServerSide marks side to send X-Mockloop-Case when it is the running server at srv, and
// reports whether it is.
func tagServerSide(side Side, srv *url.URL) bool {
	hs, ok := side.(*HTTPSide)
	if !ok || hs.Base != srv {
		return false
	}
	hs.Tag = true
	return true
}

// newRunTag names a run in X-Mockloop-Case, so that two runs against one server never mix.
func newRunTag() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "run-" + hex.EncodeToString(b)
}

// Waiting for the log: the server records a request just after it answered, so the last
// entries of a run may arrive a moment after its last answer.
const (
	logPolls     = 20
	logPollDelay = 50 * time.Millisecond
)

// logSource is the running server whose request log a run collects, and the sides that go
// through it.
type logSource struct {
	server     *url.URL
	mock, live bool
}

// attach fetches the server's request log and attaches each entry of this run (its
// X-Mockloop-Case names it) to its case, oldest first. What goes wrong is said in
// rep.LogsError; the cases stay as they are.
func (ls *logSource) attach(ctx context.Context, client *http.Client, tag string, rep *Report) {
	// Every answered request of a side through the server is one entry: count them to know
	// when all are in.
	want := 0
	for _, c := range rep.Cases {
		if ls.mock && c.Mock != nil && c.Mock.Status != 0 {
			want++
		}
		if ls.live && c.Live != nil && c.Live.Status != 0 {
			want++
		}
	}
	if want == 0 {
		return
	}
	var body server.RequestsBody
	var found map[int][]server.RequestRecord
	var n int
	for poll := 0; ; poll++ {
		var err error
		body, err = fetchRequests(ctx, client, ls.server, max(2*want, server.DefaultRequestBuffer))
		if err != nil {
			rep.LogsError = err.Error()
			return
		}
		found, n = byCase(body.Requests, tag, len(rep.Cases))
		if n >= want || poll == logPolls || ctx.Err() != nil {
			break
		}
		time.Sleep(logPollDelay)
	}
	for i, recs := range found {
		slices.Reverse(recs) // the server lists the newest first
		rep.Cases[i].Logs = recs
	}
	if n < want {
		rep.LogsError = fmt.Sprintf("%d of the run's %d requests are not in the server's request log (it keeps the last %d)", want-n, want, body.Capacity)
	}
}

// byCase groups the records of run tag by case index, and counts them.
func byCase(recs []server.RequestRecord, tag string, cases int) (map[int][]server.RequestRecord, int) {
	out := map[int][]server.RequestRecord{}
	n := 0
	for _, r := range recs {
		id, ok := strings.CutPrefix(r.RequestHeaders[HeaderCase], tag+"-")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(id)
		if err != nil || i < 1 || i > cases {
			continue
		}
		out[i-1] = append(out[i-1], r)
		n++
	}
	return out, n
}

// fetchRequests is GET /__mockloop/requests?limit=N of the server at base.
func fetchRequests(ctx context.Context, client *http.Client, base *url.URL, limit int) (server.RequestsBody, error) {
	var body server.RequestsBody
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/__mockloop/requests"
	u.RawQuery = url.Values{"limit": {strconv.Itoa(limit)}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return body, err
	}
	name := redact.URL(base.String())
	resp, err := client.Do(req)
	if err != nil {
		return body, fmt.Errorf("collect logs from %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("collect logs from %s: GET /__mockloop/requests answered %s", name, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, MaxBody)).Decode(&body); err != nil {
		return body, fmt.Errorf("collect logs from %s: %w", name, err)
	}
	return body, nil
}
