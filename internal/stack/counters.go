package stack

import (
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/upstream"
)

// liveCounters reports the forwarder's counts to the server's metrics (JSON "live", and
// Prometheus mockloop_live_*_total).
func liveCounters(f *upstream.Forwarder) func() []server.Counter {
	return func() []server.Counter {
		s := f.Stats()
		return []server.Counter{
			{Name: "attempts", Help: "Requests sent to the live API, each retry and oauth2 refresh included.", Value: s.Attempts},
			{Name: "retries", Help: "Attempts made again after a failure (refused, reset, timeout, 502/503/504), within retry_count.", Value: s.Retries},
			{Name: "failures", Help: "Live calls that failed before anything reached the client: answered 502/504, or by the mock with fallback.", Value: s.Failures},
			{Name: "broken_answers", Help: "Live answers that broke after they had started reaching the client.", Value: s.Broken},
			{Name: "token_requests", Help: "Requests made to the oauth2 token endpoint.", Value: s.TokenRequests},
			{Name: "token_refreshes", Help: "401 answers followed by a new oauth2 token and one more try.", Value: s.TokenRefreshes},
		}
	}
}
