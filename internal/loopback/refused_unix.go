//go:build unix

package loopback

import (
	"fmt"
	"syscall"
)

// Refused returns a loopback "127.0.0.1:PORT" that refuses connections until release is
// called: a TCP socket bound to it but not listening, so the kernel answers a connection with a
// reset and gives the port to nobody else.
func Refused() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	release = func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return "", nil, err
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), release, nil
}
