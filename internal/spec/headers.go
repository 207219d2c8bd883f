package spec

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ResponseHeaders are the names of the headers the operation declares for an answer with
// status: the response of that exact code, else of its range (2XX), else the default
// response. Names are canonical (Content-Type, X-Rate-Limit), sorted; nil when none is
// declared. What compare_headers: true compares besides Content-Type.
func (o *Operation) ResponseHeaders(status int) []string {
	if o == nil || o.Op == nil || o.Op.Responses == nil {
		return nil
	}
	code := strconv.Itoa(status)
	resp := o.Op.Responses.Value(code)
	if resp == nil && len(code) == 3 {
		resp = o.Op.Responses.Value(code[:1] + "XX")
		if resp == nil {
			resp = o.Op.Responses.Value(code[:1] + "xx")
		}
	}
	if resp == nil {
		resp = o.Op.Responses.Value("default")
	}
	if resp == nil || resp.Value == nil || len(resp.Value.Headers) == 0 {
		return nil
	}
	out := make([]string, 0, len(resp.Value.Headers))
	for name := range resp.Value.Headers {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, http.CanonicalHeaderKey(name))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
