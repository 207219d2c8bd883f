package spec

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/mockloop/mockloop/internal/problem"
)

// Validate is the strict check used by `plugin validate`: kin-openapi's validation of the whole
// document (structure, parameters, examples and defaults against their schemas), objects written
// as null that the library lets through (a media type with no value), then the load warnings. It returns nil for a clean document. Swagger 2.0 sources are validated as the
// OpenAPI 3 document they convert to.
func (d *Document) Validate(ctx context.Context) []problem.Item {
	var problems []problem.Item
	seen := map[problem.Item]bool{}
	add := func(p problem.Item) {
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	}
	for _, leaf := range leaves(d.kinValidate(ctx)) {
		add(problemFrom(leaf))
	}
	for _, p := range nullEntries(d.T) {
		add(p)
	}
	for _, w := range d.Warnings {
		add(w)
	}
	if len(problems) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, p := range problems {
		want[p.Location] = true
	}
	delete(want, "")
	lines := pointerLines(d.raw, d.isJSON, want)
	for i, p := range problems {
		if line, ok := lines[p.Location]; ok {
			problems[i].Location = fmt.Sprintf("%s (line %d)", p.Location, line)
		}
	}
	return problems
}

// kinValidate runs kin-openapi's validation, collecting every problem. Its multi-error mode can
// trip over a document broken in several related ways; then it runs again failing fast, which
// finds the first problem.
func (d *Document) kinValidate(ctx context.Context) error {
	run := func(opts ...openapi3.ValidationOption) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("validation stopped (internal error in the OpenAPI library: %v)", r)
			}
		}()
		return d.T.Validate(ctx, opts...)
	}
	err := run(openapi3.EnableMultiError(), openapi3.EnableExamplesValidation())
	if err != nil && strings.Contains(err.Error(), "internal error in the OpenAPI library") {
		if err2 := run(openapi3.EnableExamplesValidation()); err2 != nil {
			return err2
		}
	}
	return err
}

// leaves flattens kin-openapi's MultiErrors into single problems.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	var me openapi3.MultiError
	if errors.As(err, &me) && isMulti(err) {
		var out []error
		for _, e := range me {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

// problemFrom turns kin-openapi's context wrappers (section, path, operation, component) into
// a JSON pointer, and keeps the rest as the message.
func problemFrom(err error) problem.Item {
	var ptr strings.Builder
	var notes []string
	for {
		switch e := err.(type) {
		case *openapi3.SectionValidationError:
			if seg, ok := sectionPointer[e.Section]; ok {
				ptr.WriteString(seg)
			} else {
				notes = append(notes, "invalid "+e.Section)
			}
			err = e.Cause
			continue
		case *openapi3.PathValidationError:
			if !strings.HasSuffix(ptr.String(), "/paths") && !strings.HasSuffix(ptr.String(), "/webhooks") {
				ptr.WriteString("/paths")
			}
			ptr.WriteString("/" + escapePointer(e.Path))
			err = e.Cause
			continue
		case *openapi3.OperationValidationError:
			ptr.WriteString("/" + strings.ToLower(e.Method))
			err = e.Cause
			continue
		case *openapi3.ComponentValidationError:
			kind, ok := componentKinds[e.Section]
			if !ok {
				kind = e.Section
			}
			if !strings.HasSuffix(ptr.String(), "/components") {
				ptr.WriteString("/components")
			}
			ptr.WriteString("/" + kind + "/" + escapePointer(e.Name))
			err = e.Cause
			continue
		}
		break
	}
	msg := err.Error()
	// kin-openapi appends the whole schema and value to schema errors; the location says where.
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	msg = oneLine(msg)
	if len(notes) > 0 {
		msg = strings.Join(notes, ": ") + ": " + msg
	}
	return problem.Item{Location: ptr.String(), Message: msg}
}

var sectionPointer = map[string]string{
	"components":        "/components",
	"info":              "/info",
	"paths":             "/paths",
	"security":          "/security",
	"servers":           "/servers",
	"tags":              "/tags",
	"external docs":     "/externalDocs",
	"webhooks":          "/webhooks",
	"jsonSchemaDialect": "/jsonSchemaDialect",
}

var componentKinds = map[string]string{
	"schema": "schemas", "parameter": "parameters", "request body": "requestBodies",
	"response": "responses", "header": "headers", "security scheme": "securitySchemes",
	"example": "examples", "link": "links", "callback": "callbacks",
}
