// Command coldstart measures a command's time to its first answer, for bench/scale.sh: it
// starts the command, polls a URL until an HTTP response arrives (any status), and prints
//
//	MILLISECONDS PEAK_RSS_KB STATUS
//
// where the time runs from just before the process starts to the first response, and the peak
// resident set size is the process's VmHWM at that moment (so work done after the first answer,
// such as serve's background example check, does not count). The process is then stopped
// with SIGINT. In the arguments, {port} is replaced by a free loopback port and {url}'s port
// likewise.
//
// With -exit the command is instead run to completion (a plain load, such as bench/kinload):
// the time is its whole run and the peak RSS is its maximum from getrusage; STATUS is its exit
// code.
//
//	coldstart -url 'http://127.0.0.1:{port}/' -- mockloop serve --spec s.json --addr 127.0.0.1:{port}
//	coldstart -exit -- kinload s.json
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to poll for the first answer; {port} is replaced")
	exit := flag.Bool("exit", false, "run the command to completion instead of polling")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || (*target == "") == !*exit {
		fmt.Fprintln(os.Stderr, "usage: coldstart (-url URL | -exit) -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	var err error
	if *exit {
		err = runToExit(args, *timeout)
	} else {
		err = firstAnswer(*target, args, *timeout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(2)
	}
}

func runToExit(args []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss
	}
	fmt.Printf("%d %d %d\n", elapsed.Milliseconds(), rss, cmd.ProcessState.ExitCode())
	return nil
}

func firstAnswer(target string, args []string, timeout time.Duration) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	target = strings.ReplaceAll(target, "{port}", port)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{port}", port)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	deadline := start.Add(timeout)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("%s exited before answering: %v", args[0], err)
		default:
		}
		resp, err := client.Get(target)
		if err == nil {
			elapsed := time.Since(start)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			rss := peakRSS(cmd.Process.Pid)
			stop()
			fmt.Printf("%d %d %d\n", elapsed.Milliseconds(), rss, resp.StatusCode)
			return nil
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("no answer from %s after %s", target, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// freePort is a loopback port nothing listens on (just now).
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// peakRSS is a process's peak resident set size so far, in KB (VmHWM), 0 when unknown.
func peakRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
