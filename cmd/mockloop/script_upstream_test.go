package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Fault-injecting upstreams for the proxy scripts:
//
//	upstream start NAME KIND [N]      start a loopback upstream and set $NAME to its URL. KIND:
//	                                  echo   answers JSON {method, path, query, headers, body}
//	                                  oauth  POST /token issues tok-1, tok-2, ...; other paths
//	                                         echo when "Authorization: Bearer tok-*" else 401
//	                                  flaky  answers 503 to the first N requests, then echoes
//	                                  slow   never answers (until the client gives up)
//	                                  reset  sends headers and part of the body, then closes
//	                                  down   nothing listens: $NAME is a closed loopback port
//	upstream hits NAME N              it received exactly N requests (token requests apart)
//	upstream tokens NAME N            an oauth upstream issued exactly N tokens
//	upstream raw URL TARGET HOST      send "GET TARGET HTTP/1.1" with "Host: HOST" to the server
//	                                  at URL and print "HTTP <status>" and the body; then
//	                                  "(cut: ERROR)" when the answer ends early

type upstream struct {
	mu     sync.Mutex
	hits   int
	tokens int
	issued map[string]bool
}

func upstreams(ts *testscript.TestScript) map[string]*upstream {
	return scriptState(ts, "upstreams", func() any { return map[string]*upstream{} }).(map[string]*upstream)
}

func cmdUpstream(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: upstream start|hits|tokens|raw ...")
	}
	switch args[0] {
	case "start":
		upstreamStart(ts, args[1:])
	case "hits", "tokens":
		if len(args) != 3 || upstreams(ts)[args[1]] == nil {
			ts.Fatalf("usage: upstream %s NAME N (of a started upstream)", args[0])
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		u := upstreams(ts)[args[1]]
		u.mu.Lock()
		got := u.hits
		if args[0] == "tokens" {
			got = u.tokens
		}
		u.mu.Unlock()
		if got != want {
			ts.Fatalf("upstream %s: %s = %d, want %d", args[1], args[0], got, want)
		}
	case "raw":
		upstreamRaw(ts, args[1:])
	default:
		ts.Fatalf("upstream: unknown subcommand %s", args[0])
	}
}

func upstreamStart(ts *testscript.TestScript, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: upstream start NAME KIND [N]")
	}
	name, kind := args[0], args[1]
	u := &upstream{issued: map[string]bool{}}
	upstreams(ts)[name] = u
	if kind == "down" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		addr := ln.Addr().String()
		ln.Close()
		ts.Setenv(name, "http://"+addr)
		return
	}
	n := 0
	if kind == "flaky" {
		if len(args) != 3 {
			ts.Fatalf("usage: upstream start NAME flaky N")
		}
		var err error
		n, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		if kind == "oauth" && r.URL.Path == "/token" {
			u.mu.Lock()
			u.tokens++
			tok := fmt.Sprintf("tok-%d", u.tokens)
			u.issued[tok] = true
			u.mu.Unlock()
			_ = r.ParseForm()
			if r.PostForm.Get("grant_type") == "" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, tok)
			return
		}
		u.mu.Lock()
		u.hits++
		hit := u.hits
		valid := u.issued[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		u.mu.Unlock()
		switch kind {
		case "oauth":
			if !valid {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		case "flaky":
			if hit <= n {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(scriptWait):
			}
			return
		case "reset":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly the beginning")
			_ = buf.Flush()
			conn.Close()
			return
		case "echo":
		default:
			http.Error(w, "unknown upstream kind "+kind, http.StatusInternalServerError)
			return
		}
		echoJSON(w, r)
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	ts.Defer(srv.Close)
	ts.Setenv(name, srv.URL)
}

// echoJSON answers what the request carried, headers sorted by name through encoding/json.
func echoJSON(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ", ")
	}
	out, _ := json.Marshal(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
		"headers": headers, "body": string(data),
	})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(bytes.TrimSpace(out))
}

func upstreamRaw(ts *testscript.TestScript, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: upstream raw URL TARGET HOST")
	}
	u, err := url.Parse(args[0])
	ts.Check(err)
	conn, err := net.DialTimeout("tcp", u.Host, scriptWait)
	ts.Check(err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(scriptWait))
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", args[1], args[2])
	ts.Check(err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		// The server dropped the connection before its headers were out: an aborted answer.
		fmt.Fprintf(ts.Stdout(), "(cut: %v)\n", err)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(ts.Stdout(), "HTTP %d\n\n%s\n", resp.StatusCode, body)
	if err != nil {
		fmt.Fprintf(ts.Stdout(), "(cut: %v)\n", err)
	}
}
