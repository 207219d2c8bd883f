package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/spec"
)

// Commands for end-to-end scripts against a running `mockloop serve`:
//
//	mlserve NAME [VAR=value]... mockloop serve ...       start in the background (with the
//	                                                      script's environment plus VARs), wait
//	                                                      for "listening on http://ADDR", set $NAME;
//	                                                      its stderr so far is the script's
//	mlstop [-INT|-TERM|-KILL|-wait] NAME [EXIT]           signal (-wait: none), wait, check the
//	                                                      exit code (default 0); its stdout and
//	                                                      stderr become the script's
//	mlkill -INT|-TERM|-HUP NAME                           signal without waiting
//	mlwaitlog NAME REGEXP                                 wait until its stderr matches
//	http [-H 'K: V']... [-d BODY] [-bg ID] METHOD URL     print "HTTP <status>", sorted headers,
//	                                                      a blank line and the body
//	httpwait ID                                           print a -bg request's result
//	echoserver NAME [hold]                                a loopback upstream answering JSON
//	                                                      {method, path, query, headers, body};
//	                                                      with hold, only after echorelease
//	echowait NAME N                                       wait until it received N requests
//	echorelease NAME                                      let a holding echoserver answer
//	[!] validresponse SPEC 'METHOD /tmpl' FILE            a saved http answer conforms (or not)

// scriptWait keeps waits generous on a loaded machine: they bound failures, never success.
const scriptWait = 30 * time.Second

type bgServer struct {
	cmd    *exec.Cmd
	done   chan struct{}
	stdout string // file paths
	stderr string
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

func servers(ts *testscript.TestScript) map[string]*bgServer {
	return scriptState(ts, "servers", func() any { return map[string]*bgServer{} }).(map[string]*bgServer)
}

var (
	stateMu sync.Mutex
	state   = map[*testscript.TestScript]map[string]any{}
)

// scriptState keeps per-script values (testscript runs scripts in parallel).
func scriptState(ts *testscript.TestScript, key string, init func() any) any {
	stateMu.Lock()
	defer stateMu.Unlock()
	m := state[ts]
	if m == nil {
		m = map[string]any{}
		state[ts] = m
		ts.Defer(func() {
			stateMu.Lock()
			delete(state, ts)
			stateMu.Unlock()
		})
	}
	if m[key] == nil {
		m[key] = init()
	}
	return m[key]
}

func cmdMLServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mlserve NAME [VAR=value]... program [args...]")
	}
	name := args[0]
	var extraEnv []string
	for len(args) > 2 && strings.Contains(args[1], "=") {
		extraEnv = append(extraEnv, args[1])
		args = append(args[:1], args[2:]...)
	}
	prog, err := exec.LookPath(args[1])
	if err != nil {
		// LookPath uses the process PATH; testscript puts its commands on the script's PATH.
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if p := filepath.Join(dir, args[1]); fileExists(p) {
				prog, err = p, nil
				break
			}
		}
	}
	ts.Check(err)
	work := ts.Getenv("WORK")
	bg := &bgServer{done: make(chan struct{}), stdout: filepath.Join(work, name+".stdout"), stderr: filepath.Join(work, name+".stderr")}
	outF, err := os.Create(bg.stdout)
	ts.Check(err)
	errF, err := os.Create(bg.stderr)
	ts.Check(err)
	bg.cmd = exec.Command(prog, args[2:]...)
	bg.cmd.Dir = ts.MkAbs(".")
	bg.cmd.Env = append(scriptEnv(ts), extraEnv...)
	bg.cmd.Stdout, bg.cmd.Stderr = outF, errF
	ts.Check(bg.cmd.Start())
	go func() {
		bg.cmd.Wait()
		outF.Close()
		errF.Close()
		close(bg.done)
	}()
	ts.Defer(func() {
		select {
		case <-bg.done:
		default:
			bg.cmd.Process.Kill()
			<-bg.done
		}
	})
	servers(ts)[name] = bg
	deadline := time.Now().Add(scriptWait)
	for {
		data, _ := os.ReadFile(bg.stderr)
		if m := listeningRE.FindSubmatch(data); m != nil {
			ts.Setenv(name, string(m[1]))
			ts.Stderr().Write(data)
			return
		}
		select {
		case <-bg.done:
			data, _ = os.ReadFile(bg.stderr)
			ts.Fatalf("%s exited before listening (%v):\n%s", name, bg.cmd.ProcessState, data)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s not listening after %s:\n%s", name, scriptWait, data)
		}
	}
}

// scriptEnv is the script's environment for a child process.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	// Variables only the script sets.
	for _, k := range []string{"WORK", "HOME", "PATH", "TMPDIR", "MOCKLOOP_HOME", "SHARED_SPECS", "NO_COLOR"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func cmdMLStop(ts *testscript.TestScript, neg bool, args []string) {
	sig := os.Signal(os.Interrupt)
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-INT":
		case "-TERM":
			sig = syscall.SIGTERM
		case "-KILL":
			sig = os.Kill
		case "-wait":
			sig = nil
		default:
			ts.Fatalf("mlstop: unknown signal %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: mlstop [-INT|-TERM|-KILL|-wait] NAME [EXIT]")
	}
	want := 0
	if len(args) == 2 {
		var err error
		want, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	bg := servers(ts)[args[0]]
	if bg == nil {
		ts.Fatalf("mlstop: no server %s", args[0])
	}
	if sig != nil {
		ts.Check(bg.cmd.Process.Signal(sig))
	}
	select {
	case <-bg.done:
	case <-time.After(scriptWait):
		bg.cmd.Process.Kill()
		ts.Fatalf("%s did not stop within %s", args[0], scriptWait)
	}
	out, _ := os.ReadFile(bg.stdout)
	errOut, _ := os.ReadFile(bg.stderr)
	ts.Stdout().Write(out)
	ts.Stderr().Write(errOut)
	if got := bg.cmd.ProcessState.ExitCode(); got != want {
		ts.Fatalf("%s exited %d (%v), want %d:\n%s", args[0], got, bg.cmd.ProcessState, want, errOut)
	}
}

// cmdMLKill sends a signal without waiting: mlkill [-INT|-TERM] NAME.
func cmdMLKill(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[0] != "-INT" && args[0] != "-TERM" && args[0] != "-HUP") {
		ts.Fatalf("usage: mlkill -INT|-TERM|-HUP NAME")
	}
	bg := servers(ts)[args[1]]
	if bg == nil {
		ts.Fatalf("mlkill: no server %s", args[1])
	}
	sig := os.Signal(os.Interrupt)
	switch args[0] {
	case "-TERM":
		sig = syscall.SIGTERM
	case "-HUP":
		sig = syscall.SIGHUP
	}
	ts.Check(bg.cmd.Process.Signal(sig))
}

type httpResult struct {
	text string
	err  error
}

func pending(ts *testscript.TestScript) *sync.Map {
	return scriptState(ts, "http", func() any { return new(sync.Map) }).(*sync.Map)
}

func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! http")
	}
	header := http.Header{}
	var body io.Reader
	bgID := ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args) > 1 {
		switch args[0] {
		case "-H":
			k, v, ok := strings.Cut(args[1], ":")
			if !ok {
				ts.Fatalf("http: -H wants 'Name: value', got %q", args[1])
			}
			header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d":
			body = strings.NewReader(args[1])
		case "-bg":
			bgID = args[1]
		default:
			ts.Fatalf("http: unknown option %s", args[0])
		}
		args = args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: http [-H 'K: V']... [-d BODY] [-bg ID] METHOD URL")
	}
	req, err := http.NewRequest(args[0], args[1], body)
	ts.Check(err)
	req.Header = header
	if h := header.Get("Host"); h != "" { // net/http sends req.Host, never a Host header
		req.Host = h
		header.Del("Host")
	}
	if bgID == "" {
		text, err := doHTTP(req)
		ts.Check(err)
		ts.Stdout().Write([]byte(text))
		return
	}
	ch := make(chan httpResult, 1)
	pending(ts).Store(bgID, ch)
	go func() {
		text, err := doHTTP(req)
		ch <- httpResult{text, err}
	}()
}

func cmdHTTPWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpwait ID")
	}
	v, ok := pending(ts).LoadAndDelete(args[0])
	if !ok {
		ts.Fatalf("httpwait: no request %s", args[0])
	}
	select {
	case res := <-v.(chan httpResult):
		ts.Check(res.err)
		ts.Stdout().Write([]byte(res.text))
	case <-time.After(scriptWait):
		ts.Fatalf("httpwait: %s did not finish within %s", args[0], scriptWait)
	}
}

var scriptClient = &http.Client{Timeout: scriptWait, Transport: &http.Transport{DisableKeepAlives: true}}

func doHTTP(req *http.Request) (string, error) {
	resp, err := scriptClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read %s %s: %w", req.Method, req.URL, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	b.WriteString("\n")
	b.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		b.WriteString("\n")
	}
	return b.String(), nil
}

// echo is a loopback upstream for proxy scripts.
type echo struct {
	mu       sync.Mutex
	received int
	arrived  chan struct{} // signalled on every request
	release  chan struct{} // closed by echorelease when holding
}

func echoes(ts *testscript.TestScript) map[string]*echo {
	return scriptState(ts, "echoes", func() any { return map[string]*echo{} }).(map[string]*echo)
}

func cmdEchoServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: echoserver NAME [hold]")
	}
	e := &echo{arrived: make(chan struct{}, 1024), release: make(chan struct{})}
	if len(args) == 1 {
		close(e.release)
	} else if args[1] != "hold" {
		ts.Fatalf("echoserver: unknown option %s", args[1])
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.received++
		e.mu.Unlock()
		e.arrived <- struct{}{}
		select {
		case <-e.release:
		case <-r.Context().Done():
			return
		}
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
		w.Write(bytes.TrimSpace(out))
	}))
	ts.Defer(srv.Close)
	ts.Defer(func() {
		select {
		case <-e.release:
		default:
			close(e.release)
		}
	})
	echoes(ts)[args[0]] = e
	ts.Setenv(args[0], srv.URL)
}

// cmdEchoWait waits until the echo server has received N requests in all: echowait NAME N.
func cmdEchoWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: echowait NAME N")
	}
	e := echoes(ts)[args[0]]
	if e == nil {
		ts.Fatalf("echowait: no echo server %s", args[0])
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	deadline := time.After(scriptWait)
	for {
		e.mu.Lock()
		got := e.received
		e.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-e.arrived:
		case <-deadline:
			ts.Fatalf("echowait: %s received %d requests, want %d", args[0], got, n)
		}
	}
}

// cmdEchoRelease lets a holding echo server answer: echorelease NAME.
func cmdEchoRelease(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || echoes(ts)[args[0]] == nil {
		ts.Fatalf("usage: echorelease NAME (of an echoserver started with hold)")
	}
	e := echoes(ts)[args[0]]
	select {
	case <-e.release:
	default:
		close(e.release)
	}
}

// cmdMLWaitLog waits until a server's stderr matches a regular expression: mlwaitlog NAME RE.
func cmdMLWaitLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mlwaitlog NAME REGEXP")
	}
	bg := servers(ts)[args[0]]
	if bg == nil {
		ts.Fatalf("mlwaitlog: no server %s", args[0])
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(scriptWait)
	for {
		data, _ := os.ReadFile(bg.stderr)
		if re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("mlwaitlog: %s stderr does not match %s after %s:\n%s", args[0], args[1], scriptWait, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdValidResponse checks a saved `http` answer against the spec, with the mock engine's
// response validator: validresponse SPEC 'METHOD /template' FILE. It fails listing the problems.
func cmdValidResponse(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: validresponse SPEC 'METHOD /template' FILE")
	}
	doc, err := spec.Load(context.Background(), ts.MkAbs(args[0]), spec.Options{})
	ts.Check(err)
	var op *spec.Operation
	for _, o := range doc.Operations {
		if o.Key() == args[1] {
			op = o
		}
	}
	if op == nil {
		ts.Fatalf("validresponse: no operation %s in %s", args[1], args[0])
	}
	head, body, ok := strings.Cut(ts.ReadFile(args[2]), "\n\n")
	lines := strings.Split(head, "\n")
	status := 0
	if _, err := fmt.Sscanf(lines[0], "HTTP %d", &status); err != nil || !ok {
		ts.Fatalf("validresponse: %s is not the output of http", args[2])
	}
	header := http.Header{}
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ": "); ok {
			header.Add(k, v)
		}
	}
	problems := mock.New(doc, mock.Options{}).ValidateResponse(op, nil, status, header, []byte(strings.TrimSuffix(body, "\n")))
	for _, p := range problems {
		fmt.Fprintln(ts.Stdout(), p)
	}
	if (len(problems) > 0) != neg {
		ts.Fatalf("validresponse: %d problems, want %s", len(problems), map[bool]string{false: "none", true: "some"}[neg])
	}
}
