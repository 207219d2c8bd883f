package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// The discovery tools stand for the operations of the plugins in discovery mode, so that a
// large API costs the assistant's context three tools instead of one per operation.
var discoveryTools = []string{"search_operations", "describe_operation", "call_operation"}

// Search limits: the default and the most matches search_operations returns.
const (
	defaultSearchLimit = 20
	maxSearchLimit     = 50
)

// syncDiscoveryLocked registers the discovery tools while a loaded plugin is in discovery
// mode, and removes them when none is. s.mu is held.
func (s *Server) syncDiscoveryLocked() {
	want := false
	for _, lp := range s.plugins {
		if lp.err == nil && lp.toolMode == plugin.MCPToolsDiscovery {
			want = true
			break
		}
	}
	switch {
	case want && !s.discovery:
		s.addDiscoveryTools()
	case !want && s.discovery:
		s.mcp.RemoveTools(discoveryTools...)
	}
	s.discovery = want
}

func (s *Server) addDiscoveryTools() {
	addTool(s.mcp, &mcp.Tool{
		Name: "search_operations",
		Description: "Find API operations of the loaded plugins by words from their operationId, path, summary or tags " +
			"(all words should match; the best matches first). Returns at most limit one-line matches; pass a match's " +
			"operation to describe_operation or call_operation.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.searchOperations)
	addTool(s.mcp, &mcp.Tool{
		Name: "describe_operation",
		Description: "Describe one API operation: its flat input schema (the arguments call_operation takes), its " +
			"responses and their shapes, and whether it is secured.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.describeOperation)
	addTool(s.mcp, &mcp.Tool{
		Name:        "call_operation",
		InputSchema: inputSchema[callInput](),
		Description: "Call one API operation through its plugin's mode (mock, proxy with the plugin's credentials, or " +
			"hybrid rules), with the flat arguments describe_operation lists, and return status, headers and body. " +
			credentialNote,
		Annotations: &mcp.ToolAnnotations{OpenWorldHint: boolPtr(true)},
	}, s.callOperationTool)
}

type searchInput struct {
	Query      string `json:"query" jsonschema:"words to look for, e.g. \"list repositories for a user\"; empty lists the operations in document order"`
	PluginName string `json:"plugin_name,omitempty" jsonschema:"search only this plugin (default: every plugin in discovery mode)"`
	Limit      int    `json:"limit,omitempty" jsonschema:"the most matches to return (default 20, at most 50)"`
}

type searchMatch struct {
	Plugin    string `json:"plugin"`
	Operation string `json:"operation"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Summary   string `json:"summary,omitempty"`
}

type searchOutput struct {
	Matches []searchMatch `json:"matches"`
	// Total is how many operations matched; more than len(matches) when cut at the limit.
	Total int `json:"total"`
}

func (s *Server) searchOperations(_ context.Context, _ *mcp.CallToolRequest, in searchInput) (*mcp.CallToolResult, any, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = defaultSearchLimit
	case limit < 0 || limit > maxSearchLimit:
		return nil, nil, fmt.Errorf("limit %d: want 1 to %d", limit, maxSearchLimit)
	}
	lps, err := s.discoveryPlugins(in.PluginName)
	if err != nil {
		return nil, nil, err
	}
	words := queryWords(in.Query)
	type scored struct {
		m     searchMatch
		score score
		order int
	}
	var hits []scored
	for _, lp := range lps {
		for _, op := range lp.selected {
			sc := scoreOperation(op, words)
			if len(words) > 0 && sc.matched == 0 {
				continue
			}
			m := searchMatch{Plugin: lp.p.Name, Operation: operationRef(op), Method: op.Method, Path: op.Path}
			if op.Op != nil {
				m.Summary = truncate(oneLine(op.Op.Summary), 160)
			}
			hits = append(hits, scored{m, sc, len(hits)})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int {
		if c := b.score.compare(a.score); c != 0 {
			return c
		}
		return a.order - b.order
	})
	out := searchOutput{Matches: []searchMatch{}, Total: len(hits)}
	for _, h := range hits[:min(limit, len(hits))] {
		out.Matches = append(out.Matches, h.m)
	}
	return nil, out, nil
}

// stopWords are left out of queries: they match nearly every summary.
var stopWords = []string{"a", "an", "the", "of", "for", "to", "by", "in", "on", "with", "and", "or", "all", "my", "me", "is"}

// queryWords splits a query into lower-case words (letters and digits), stop words left out.
func queryWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !slices.Contains(words, w) && !slices.Contains(stopWords, w) {
			words = append(words, w)
		}
	}
	return words
}

// score is how well an operation matches a query, compared field by field: the query words
// found anywhere (matched), then how much of the summary the query covers (coverage, in
// thousandths: "List repositories for a user" answers "list repositories for a user" better
// than "List repositories starred by a user" does), then where the words are (rank: the
// operationId and the path weigh most, then tags, then the summary).
type score struct {
	matched, coverage, rank int
}

func (a score) compare(b score) int {
	switch {
	case a.matched != b.matched:
		return a.matched - b.matched
	case a.coverage != b.coverage:
		return a.coverage - b.coverage
	}
	return a.rank - b.rank
}

func scoreOperation(op *spec.Operation, words []string) score {
	var sc score
	id := strings.ToLower(op.ID)
	path := strings.ToLower(op.Path)
	var summary, tags string
	if op.Op != nil {
		summary = strings.ToLower(op.Op.Summary)
		tags = strings.ToLower(strings.Join(op.Op.Tags, " "))
	}
	method := strings.ToLower(op.Method)
	for _, w := range words {
		r := 0
		if strings.Contains(id, w) {
			r += 4
		}
		if strings.Contains(path, w) {
			r += 3
		}
		if strings.Contains(tags, w) {
			r += 2
		}
		if strings.Contains(summary, w) {
			r++
		}
		if w == method {
			r++
		}
		if r > 0 {
			sc.matched++
			sc.rank += r
		}
	}
	if sw := queryWords(summary); len(sw) > 0 {
		covered := 0
		for _, s := range sw {
			if slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, s) || strings.HasPrefix(s, w) }) {
				covered++
			}
		}
		sc.coverage = covered * 1000 / len(sw)
	}
	return sc
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type describeInput struct {
	Operation  string `json:"operation" jsonschema:"the operation: its operationId, or \"METHOD /path\" as search_operations returns it"`
	PluginName string `json:"plugin_name,omitempty" jsonschema:"the plugin (needed only when several plugins have that operation)"`
}

type describeOutput struct {
	Plugin      string             `json:"plugin"`
	Operation   string             `json:"operation"`
	Method      string             `json:"method"`
	Path        string             `json:"path"`
	Summary     string             `json:"summary,omitempty"`
	Description string             `json:"description,omitempty"`
	Tags        []string           `json:"tags,omitempty"`
	Deprecated  bool               `json:"deprecated,omitempty"`
	Mode        string             `json:"mode"`
	Security    string             `json:"security,omitempty"`
	InputSchema map[string]any     `json:"input_schema"`
	Responses   []describeResponse `json:"responses"`
}

type describeResponse struct {
	Status      string         `json:"status"`
	Description string         `json:"description,omitempty"`
	ContentType string         `json:"content_type,omitempty"`
	Schema      map[string]any `json:"schema,omitempty"`
}

func (s *Server) describeOperation(_ context.Context, _ *mcp.CallToolRequest, in describeInput) (*mcp.CallToolResult, any, error) {
	lp, op, err := s.findOperation(in.PluginName, in.Operation)
	if err != nil {
		return nil, nil, err
	}
	out := describeOutput{Plugin: lp.p.Name, Operation: operationRef(op), Method: op.Method, Path: op.Path,
		Mode: string(lp.mode), InputSchema: lp.binding(op).schema(), Responses: []describeResponse{}}
	if op.Op != nil {
		out.Summary = op.Op.Summary
		if op.Op.Description != op.Op.Summary {
			out.Description = truncate(op.Op.Description, 1500)
		}
		out.Tags, out.Deprecated = op.Op.Tags, op.Op.Deprecated
	}
	if hint := lp.doc.CredentialHint(op); hint != "" {
		out.Security = hint + ": " + credentialNote
	}
	for _, r := range op.Responses() {
		out.Responses = append(out.Responses, describeResponse{Status: r.Status, Description: truncate(oneLine(r.Description), 300),
			ContentType: r.MediaType, Schema: r.Schema})
	}
	return nil, out, nil
}

type callInput struct {
	Operation  string         `json:"operation" jsonschema:"the operation: its operationId, or \"METHOD /path\""`
	PluginName string         `json:"plugin_name,omitempty" jsonschema:"the plugin (needed only when several plugins have that operation)"`
	Arguments  map[string]any `json:"arguments,omitempty" jsonschema:"the flat arguments describe_operation lists: parameters and body fields by name"`
}

func (s *Server) callOperationTool(ctx context.Context, req *mcp.CallToolRequest, in callInput) (*mcp.CallToolResult, any, error) {
	lp, op, err := s.findOperation(in.PluginName, in.Operation)
	if err != nil {
		return nil, nil, err
	}
	res, err := s.callOperation(ctx, lp, op, rawArguments(req), "")
	if err != nil {
		return nil, nil, fmt.Errorf("call_operation %s: %w", operationRef(op), err)
	}
	return nil, res, nil
}

// rawArguments is the "arguments" object of a call as sent: the typed input decoded its
// numbers as float64, and large integers must reach the API exactly.
func rawArguments(req *mcp.CallToolRequest) json.RawMessage {
	var raw struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if req != nil && req.Params != nil {
		_ = json.Unmarshal(req.Params.Arguments, &raw)
	}
	return raw.Arguments
}

// discoveryPlugins are the plugins the discovery tools look at: the one named, else those in
// discovery mode.
func (s *Server) discoveryPlugins(name string) ([]*loadedPlugin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "" {
		lp := s.plugins[name]
		switch {
		case lp == nil:
			return nil, fmt.Errorf("plugin %q is not loaded (list_plugins lists them)", name)
		case lp.err != nil:
			return nil, lp.err
		}
		return []*loadedPlugin{lp}, nil
	}
	var out []*loadedPlugin
	for _, n := range sortedKeys(s.plugins) {
		if lp := s.plugins[n]; lp.err == nil && lp.toolMode == plugin.MCPToolsDiscovery {
			out = append(out, lp)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no plugin is in discovery mode: give plugin_name")
	}
	return out, nil
}

// findOperation finds the operation ref names (an operationId or "METHOD /path") among the
// selected operations of the plugin named, else of the plugins in discovery mode.
func (s *Server) findOperation(pluginName, ref string) (*loadedPlugin, *spec.Operation, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, nil, errors.New("operation is required: an operationId or \"METHOD /path\" (search_operations finds them)")
	}
	lps, err := s.discoveryPlugins(pluginName)
	if err != nil {
		return nil, nil, err
	}
	type found struct {
		lp *loadedPlugin
		op *spec.Operation
	}
	var hits []found
	var names []string
	for _, lp := range lps {
		names = append(names, lp.p.Name)
		if op := lookupOperation(lp.selected, ref); op != nil {
			hits = append(hits, found{lp, op})
		} else if op := lookupOperation(lp.doc.Operations, ref); op != nil && pluginName != "" {
			return nil, nil, fmt.Errorf("operation %q of plugin %q is left out by its operations filter", ref, lp.p.Name)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil, fmt.Errorf("no operation %q in plugin %s (search_operations finds operations)", ref, strings.Join(names, ", "))
	case 1:
		return hits[0].lp, hits[0].op, nil
	}
	var in []string
	for _, h := range hits {
		in = append(in, h.lp.p.Name)
	}
	return nil, nil, fmt.Errorf("operation %q is in plugins %s: give plugin_name", ref, strings.Join(in, ", "))
}

// lookupOperation finds ref among ops: an operationId, else "METHOD /path" (method in any
// case). An operationId used twice names none of them.
func lookupOperation(ops []*spec.Operation, ref string) *spec.Operation {
	var byID *spec.Operation
	for _, op := range ops {
		if op.ID == ref {
			if byID != nil {
				byID = nil
				break
			}
			byID = op
		}
	}
	if byID != nil {
		return byID
	}
	method, path, ok := strings.Cut(ref, " ")
	if !ok {
		return nil
	}
	key := strings.ToUpper(method) + " " + strings.TrimSpace(path)
	for _, op := range ops {
		if op.Key() == key {
			return op
		}
	}
	return nil
}
