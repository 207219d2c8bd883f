// Package yamldoc decodes the YAML files users write for mockloop (plugins, comparison
// options, test plans, baselines, recordings) strictly, with errors of one line that say where:
// "line 7: unknown key \"expct\"". It is the one place that knows the YAML library's error types.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Issue is one problem of a decoded document, at a line (0 when unknown).
type Issue struct {
	Line    int
	Message string
}

func (i Issue) String() string {
	if i.Line == 0 {
		return i.Message
	}
	return fmt.Sprintf("line %d: %s", i.Line, i.Message)
}

// Error is a document that could not be decoded: its issues, first to last. Its message is one
// line.
type Error struct {
	Issues []Issue
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return strings.Join(parts, "; ")
}

// ErrEmpty is returned for a document with nothing in it (blank, or comments only).
var ErrEmpty = errors.New("empty document")

// DecodeStrict decodes the one YAML document in data into v. Unknown keys, values of the
// wrong type, syntax errors and a second document are errors of type *Error (or ErrEmpty).
func DecodeStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmpty
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return ErrEmpty
		}
		return clamp(Clean(err), data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return clamp(Clean(err), data)
		}
		return &Error{Issues: []Issue{{Line: extra.Line, Message: "more than one YAML document"}}}
	}
	return nil
}

// Parse parses data into a node tree (for callers that need lines), with Clean's errors.
func Parse(data []byte) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, clamp(Clean(err), data)
	}
	return &root, nil
}

// Encode writes v as one YAML document: two-space indentation, long strings never folded.
func Encode(w io.Writer, v any) error {
	d, err := yaml.NewDumper(w, yaml.WithV3Defaults(), yaml.WithIndent(2), yaml.WithLineWidth(-1))
	if err != nil {
		return err
	}
	if err := d.Dump(v); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return d.Close()
}

// Marshal is Encode into a byte slice.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := Encode(&buf, v)
	return buf.Bytes(), err
}

// clamp moves issues the parser placed past the end of the document (an unclosed construct
// at the end of the file) to its last non-blank line.
func clamp(err error, data []byte) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	last := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			last = i + 1
		}
	}
	for i := range e.Issues {
		if e.Issues[i].Line > last {
			e.Issues[i].Line = last
		}
	}
	return e
}

var (
	// (?s): a scalar in the message may span lines; the issue quotes it on one.
	lineRE    = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`(?s)^field (.+) not found in type \S+$`)
	constrRE  = regexp.MustCompile("(?s)^cannot construct !!(\\w+) (`[^`]*` )?into (.+)$")
)

// Clean turns an error of the YAML library into an *Error: syntax errors at the line where the
// broken construct starts, type errors one per value, unknown keys named as such. Other errors
// are returned as they are.
func Clean(err error) error {
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		out := &Error{}
		for _, msg := range te.Errors {
			out.Issues = append(out.Issues, issueOf(msg))
		}
		return out
	}
	var le *yaml.LoadError
	if errors.As(err, &le) {
		line := le.Mark.Line
		if le.ContextMark.Line > 0 {
			line = le.ContextMark.Line // where the unclosed sequence or mapping starts
		}
		return &Error{Issues: []Issue{{Line: line, Message: le.Message}}}
	}
	return err
}

// issueOf reads one "line N: message" entry of a type error.
func issueOf(msg string) Issue {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return Issue{Message: msg}
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	if u := unknownRE.FindStringSubmatch(text); u != nil {
		text = fmt.Sprintf("unknown key %q", u[1])
	} else if c := constrRE.FindStringSubmatch(text); c != nil {
		text = describeConstruct(c[1], strings.TrimSpace(strings.Trim(c[2], "` ")), c[3])
	}
	return Issue{Line: line, Message: text}
}

// describeConstruct words "cannot construct !!str `many` into int" for a user of the file.
func describeConstruct(tag, value, into string) string {
	what := map[string]string{"seq": "a list", "map": "a mapping", "str": "the string", "int": "the integer",
		"float": "the number", "bool": "the boolean", "null": "null"}[tag]
	if what == "" {
		what = "!!" + tag
	}
	if value != "" {
		what += fmt.Sprintf(" %q", value)
	}
	return fmt.Sprintf("cannot use %s as %s", what, goTypeWords(into))
}

// goTypeWords names a Go type the way a YAML file's reader knows it.
func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"), strings.Contains(t, "."):
		return "a mapping"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return t
}
