// Package examples turns recorded live answers into named examples of the spec's responses
// (`mockloop examples accept`): each candidate body is validated against its response schema
// first, a body that breaks it is refused and reported as drift with the problems, and the
// accepted ones become the actions of an OpenAPI Overlay 1.0 document (or are written into the
// spec itself).
package examples

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/overlay"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/spec"
)

// Actions of a Change.
const (
	ActionAdd     = "add"     // a new named example
	ActionReplace = "replace" // an example of that name exists and is replaced
	ActionForced  = "forced"  // added or replaced although it breaks the schema (--force)
	ActionRefused = "refused" // breaks the schema, or the spec declares no such response: drift
	ActionSkipped = "skipped" // cannot become an example (truncated, no body, not in the spec)
)

// Options tune Plan.
type Options struct {
	// Name names the examples; "" is live-<status>.
	Name string
	// Force accepts bodies that break their schema (still listed with their problems).
	Force bool
	// Filter keeps the operations it matches (empty: all).
	Filter spec.Filter
	// Keep, when not nil, keeps only the recorded (operation key, status) pairs it accepts.
	Keep func(operation string, status int) bool
}

// Change is what accepting one recorded answer does, or why it does not.
type Change struct {
	Operation   string `json:"operation"`
	OperationID string `json:"operation_id,omitempty"`
	Status      int    `json:"status"`
	// Response is the spec's response key ("200", "2XX", "default"); MediaType its content key.
	Response  string `json:"response,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	Example   string `json:"example"`
	Action    string `json:"action"`
	// Target is the overlay target of the change (the media type object).
	Target     string         `json:"target,omitempty"`
	Note       string         `json:"note,omitempty"`
	Problems   []problem.Item `json:"problems,omitempty"`
	RecordedAt time.Time      `json:"recorded_at,omitzero"`
}

// Written reports whether the change is in the overlay.
func (c Change) Written() bool {
	return c.Action == ActionAdd || c.Action == ActionReplace || c.Action == ActionForced
}

// Result is a plan: the changes, in operation then status order, and the overlay that makes
// the written ones.
type Result struct {
	Spec    string           `json:"spec"`
	Changes []Change         `json:"changes"`
	Overlay *overlay.Overlay `json:"-"`
}

// Count is the number of changes with the given action.
func (r *Result) Count(action string) int {
	n := 0
	for _, c := range r.Changes {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Plan decides, for every recorded operation and status, which live body becomes which named
// example (the newest complete recording of that status), validates it with engine against
// the response doc declares, and builds the overlay of the accepted ones. doc must be an
// OpenAPI 3 document (Swagger 2.0 has no named examples).
func Plan(doc *spec.Document, engine *mock.Engine, recs *record.Set, opts Options) (*Result, error) {
	if strings.HasPrefix(doc.SourceVersion, "2.") {
		return nil, fmt.Errorf("spec %q is Swagger %s, which has no named examples: convert it to OpenAPI 3 first", doc.Source, doc.SourceVersion)
	}
	res := &Result{Spec: doc.Source, Overlay: overlay.New("Live examples accepted by mockloop")}
	if doc.Source != spec.ExampleSource && doc.Source != "-" {
		res.Overlay.Extends = doc.Source
	}
	ops := map[string]*spec.Operation{}
	for _, op := range doc.Operations {
		ops[op.Key()] = op
	}
	written := map[string]string{} // target + name -> the operation that wrote it
	for _, key := range recs.Keys() {
		f := recs.Files[key]
		op := ops[key]
		if op != nil && !opts.Filter.Empty() && !opts.Filter.Match(op) {
			continue
		}
		for _, status := range statuses(f) {
			if opts.Keep != nil && !opts.Keep(key, status) {
				continue
			}
			name := opts.Name
			if name == "" {
				name = "live-" + strconv.Itoa(status)
			}
			c := Change{Operation: key, OperationID: f.OperationID, Status: status, Example: name}
			if op == nil {
				c.Action, c.Note = ActionSkipped, "the spec has no such operation"
				res.Changes = append(res.Changes, c)
				continue
			}
			c.OperationID = op.ID
			e := newest(f, status)
			if e == nil {
				c.Action, c.Note = ActionSkipped, "every recording of this status is truncated (see --record-max-body)"
				res.Changes = append(res.Changes, c)
				continue
			}
			c.RecordedAt = e.RecordedAt
			action, err := plan(&c, op, engine, e, opts)
			if err != nil {
				return nil, err
			}
			if action != nil {
				id := c.Target + "\x00" + name
				if by, ok := written[id]; ok {
					c.Action, c.Note = ActionSkipped, "the response is shared (a $ref); "+by+" already sets this example"
				} else {
					written[id] = key
					for _, a := range action {
						if err := res.Overlay.Add(a); err != nil {
							return nil, err
						}
					}
				}
			}
			res.Changes = append(res.Changes, c)
		}
	}
	return res, nil
}

// statuses are the statuses recorded in f, ascending.
func statuses(f *record.File) []int {
	seen := map[int]bool{}
	for _, e := range f.Entries {
		seen[e.Response.Status] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// newest is the newest complete recording of status in f.
func newest(f *record.File, status int) *record.Entry {
	var best *record.Entry
	for i := range f.Entries {
		e := &f.Entries[i]
		if e.Response.Status != status || e.Response.Truncated {
			continue
		}
		if best == nil || !e.RecordedAt.Before(best.RecordedAt) {
			best = e
		}
	}
	return best
}

// plan fills c for one recorded answer and returns the overlay actions that accept it (nil
// when it is refused or skipped).
func plan(c *Change, op *spec.Operation, engine *mock.Engine, e *record.Entry, opts Options) ([]overlay.Action, error) {
	body, err := e.Response.BodyBytes()
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		c.Action, c.Note = ActionSkipped, "the answer has no body"
		return nil, nil
	}
	responses := op.ResponseContents()
	resp := responseFor(responses, c.Status)
	if resp == nil {
		var keys []string
		for _, r := range responses {
			keys = append(keys, r.Key)
		}
		c.Action = ActionRefused
		c.Problems = []problem.Item{{Location: "status", Message: fmt.Sprintf("%s declares no response for status %d (declares: %s)", op.Key(), c.Status, strings.Join(keys, ", "))}}
		return nil, nil
	}
	c.Response = resp.Key
	ct := e.Response.ContentType()
	mt := mediaFor(resp.MediaTypes, ct)
	if mt == nil {
		var declared []string
		for _, m := range resp.MediaTypes {
			declared = append(declared, m.Key)
		}
		c.Action = ActionRefused
		c.Problems = []problem.Item{{Location: "header.Content-Type", Message: fmt.Sprintf("response %s declares no media type for %q (declares: %s)", resp.Key, ct, strings.Join(declared, ", "))}}
		return nil, nil
	}
	mediaKey := mt.Key
	c.MediaType = mediaKey
	base, why := responseTarget(op, resp.Key, resp.Ref)
	if base == "" {
		c.Action, c.Note = ActionSkipped, why
		return nil, nil
	}
	c.Target = base + ".content" + Bracket(mediaKey)
	if len(e.Response.Redacted) > 0 {
		c.Note = fmt.Sprintf("%d redacted field(s) hold *** (%s)", len(e.Response.Redacted), strings.Join(e.Response.Redacted, ", "))
	}

	header := http.Header{"Content-Type": {ct}}
	for _, p := range engine.ValidateResponse(op, nil, c.Status, header, body) {
		if strings.HasPrefix(p.Location, "body") || p.Location == "header.Content-Type" {
			c.Problems = append(c.Problems, p)
		}
	}
	exists := slices.Contains(mt.Examples, c.Example)
	switch {
	case len(c.Problems) > 0 && !opts.Force:
		c.Action = ActionRefused
		return nil, nil
	case len(c.Problems) > 0:
		c.Action = ActionForced
	case exists:
		c.Action = ActionReplace
	default:
		c.Action = ActionAdd
	}

	value, err := valueNode(body, ct)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Live answer to %s %s, recorded %s", e.Request.Method, e.Request.Path, e.RecordedAt.UTC().Format(time.RFC3339))
	exampleNode := mapping("summary", overlay.Str(summary), "value", value)
	examplesNode := mapping(c.Example, exampleNode)
	var actions []overlay.Action
	if mt.HasExample {
		// OpenAPI allows example or examples, not both: the single example moves into the
		// examples under the name "example", ahead of the live one.
		old, err := anyNode(mt.Example)
		if err != nil {
			return nil, err
		}
		examplesNode = mapping("example", mapping("value", old), c.Example, exampleNode)
		actions = append(actions, overlay.Action{Target: c.Target + ".example", Remove: true,
			Description: "OpenAPI allows example or examples: the single example moves into examples"})
		if c.Note == "" {
			c.Note = `the single example moves into examples as "example"`
		}
	}
	actions = append(actions, overlay.Action{
		Target:      c.Target,
		Description: fmt.Sprintf("%s %d: live example %s", op.Key(), c.Status, c.Example),
		Update:      mapping("examples", examplesNode),
	})
	return actions, nil
}

// responseFor is the response declared for status: the code, its range (2XX), or default.
func responseFor(rs []spec.ResponseContent, status int) *spec.ResponseContent {
	code := strconv.Itoa(status)
	var ranged, def *spec.ResponseContent
	for i := range rs {
		switch strings.ToUpper(rs[i].Key) {
		case code:
			return &rs[i]
		case code[:1] + "XX":
			ranged = &rs[i]
		case "DEFAULT":
			def = &rs[i]
		}
	}
	if ranged != nil {
		return ranged
	}
	return def
}

// mediaFor is the media type that serves Content-Type ct: the same media type, else a
// declared range (image/*, */*); nil when none.
func mediaFor(content []spec.ResponseMedia, ct string) *spec.ResponseMedia {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	typ, _, _ := strings.Cut(mt, "/")
	for _, want := range []string{mt, typ + "/*", "*/*"} {
		for i := range content {
			km, _, err := mime.ParseMediaType(content[i].Key)
			if err != nil {
				km = strings.ToLower(strings.TrimSpace(content[i].Key))
			}
			if km == want {
				return &content[i]
			}
		}
	}
	return nil
}

// responseTarget is the JSONPath of the response object to change: the operation's, or the
// component a local $ref names. why says what stops it otherwise.
func responseTarget(op *spec.Operation, respKey, ref string) (target, why string) {
	if r := op.PathItemRef(); r != "" {
		return "", "the path item is a $ref (" + r + "): edit the document it points to"
	}
	if ref == "" {
		return "$.paths" + Bracket(op.Path) + "." + strings.ToLower(op.Method) + ".responses" + Bracket(respKey), ""
	}
	if name, ok := strings.CutPrefix(ref, "#/components/responses/"); ok && !strings.Contains(name, "/") {
		name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
		return "$.components.responses" + Bracket(name), ""
	}
	return "", "the response is a $ref to " + ref + ": edit the document it points to"
}

// Bracket is a JSONPath name selector: ['name'], quoted as RFC 9535 asks.
func Bracket(name string) string {
	var b strings.Builder
	b.WriteString("['")
	for _, r := range name {
		switch {
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString("']")
	return b.String()
}

// valueNode is a recorded body as an example value: JSON as its YAML tree (in block style,
// key order kept), other text as a string.
func valueNode(body []byte, ct string) (*yaml.Node, error) {
	if json.Valid(body) && isJSON(ct) {
		var doc yaml.Node
		if err := yaml.Unmarshal(body, &doc); err != nil || len(doc.Content) == 0 {
			return nil, fmt.Errorf("read recorded JSON body: %v", err)
		}
		n := doc.Content[0]
		blockStyle(n)
		return n, nil
	}
	return overlay.Str(string(body)), nil
}

// anyNode is a decoded value (an example kin-openapi read) as a YAML tree.
func anyNode(v any) (*yaml.Node, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return valueNode(b, "application/json")
}

// blockStyle drops the flow style of mappings and sequences (JSON's), and the quotes of
// strings that need none, so examples read as the rest of a YAML spec.
func blockStyle(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		n.Style = 0
		for _, c := range n.Content {
			blockStyle(c)
		}
	case yaml.ScalarNode:
		if n.Style == yaml.DoubleQuotedStyle && !strings.ContainsAny(n.Value, "\n\t") {
			n.Style = 0
		}
	}
	n.Line, n.Column = 0, 0
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// mapping builds a mapping node from alternating keys and values.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, overlay.Str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}
