// Package loopback is for tests: a loopback address that refuses connections, which tests
// use as an API or a proxy that is down.
//
// Closing a listener to get such an address frees its port, and a server that another
// package's test starts meanwhile (go test runs packages in parallel) may be given it: once,
// in CI, a proxy that was meant to be down answered a CONNECT with 405. RefusedAddr keeps the
// port bound, without listening, until the test ends.
package loopback
