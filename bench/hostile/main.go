// Command hostile measures what hostile clients cost a running mockloop serve: the peak memory
// of many concurrent large request bodies, the memory the request log keeps for huge headers,
// and how long a client that sends its request slowly holds a connection. It runs the real
// binary (-bin) in mock mode on bench/hostile/openapi.yaml and prints one line per figure, so a
// binary built from an older commit gives the "before" of the same run.
//
//	go build -o /tmp/mockloop ./cmd/mockloop && go run ./bench/hostile -bin /tmp/mockloop
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("bin", "mockloop", "the mockloop binary to measure")
	specFile := flag.String("spec", "bench/hostile/openapi.yaml", "the spec to serve")
	parts := flag.String("parts", "bodies,headers,slow", "which measurements to run")
	clients := flag.Int("clients", 64, "concurrent clients for the bodies part")
	bodyMB := flag.Int("body-mb", 10, "size of each request body, in MB")
	flag.Parse()
	for _, p := range strings.Split(*parts, ",") {
		var err error
		switch p {
		case "bodies":
			err = bodies(*bin, *specFile, *clients, *bodyMB<<20)
		case "headers":
			err = headers(*bin, *specFile)
		case "slow":
			err = slow(*bin, *specFile)
		default:
			err = fmt.Errorf("unknown part %q", p)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", p+":", err)
			os.Exit(1)
		}
	}
}

// server is a running mockloop serve.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func start(bin, specFile string, extra ...string) (*server, error) {
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready")
	args := append([]string{"serve", specFile, "--port", "0", "--quiet", "--ready-file", ready}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			u := strings.TrimSpace(string(b))
			return &server{cmd: cmd, addr: strings.TrimPrefix(u, "http://")}, nil
		}
	}
	_ = cmd.Process.Kill()
	return nil, errors.New("server did not become ready")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// status reads a field of /proc/PID/status in MB (VmHWM is the peak resident size).
func (s *server) status(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

func itemsBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","tags":["a","b","c"]}`, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func bodies(bin, specFile string, clients, size int) error {
	s, err := start(bin, specFile)
	if err != nil {
		return err
	}
	defer s.stop()
	base := s.status("VmHWM")
	body := itemsBody(size)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	began := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := "error"
			resp, err := http.Post("http://"+s.addr+"/items", "application/json", bytes.NewReader(body))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = strconv.Itoa(resp.StatusCode)
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("bodies: %d concurrent POSTs of %.1f MB: peak RSS %.0f MB (idle %.0f MB), %.2fs, answers %v\n",
		clients, float64(len(body))/(1<<20), s.status("VmHWM"), base, time.Since(began).Seconds(), codes)
	return nil
}

func headers(bin, specFile string) error {
	s, err := start(bin, specFile)
	if err != nil {
		return err
	}
	defer s.stop()
	big := strings.Repeat("h", 900<<10)
	client := &http.Client{}
	for range 400 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+"/items", nil)
		req.Header.Set("X-Big", big)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	time.Sleep(3 * time.Second)
	resp, err := http.Get("http://" + s.addr + "/__mockloop/requests")
	if err != nil {
		return err
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Printf("headers: 400 requests with a 900 KB header: RSS %.0f MB after (peak %.0f MB); /__mockloop/requests is %.1f MB\n",
		s.status("VmRSS"), s.status("VmHWM"), float64(n)/(1<<20))
	return nil
}

// slow sends a request's header, then its body one byte every two seconds, and measures how
// long the server keeps the connection; then the same for a header sent slowly.
func slow(bin, specFile string) error {
	s, err := start(bin, specFile)
	if err != nil {
		return err
	}
	defer s.stop()
	for _, c := range []struct{ name, head, drip string }{
		{"slow body", "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", "{"},
		{"slow header", "GET /items HTTP/1.1\r\n", "X"},
	} {
		held, err := hold(s.addr, c.head, c.drip, 90*time.Second)
		if err != nil {
			return err
		}
		fmt.Printf("slow: a client sending its %s at 1 byte per 2s holds the connection %s\n", strings.TrimPrefix(c.name, "slow "), held)
	}
	return nil
}

func hold(addr, head, drip string, limit time.Duration) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	began := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	closed := make(chan struct{})
	go func() {
		// The server closing (or answering, then closing) ends the hold.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		close(closed)
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(began).Round(time.Second).String(), nil
		case <-ctx.Done():
			return "more than " + limit.String(), nil
		case <-tick.C:
			_, _ = io.WriteString(conn, drip)
		}
	}
}
