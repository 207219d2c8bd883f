package simulate

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
)

// fail answers r with the fault f: a status, or a connection that is reset, closed empty,
// sent garbage, or held until the client gives up (or f's hold, or a shutdown).
func (s *Simulator) fail(w http.ResponseWriter, r *http.Request, f *fault, rng *splitmix) {
	switch f.kind {
	case plugin.FaultStatus:
		problem.Write(w, problem.Details{Status: f.status, Title: "Simulated fault",
			Detail: "a simulated fault: status " + strconv.Itoa(f.status) + " in place of the answer"})
		return
	case plugin.FaultTimeout:
		t := time.NewTimer(f.hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.drain:
		case <-r.Context().Done():
		}
	}
	s.drop(w, r, f.kind, rng)
}

// maxDrain bounds the request body read before a connection is closed: unread bytes in the
// socket would turn a clean close (empty, malformed) into a reset.
const maxDrain = 1 << 20

// drop takes the connection over and ends it as kind says. When it cannot be taken over (an
// HTTP/2 stream, an in-process handler), the fault is answered as a 502 that says so.
func (s *Simulator) drop(w http.ResponseWriter, r *http.Request, kind string, rng *splitmix) {
	if kind != plugin.FaultReset && r.Body != nil {
		_, _ = io.CopyN(io.Discard, r.Body, maxDrain)
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadGateway, Title: "Simulated fault",
			Detail: "a simulated " + kind + " fault needs an HTTP/1 connection to drop; this one cannot be taken over (" + err.Error() + ")"})
		return
	}
	defer conn.Close()
	switch kind {
	case plugin.FaultReset:
		if tcp := tcpConn(conn); tcp != nil {
			_ = tcp.SetLinger(0) // Close sends RST instead of FIN
		}
	case plugin.FaultMalformed:
		_, _ = buf.Write(garbage(rng))
		_ = buf.Flush()
	}
}

// tcpConn is the TCP connection under conn (TLS included), nil when there is none.
func tcpConn(conn net.Conn) *net.TCPConn {
	for {
		switch c := conn.(type) {
		case *net.TCPConn:
			return c
		case interface{ NetConn() net.Conn }:
			conn = c.NetConn()
		default:
			return nil
		}
	}
}

// garbage is 64 to 511 bytes that no HTTP client can read as a response.
func garbage(rng *splitmix) []byte {
	out := make([]byte, 64+rng.next()%448)
	for i := 0; i < len(out); i += 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rng.next())
		copy(out[i:], b[:])
	}
	out[0] = 0 // never "HTTP/..."
	return out
}

// splitmix is SplitMix64: a tiny, fast, well-mixed generator, one per request.
type splitmix struct{ state uint64 }

func (r *splitmix) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// float is uniform in [0, 1).
func (r *splitmix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// randomSeed is a seed nobody chose, for runs without --seed.
func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:])
}
