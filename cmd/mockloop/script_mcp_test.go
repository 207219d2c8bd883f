package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for end-to-end scripts that talk MCP to the real binary, as an assistant's client:
//
//	mcpconnect NAME program [args...]      start `program args` and connect over stdio; its
//	                                        stderr goes to $WORK/NAME.stderr
//	[!] mcpconnect NAME URL [TOKEN]         connect over Streamable HTTP (with the bearer TOKEN);
//	                                        with !, the connection must be refused
//	mcptools NAME                           print the tool names, one a line, then
//	                                        "tools/list: N bytes" (every page)
//	[!] mcpcall NAME TOOL JSON              call TOOL with the arguments JSON and print the
//	                                        structured result (indented); with !, the call must
//	                                        be a tool error, whose text is printed
//	mcpclose NAME                           close the session (and wait for a stdio server);
//	                                        a stdio server's stderr becomes the script's

// mcpConnectWait bounds connecting: a stdio server answers initialize once its plugins are
// loaded, which for GitHub's spec under the race detector on a busy machine is slow.
const mcpConnectWait = 3 * time.Minute

type mcpConn struct {
	session *mcp.ClientSession
	cmd     *exec.Cmd // stdio only
	stderr  string    // stdio only: the file
}

func mcpConns(ts *testscript.TestScript) map[string]*mcpConn {
	return scriptState(ts, "mcp", func() any { return map[string]*mcpConn{} }).(map[string]*mcpConn)
}

func cmdMCPConnect(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: mcpconnect NAME program [args...] | mcpconnect NAME URL [TOKEN]")
	}
	name := args[0]
	ctx, cancel := context.WithTimeout(context.Background(), mcpConnectWait)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "testscript", Version: "1"}, nil)
	conn := &mcpConn{}
	var transport mcp.Transport
	if strings.HasPrefix(args[1], "http://") {
		if len(args) > 3 {
			ts.Fatalf("usage: mcpconnect NAME URL [TOKEN]")
		}
		token := ""
		if len(args) == 3 {
			token = args[2]
		}
		transport = &mcp.StreamableClientTransport{Endpoint: args[1], MaxRetries: -1,
			HTTPClient: &http.Client{Timeout: scriptWait, Transport: bearerTransport{token}}}
	} else {
		if neg {
			ts.Fatalf("unsupported: ! mcpconnect over stdio")
		}
		prog, err := exec.LookPath(args[1])
		if err != nil {
			for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
				if p := filepath.Join(dir, args[1]); fileExists(p) {
					prog, err = p, nil
					break
				}
			}
		}
		ts.Check(err)
		conn.cmd = exec.Command(prog, args[2:]...)
		conn.cmd.Dir = ts.MkAbs(".")
		conn.cmd.Env = scriptEnv(ts)
		conn.stderr = filepath.Join(ts.Getenv("WORK"), name+".stderr")
		f, err := os.Create(conn.stderr)
		ts.Check(err)
		ts.Defer(func() { f.Close() })
		conn.cmd.Stderr = f
		transport = &mcp.CommandTransport{Command: conn.cmd}
	}
	cs, err := client.Connect(ctx, transport, nil)
	if neg {
		if err == nil {
			cs.Close()
			ts.Fatalf("mcpconnect %s: connected, want a refusal", name)
		}
		fmt.Fprintf(ts.Stdout(), "refused: %v\n", err)
		return
	}
	if err != nil {
		if conn.stderr != "" {
			data, _ := os.ReadFile(conn.stderr)
			ts.Fatalf("mcpconnect %s: %v\n%s", name, err, data)
		}
		ts.Fatalf("mcpconnect %s: %v", name, err)
	}
	conn.session = cs
	mcpConns(ts)[name] = conn
	ts.Defer(func() { cs.Close() })
}

func mcpConnOf(ts *testscript.TestScript, name string) *mcpConn {
	c := mcpConns(ts)[name]
	if c == nil {
		ts.Fatalf("no MCP session %s", name)
	}
	return c
}

func cmdMCPTools(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mcptools NAME")
	}
	cs := mcpConnOf(ts, args[0]).session
	ctx, cancel := context.WithTimeout(context.Background(), scriptWait)
	defer cancel()
	var b strings.Builder
	size := 0
	params := &mcp.ListToolsParams{}
	for {
		page, err := cs.ListTools(ctx, params)
		ts.Check(err)
		data, _ := json.Marshal(page)
		size += len(data)
		for _, t := range page.Tools {
			b.WriteString(t.Name + "\n")
		}
		if page.NextCursor == "" {
			break
		}
		params = &mcp.ListToolsParams{Cursor: page.NextCursor}
	}
	fmt.Fprintf(&b, "tools/list: %d bytes\n", size)
	ts.Stdout().Write([]byte(b.String()))
}

func cmdMCPCall(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: mcpcall NAME TOOL JSON")
	}
	cs := mcpConnOf(ts, args[0]).session
	var arguments map[string]any
	if err := json.Unmarshal([]byte(args[2]), &arguments); err != nil {
		ts.Fatalf("mcpcall: arguments %s: %v", args[2], err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptWait)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: args[1], Arguments: json.RawMessage(args[2])})
	ts.Check(err)
	if res.IsError {
		text := ""
		if len(res.Content) > 0 {
			if tc, ok := res.Content[0].(*mcp.TextContent); ok {
				text = tc.Text
			}
		}
		if !neg {
			ts.Fatalf("mcpcall %s: tool error: %s", args[1], text)
		}
		fmt.Fprintln(ts.Stdout(), text)
		return
	}
	if neg {
		ts.Fatalf("mcpcall %s: succeeded, want a tool error", args[1])
	}
	data, err := json.Marshal(res.StructuredContent)
	ts.Check(err)
	var out bytes.Buffer
	ts.Check(json.Indent(&out, data, "", "  "))
	out.WriteString("\n")
	ts.Stdout().Write(out.Bytes())
}

func cmdMCPClose(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mcpclose NAME")
	}
	c := mcpConnOf(ts, args[0])
	ts.Check(c.session.Close())
	delete(mcpConns(ts), args[0])
	if c.cmd != nil {
		// CommandTransport's Close waits for the server to exit after its stdin closes.
		data, _ := os.ReadFile(c.stderr)
		ts.Stderr().Write(data)
	}
}

// bearerTransport adds "Authorization: Bearer TOKEN" when TOKEN is set.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}
