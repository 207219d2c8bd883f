package loopback

import "testing"

// RefusedAddr is a loopback "127.0.0.1:PORT" that refuses connections until the test ends.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	addr, release, err := Refused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return addr
}
