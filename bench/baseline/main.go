// Command baseline is the yardstick of bench/load.sh: a bare net/http server that answers every
// request with the same fixed body (-body FILE), or a bare httputil.ReverseProxy to -proxy URL.
// It prints "listening on http://ADDR" on stderr like mockloop serve, and stops on SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	bodyFile := flag.String("body", "", "serve this file's bytes as every answer")
	contentType := flag.String("content-type", "application/json", "Content-Type of the fixed body")
	target := flag.String("proxy", "", "reverse-proxy every request to this URL instead")
	flag.Parse()
	if err := run(*addr, *bodyFile, *contentType, *target); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(2)
	}
}

func run(addr, bodyFile, contentType, target string) error {
	var h http.Handler
	switch {
	case target != "":
		u, err := url.Parse(target)
		if err != nil {
			return err
		}
		// The same pool size as mockloop's forwarder: the default transport keeps only two idle
		// connections per host, which would measure connection churn, not proxying.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 256
		h = &httputil.ReverseProxy{Transport: tr, Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
		}}
	case bodyFile != "":
		body, err := os.ReadFile(bodyFile)
		if err != nil {
			return err
		}
		length := strconv.Itoa(len(body))
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Content-Length", length)
			w.Write(body)
		})
	default:
		return fmt.Errorf("give -body FILE or -proxy URL")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
