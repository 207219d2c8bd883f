package mock

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/mockloop/mockloop/internal/jsonvalue"
)

// useJSONBodyDecoder has kin-openapi decode the JSON bodies it validates (requests, and
// answers checked against the spec) with jsonvalue: on a body of many small objects half the
// CPU and two thirds of the memory of encoding/json's Decoder (BenchmarkDecode), with the same
// values. What jsonvalue does not take (a syntax error, content after the value, invalid UTF-8)
// goes to kin-openapi's own decoder, which gives the result or the error it always did.
// kin-openapi keeps its decoders in a table for the whole process; New sets these once.
var useJSONBodyDecoder = sync.OnceFunc(func() {
	// The media types kin-openapi decodes as JSON (other +json types fall back to the first).
	for _, ct := range []string{
		"application/json", "application/json-patch+json", "application/merge-patch+json",
		"application/ld+json", "application/hal+json", "application/vnd.api+json",
		"application/problem+json",
	} {
		openapi3filter.RegisterBodyDecoder(ct, decodeJSONBody)
	}
})

// decodeJSONBody is an openapi3filter.BodyDecoder. kin-openapi hands it the body it has read
// whole: a *bytes.Buffer over its copy of an answer (decoded in place), a *bytes.Reader over a
// request's (copied once, at its size, rather than into a growing buffer).
func decodeJSONBody(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	var data []byte
	switch b := body.(type) {
	case *bytes.Buffer:
		data = b.Bytes()
	case *bytes.Reader:
		data = make([]byte, b.Len())
		_, _ = io.ReadFull(b, data) // cannot fail: data is the size of what is left
	default:
		var err error
		if data, err = io.ReadAll(body); err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
		}
	}
	if v, ok := jsonvalue.Decode(data); ok {
		return v, nil
	}
	return openapi3filter.JSONBodyDecoder(bytes.NewReader(data), h, schema, enc)
}
