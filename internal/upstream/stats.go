package upstream

import "sync/atomic"

// stats counts what the forwarder did, for the server's metrics.
type stats struct {
	attempts  atomic.Int64 // requests sent upstream, retries and refresh retries included
	retries   atomic.Int64 // tries after the first of a call, the transport's own included
	failures  atomic.Int64 // calls that failed before an answer reached the client (502/504, or a fallback)
	broken    atomic.Int64 // answers that broke after they had started (reset, stall, bad chunking)
	refreshes atomic.Int64 // 401s answered with a new oauth2 token and one more try
}

// Stats is a snapshot of the forwarder's counters since it was built.
type Stats struct {
	// Attempts are the requests sent to the live API, each retry and oauth2 refresh included.
	Attempts int64
	// Retries are the attempts made again after a failure (connection refused or reset, a
	// timeout, 502/503/504), within retry_count, the one Go's transport makes on a reset
	// reused connection included.
	Retries int64
	// Failures are the live calls that failed before anything reached the client: answered 502
	// or 504, or by the mock with fallback.
	Failures int64
	// Broken are the live answers that failed after they had started (the client's answer cut).
	Broken int64
	// TokenRequests are the requests made to the oauth2 token endpoint.
	TokenRequests int64
	// TokenRefreshes are the 401s answered by obtaining a new oauth2 token and trying again.
	TokenRefreshes int64
}

// Stats reports the forwarder's counters.
func (f *Forwarder) Stats() Stats {
	s := Stats{
		Attempts:       f.stats.attempts.Load(),
		Retries:        f.stats.retries.Load(),
		Failures:       f.stats.failures.Load(),
		Broken:         f.stats.broken.Load(),
		TokenRefreshes: f.stats.refreshes.Load(),
	}
	if f.auth != nil && f.auth.oauth != nil {
		s.TokenRequests = f.auth.oauth.requests.Load()
	}
	return s
}
