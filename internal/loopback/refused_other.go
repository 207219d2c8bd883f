//go:build !unix

package loopback

import "net"

// Refused returns a loopback "127.0.0.1:PORT" nothing listens on: a closed listener's. (On
// unix the port is also kept from being given to anyone else until release.)
func Refused() (addr string, release func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}
