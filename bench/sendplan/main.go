// Command sendplan is the floor of bench/load.sh's runner part: it sends a test plan's requests
// to two servers the way `mockloop test run` does (each case to -a, then to -b, -concurrency
// cases at a time, every body read whole) with a bare net/http client and nothing else: no
// status check, validation, comparison or report. It builds every request before it starts, and
// prints the CPU time (user and system) it spent sending them:
//
//	send_cpu_s 0.071 requests 2446
//
// so that the runner's CPU can be read against what any net/http client pays for the same
// exchanges.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/testrun"
)

func main() {
	planFile := flag.String("plan", "", "test plan (YAML or JSON, as `mockloop test plan` writes it)")
	specFile := flag.String("spec", "", "the OpenAPI document the plan is bound to")
	a := flag.String("a", "", "first server's base URL (the mock side)")
	b := flag.String("b", "", "second server's base URL (the live side)")
	concurrency := flag.Int("concurrency", 4, "cases in flight at once (test run's default)")
	flag.Parse()
	if err := run(*planFile, *specFile, *a, *b, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "sendplan:", err)
		os.Exit(2)
	}
}

// pair is one case's two requests, built before the clock starts.
type pair [2]*http.Request

func run(planFile, specFile, a, b string, concurrency int) error {
	if planFile == "" || specFile == "" || a == "" || b == "" {
		return fmt.Errorf("give -plan, -spec, -a and -b")
	}
	data, err := os.ReadFile(planFile)
	if err != nil {
		return err
	}
	plan, err := testrun.Parse(data, planFile)
	if err != nil {
		return err
	}
	doc, err := spec.Load(context.Background(), specFile, spec.Options{})
	if err != nil {
		return err
	}
	if err := plan.Bind(doc); err != nil {
		return err
	}
	bases := [2]*url.URL{}
	for i, raw := range []string{a, b} {
		if bases[i], err = url.Parse(raw); err != nil {
			return err
		}
	}
	pairs := make([]pair, 0, len(plan.Cases))
	for _, c := range plan.Cases {
		var p pair
		for i, base := range bases {
			if p[i], err = c.NewRequest(base); err != nil {
				return fmt.Errorf("case %s: %w", c.Name, err)
			}
		}
		// test run tells the server on its mock side which mode to answer in; the live side is
		// an API and gets no such header.
		p[0].Header.Set("X-Mockloop-Mode", "mock")
		pairs = append(pairs, p)
	}

	client := testrun.SideClient(concurrency) // test run's own client: the same connection pool

	before := cpu()
	next := make(chan pair)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range max(concurrency, 1) {
		wg.Go(func() {
			for p := range next {
				for _, req := range p {
					if err := send(client, req); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			}
		})
	}
	for _, p := range pairs {
		next <- p
	}
	close(next)
	wg.Wait()
	spent := cpu() - before
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("send_cpu_s %.3f requests %d\n", spent.Seconds(), 2*len(pairs))
	return nil
}

// send sends one request and reads the answer whole, as a side does.
func send(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

// cpu is the process's user and system time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
