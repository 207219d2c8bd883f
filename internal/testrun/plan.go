// Package testrun holds mockloop's test plans and their runner: the YAML plan model (parsed
// strictly, or generated from a spec with one case per operation), the execution of each case
// against a mock side and a live side, the per-case checks (expected status, response validation
// against the spec, mock-vs-live differences) and the performance metrics of a run.
//
// It does not know how a side answers: the command wires in-process handlers, running servers
// or live APIs as Side values and the mock engine as the Validator; answers are compared with
// the comparison engine under the merged comparison layers of each case.
package testrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/yamldoc"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/spec"
)

// Plan is a test plan: comparison defaults for every case, and the cases in order.
type Plan struct {
	// Comparison holds the plan's comparison defaults (same keys as a plugin's comparison).
	Comparison compare.Config `yaml:"comparison,omitempty" json:"comparison,omitempty"`
	// Cases are run in order (and in parallel up to the runner's concurrency).
	Cases []*Case `yaml:"cases" json:"cases"`
	// LeftOut names the operations Generate did not make a case for, each with why.
	LeftOut []string `yaml:"-" json:"-"`
}

// Case is one request sent to each side and the checks applied to the answers.
type Case struct {
	// Name identifies the case in results; unique within a plan.
	Name string `yaml:"name" json:"name"`
	// Operation is an operationId; alternatively Method and Path name the operation.
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"`
	Method    string `yaml:"method,omitempty" json:"method,omitempty"`
	// Path is a path template from the spec (/pets/{petId}, filled from PathParams) or a
	// concrete path (/pets/42).
	Path        string            `yaml:"path,omitempty" json:"path,omitempty"`
	PathParams  map[string]string `yaml:"path_params,omitempty" json:"path_params,omitempty"`
	Query       map[string]Values `yaml:"query,omitempty" json:"query,omitempty"`
	Headers     map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Cookies     map[string]string `yaml:"cookies,omitempty" json:"cookies,omitempty"`
	ContentType string            `yaml:"content_type,omitempty" json:"content_type,omitempty"`
	// Body is the request body: any YAML value, sent as JSON when the content type is JSON
	// (the default when a body is given), else a string sent as is.
	Body   any    `yaml:"body,omitempty" json:"body,omitempty"`
	Expect Expect `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Comparison overrides the plan's comparison options for this case.
	Comparison *compare.Config `yaml:"comparison,omitempty" json:"comparison,omitempty"`

	// Op is the operation the case calls, set by Plan.Bind.
	Op *spec.Operation `yaml:"-" json:"-"`
	// Line is where the case starts in the plan file (0 when generated).
	Line int `yaml:"-" json:"-"`
}

// Expect is what a case expects of each side's answer.
type Expect struct {
	// Status is the expected HTTP status; 0 means the status the spec's chosen response
	// declares (its lowest 2xx), or any 2xx when it declares none.
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
}

// Values is a query parameter's values: a YAML scalar or a list of scalars.
type Values []string

// UnmarshalYAML accepts a scalar (`limit: 10`) or a sequence of scalars (`tag: [a, b]`).
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = Values{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Values, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: query value must be a scalar", c.Line)
			}
			out = append(out, c.Value)
		}
		*v = out
		return nil
	}
	return fmt.Errorf("line %d: query value must be a scalar or a list of scalars", n.Line)
}

// MarshalYAML writes a single value as a scalar.
func (v Values) MarshalYAML() (any, error) {
	if len(v) == 1 {
		return v[0], nil
	}
	return []string(v), nil
}

// Label is the case's name, or its operation when it has none.
func (c *Case) Label() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Operation != "" {
		return c.Operation
	}
	return c.Method + " " + c.Path
}

// maxPlanSize bounds what Parse accepts.
const maxPlanSize = 32 << 20

// Parse decodes a plan strictly: unknown keys, wrong types, missing names, an operation given
// both ways or neither, and duplicate names are errors that name the case and its line.
// source names the plan in messages.
func Parse(data []byte, source string) (*Plan, error) {
	wrap := func(err error) error {
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
			// Keep messages on one line: YAML errors quote multi-line values.
			err = errors.New(strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(msg))
		}
		return fmt.Errorf("plan %q: %w", source, err)
	}
	if len(data) > maxPlanSize {
		return nil, wrap(fmt.Errorf("larger than %d MiB", maxPlanSize>>20))
	}
	root, err := yamldoc.Parse(data)
	if err != nil {
		return nil, wrap(err)
	}
	lines := caseLines(root)
	var p Plan
	if err := yamldoc.DecodeStrict(data, &p); err != nil {
		if errors.Is(err, yamldoc.ErrEmpty) {
			return nil, wrap(errors.New("empty plan: want a cases list"))
		}
		var de *yamldoc.Error
		if errors.As(err, &de) {
			return nil, wrap(errors.New(describeIssue(de.Issues[0], lines, &p)))
		}
		return nil, wrap(err)
	}
	for i, c := range p.Cases {
		if c == nil {
			return nil, wrap(fmt.Errorf("case %d: empty", i+1))
		}
		if i < len(lines) {
			c.Line = lines[i].first
		}
	}
	if err := p.Check(); err != nil {
		return nil, wrap(err)
	}
	return &p, nil
}

// Check validates the plan's shape without a spec: names present and unique, an operation or a
// method and path, a known method, an expected status in 100..599.
func (p *Plan) Check() error {
	if len(p.Cases) == 0 {
		return errors.New("no cases")
	}
	seen := make(map[string]int, len(p.Cases))
	for i, c := range p.Cases {
		where := caseWhere(i, c)
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("%s: name is required", where)
		}
		if j, dup := seen[c.Name]; dup {
			return fmt.Errorf("%s: duplicate name (also case %d)", where, j+1)
		}
		seen[c.Name] = i
		switch {
		case c.Operation != "" && (c.Method != "" || c.Path != ""):
			return fmt.Errorf("%s: give operation or method and path, not both", where)
		case c.Operation == "" && (c.Method == "" || c.Path == ""):
			return fmt.Errorf("%s: operation (an operationId) or method and path are required", where)
		}
		if c.Method != "" {
			m := strings.ToUpper(c.Method)
			if !slices.Contains(methods, m) {
				return fmt.Errorf("%s: unknown method %q", where, c.Method)
			}
		}
		if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
			return fmt.Errorf("%s: path %q must start with /", where, c.Path)
		}
		if s := c.Expect.Status; s != 0 && (s < 100 || s > 599) {
			return fmt.Errorf("%s: expect.status %d is not an HTTP status", where, s)
		}
		if _, err := c.encodeBody(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// Bind finds each case's operation in doc: by operationId, by path template, or by routing
// the concrete path. An unknown operation or a path parameter without a value is an error
// naming the case.
func (p *Plan) Bind(doc *spec.Document) error {
	byID := make(map[string]*spec.Operation, len(doc.Operations))
	byKey := make(map[string]*spec.Operation, len(doc.Operations))
	for _, op := range doc.Operations {
		if op.ID != "" {
			if _, dup := byID[op.ID]; !dup {
				byID[op.ID] = op
			}
		}
		byKey[op.Key()] = op
	}
	for i, c := range p.Cases {
		where := caseWhere(i, c)
		if c.Operation != "" {
			op, ok := byID[c.Operation]
			if !ok {
				return fmt.Errorf("%s: no operation with operationId %q in %s", where, c.Operation, doc.Source)
			}
			c.Op = op
		} else {
			m := strings.ToUpper(c.Method)
			if op, ok := byKey[m+" "+c.Path]; ok {
				c.Op = op
			} else {
				target, err := c.fill(c.Path)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				match := doc.Find(m, target)
				if match.Operation == nil {
					return fmt.Errorf("%s: %s %s is not an operation of %s", where, m, c.Path, doc.Source)
				}
				c.Op = match.Operation
			}
		}
		if _, err := c.RequestPath(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

// caseWhere names case i for messages: `case 3 "get pet" (line 12)`.
func caseWhere(i int, c *Case) string {
	s := fmt.Sprintf("case %d", i+1)
	if c != nil && c.Name != "" {
		s += fmt.Sprintf(" %q", c.Name)
	}
	if c != nil && c.Line > 0 {
		s += fmt.Sprintf(" (line %d)", c.Line)
	}
	return s
}

// caseSpan is the first and last line of one item of the cases list.
type caseSpan struct{ first, last int }

// caseLines returns the span of each item of the top-level cases list.
func caseLines(root *yaml.Node) []caseSpan {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "cases" || m.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		var spans []caseSpan
		for _, c := range m.Content[i+1].Content {
			spans = append(spans, caseSpan{c.Line, lastLine(c, 0)})
		}
		return spans
	}
	return nil
}

// lastLine is the largest line of n and its descendants (depth-bounded: the YAML parser
// already limits nesting).
func lastLine(n *yaml.Node, depth int) int {
	l := n.Line
	if depth > 1000 {
		return l
	}
	for _, c := range n.Content {
		l = max(l, lastLine(c, depth+1))
	}
	return l
}

// describeIssue names the case a decoding problem falls in: "line 7: case 2 \"b\": ...".
func describeIssue(is yamldoc.Issue, lines []caseSpan, p *Plan) string {
	idx := -1
	for i, sp := range lines {
		if sp.first <= is.Line && is.Line <= sp.last {
			idx = i
		}
	}
	if is.Line == 0 || idx < 0 {
		return is.String()
	}
	where := fmt.Sprintf("case %d", idx+1)
	if idx < len(p.Cases) && p.Cases[idx] != nil && p.Cases[idx].Name != "" {
		where += fmt.Sprintf(" %q", p.Cases[idx].Name)
	}
	return fmt.Sprintf("line %d: %s: %s", is.Line, where, is.Message)
}

// fill replaces {name} segments of a template with the case's path parameters, escaped.
func (c *Case) fill(template string) (string, error) {
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("path %q: unclosed {", template)
		}
		name := rest[open+1 : open+end]
		v, ok := c.PathParams[name]
		if !ok {
			return "", fmt.Errorf("path parameter %q has no value (set path_params.%s)", name, name)
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[open+end+1:]
	}
}

// RequestPath is the concrete path the case requests: its own path (or its operation's
// template) with the path parameters filled in.
func (c *Case) RequestPath() (string, error) {
	p := c.Path
	if p == "" && c.Op != nil {
		p = c.Op.Path
	}
	return c.fill(p)
}

// RequestMethod is the case's method: its own, or its operation's.
func (c *Case) RequestMethod() string {
	if c.Method != "" {
		return strings.ToUpper(c.Method)
	}
	if c.Op != nil {
		return c.Op.Method
	}
	return ""
}

// isJSON reports whether a media type is JSON (application/json, application/*+json).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// encodeBody returns the body bytes and their content type ("" and nil when no body).
func (c *Case) encodeBody() ([]byte, error) {
	if c.Body == nil {
		return nil, nil
	}
	ct := c.ContentType
	if ct == "" || isJSON(ct) {
		b, err := json.Marshal(jsonable(c.Body))
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return b, nil
	}
	s, ok := c.Body.(string)
	if !ok {
		return nil, fmt.Errorf("body: content type %s needs a string body", ct)
	}
	return []byte(s), nil
}

// jsonable converts YAML-decoded values (map[any]any never appears with yaml.v3, but
// map[string]any with non-string keys can) into values encoding/json accepts.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonable(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = jsonable(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonable(x)
		}
		return out
	}
	return v
}

// NewRequest builds the case's HTTP request against base (scheme, host and base path of a
// side). The body is encoded anew for every call, so each side gets its own request.
func (c *Case) NewRequest(base *url.URL) (*http.Request, error) {
	p, err := c.RequestPath()
	if err != nil {
		return nil, err
	}
	u := *base
	escaped := strings.TrimSuffix(base.EscapedPath(), "/") + p
	u.Path, u.RawPath = escaped, ""
	if dec, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = dec, escaped
	}
	q := u.Query()
	for k, vs := range c.Query {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	body, err := c.encodeBody()
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(c.RequestMethod(), u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		ct := c.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return req, nil
}

// Marshal writes the plan as YAML.
func (p *Plan) Marshal(w io.Writer) error {
	if err := yamldoc.Encode(w, p); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}
