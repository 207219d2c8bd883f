// Package server is the http.Handler behind `mockloop serve`: it routes each request to its
// operation, decides which side answers it (the mock engine, the live API through a Live
// implementation such as upstream.Forwarder, or per request by route rules in hybrid mode),
// and keeps what the admin API under /__mockloop/ reports: mode, counters, a ring buffer of
// recent requests and per-operation latency metrics. Nothing request-scoped lives on
// long-lived values except atomic counters and the ring buffer's slots.
package server
