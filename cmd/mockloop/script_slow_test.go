package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSlowClient is a client that holds a connection by sending its request slowly:
//
//	slowclient URL body|header
//
// body sends a POST's headers (Content-Length 100) and then one body byte every 200ms; header
// sends the request line and then one header byte every 200ms. It succeeds when the server
// closes the connection (within scriptWait) and prints what the server sent before closing.
func cmdSlowClient(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: slowclient URL body|header")
	}
	var head, drip string
	switch args[1] {
	case "body":
		head, drip = "POST /books HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: k\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", "{"
	case "header":
		head, drip = "GET /books HTTP/1.1\r\n", "X"
	default:
		ts.Fatalf("slowclient: want body or header, got %q", args[1])
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(args[0], "http://"))
	ts.Check(err)
	defer conn.Close()
	_, err = io.WriteString(conn, head)
	ts.Check(err)
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(bufio.NewReader(conn))
		got <- string(b)
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(scriptWait)
	for {
		select {
		case out := <-got:
			ts.Stdout().Write([]byte(out))
			return
		case <-deadline:
			ts.Fatalf("slowclient: the server still holds the connection after %s", scriptWait)
		case <-tick.C:
			_, _ = io.WriteString(conn, drip)
		}
	}
}
