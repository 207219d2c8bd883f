package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// runStore keeps the most recent test-run reports in memory, by id ("1", "2", ...).
type runStore struct {
	mu      sync.Mutex
	limit   int
	next    int
	order   []string // oldest first
	reports map[string]*TestResult
	dropped []string // evicted since the last evicted() call
}

func newRunStore(limit int) *runStore {
	return &runStore{limit: limit, reports: map[string]*TestResult{}}
}

// add keeps r and returns its id, evicting the oldest run beyond the limit.
func (rs *runStore) add(r *TestResult) string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.next++
	id := strconv.Itoa(rs.next)
	rs.reports[id] = r
	rs.order = append(rs.order, id)
	for len(rs.order) > rs.limit {
		old := rs.order[0]
		rs.order = rs.order[1:]
		delete(rs.reports, old)
		rs.dropped = append(rs.dropped, old)
	}
	return id
}

// evicted returns (and forgets) the ids evicted since the last call.
func (rs *runStore) evicted() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	d := rs.dropped
	rs.dropped = nil
	return d
}

// get returns the run with id, or the latest run when id is "".
func (rs *runStore) get(id string) (string, *TestResult, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if id == "" {
		if len(rs.order) == 0 {
			return "", nil, false
		}
		id = rs.order[len(rs.order)-1]
	}
	r, ok := rs.reports[id]
	return id, r, ok
}

// ids lists the kept run ids, oldest first.
func (rs *runStore) ids() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.order...)
}

const (
	uriScheme  = "mockloop://"
	runsPrefix = uriScheme + "runs/"
)

func runURI(id string) string { return runsPrefix + id }

func specURI(plugin string) string { return uriScheme + "plugins/" + plugin + "/spec" }

// addResources registers the resource template of test runs; plugin specs and runs are
// added as concrete resources when they appear.
func (s *Server) addResources() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: runsPrefix + "{id}",
		Name:        "test-run",
		Title:       "test run report",
		Description: "The report of an execute_test_plan run (test run -o json), by run_id.",
		MIMEType:    "application/json",
	}, s.readRun)
}

func (s *Server) readRun(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, ok := strings.CutPrefix(uri, runsPrefix)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	_, rep, ok := s.runs.get(id)
	if !ok || id == "" {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode run %s: %w", id, err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(data)}}}, nil
}

// addSpecResource exposes the plugin's loaded spec (as OpenAPI 3 JSON).
func (s *Server) addSpecResource(lp *loadedPlugin) {
	name, doc := lp.p.Name, lp.doc
	uri := specURI(name)
	s.mcp.AddResource(&mcp.Resource{
		URI:         uri,
		Name:        name + "-spec",
		Title:       fmt.Sprintf("OpenAPI document of plugin %s", name),
		Description: fmt.Sprintf("%s (%d operations), as loaded from %s", doc.Title(), len(doc.Operations), doc.Source),
		MIMEType:    "application/json",
	}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		data, err := json.MarshalIndent(doc.T, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode spec of plugin %q: %w", name, err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(data)}}}, nil
	})
}
