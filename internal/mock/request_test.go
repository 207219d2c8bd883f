package mock

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
)

// requestDoc has the request shapes openapi3filter cannot decode on its own (issue 11):
// deepObject arrays and nested objects in the query, urlencoded bodies with nested objects,
// lists of objects and `metadata[foo]=bar` maps (Stripe's way), multipart bodies without
// `type: object` or with parts of any type, a query object holding objects in the form
// style, and a body media type no decoder reads.
const requestDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    key: {type: apiKey, in: header, name: authorization}
paths:
  /both:
    get:
      security: [{basic: [], key: []}]
      responses:
        "200": {description: ok}
  /customers:
    get:
      parameters:
        - {name: expand, in: query, style: deepObject, explode: true, schema: {type: array, items: {type: string, maxLength: 20}}}
        - name: created
          in: query
          style: deepObject
          explode: true
          schema:
            anyOf:
              - {type: object, properties: {gt: {type: integer}, lte: {type: integer}}}
              - {type: integer}
        - {name: filter, in: query, style: deepObject, explode: true, schema: {type: object, properties: {a: {type: object, properties: {b: {type: integer}}}}}}
        - {name: required_filter, in: query, required: false, style: deepObject, schema: {type: object, properties: {x: {type: string}}}}
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
        - {name: X-Trace, in: header, schema: {type: string, enum: [on, off]}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
    post:
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            encoding:
              metadata: {style: deepObject, explode: true}
              address: {style: deepObject, explode: true}
              tax_ids: {style: deepObject, explode: true}
              expand: {style: deepObject, explode: true}
            schema:
              type: object
              additionalProperties: false
              properties:
                email: {type: string, maxLength: 512}
                "note[text]": {type: string, maxLength: 3}
                balance: {type: integer}
                vip: {type: boolean}
                expand: {type: array, items: {type: string}}
                metadata:
                  anyOf:
                    - {type: object, additionalProperties: {type: string}}
                    - {type: string, enum: [""]}
                address:
                  anyOf:
                    - {type: object, properties: {city: {type: string}, line1: {type: string}}}
                    - {type: string, enum: [""]}
                tax_ids:
                  type: array
                  items: {type: object, required: [type, value], properties: {type: {type: string, enum: [eu_vat, us_ein]}, value: {type: string}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /upload:
    post:
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              required: [file, format]
              properties:
                file: {type: string, format: binary}
                format: {type: string, enum: [PNG, JPG]}
                sticker: {}
                meta: {type: object, properties: {w: {type: integer}}}
      responses:
        "204": {description: done}
  /aws:
    get:
      parameters:
        - name: Suggester
          in: query
          required: true
          schema: {type: object, required: [Name, Options], properties: {Name: {type: string}, Options: {type: object, properties: {Fuzzy: {type: string}}}}}
        - {name: Tags, in: query, schema: {type: array, items: {allOf: [{type: object, properties: {Key: {type: string}}}, {xml: {name: Tag}}]}}}
        - {name: Attributes, in: query, required: true, schema: {type: object, additionalProperties: {type: string}}}
      responses:
        "200": {description: ok}
  /thumbnail:
    get:
      parameters:
        - {name: accept, in: header, required: true, schema: {type: string, enum: [image/jpeg]}}
        - {name: Content-Type, in: header, schema: {type: string, enum: [application/zip]}}
      responses:
        "200": {description: ok, content: {image/jpeg: {schema: {type: string, format: binary}}}}
  /subnets:
    get:
      parameters:
        - {name: SubnetIds, in: query, required: true, schema: {type: array, items: {allOf: [{type: string, maxLength: 8}, {xml: {name: Subnet}}]}}}
        - {name: Zones, in: query, explode: false, schema: {type: array, items: {oneOf: [{type: integer}, {type: string, enum: [all]}]}}}
      responses:
        "200": {description: ok}
  /stream:
    post:
      requestBody:
        content:
          application/octet-stream: {schema: {type: object, format: file}}
      responses:
        "200": {description: ok}
  /token:
    post:
      requestBody:
        required: true
        content:
          application/jwt: {schema: {type: string}}
      responses:
        "200": {description: ok}
`

func multipartOf(t *testing.T, fields map[string]string, jsonParts map[string]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for k, v := range jsonParts {
		h := map[string][]string{"Content-Disposition": {`form-data; name="` + k + `"`}, "Content-Type": {"application/json"}}
		pw, _ := w.CreatePart(h)
		_, _ = pw.Write([]byte(v))
	}
	_ = w.Close()
	return b.String(), w.FormDataContentType()
}

// TestRequestsNotRefused sends requests the document allows (which must be answered) and
// requests it forbids (which must still be refused, with the place named).
func TestRequestsNotRefused(t *testing.T) {
	doc := fragment(t, requestDoc)
	e := New(doc, Options{ValidateRequests: true})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	upload, uploadType := multipartOf(t, map[string]string{"file": "\x89PNG...", "format": "PNG", "sticker": "CAADAgADQAAD"}, map[string]string{"meta": `{"w": 512}`})
	badUpload, badUploadType := multipartOf(t, map[string]string{"file": "x", "format": "GIF"}, nil)
	tests := []struct {
		name, method, target string
		header               map[string]string
		body                 string
		want                 int
		wantLoc              string
	}{
		{name: "absent optional parameters", method: "GET", target: "/customers?limit=2", want: 200},
		{name: "no parameters at all", method: "GET", target: "/customers", want: 200},
		{name: "deepObject list with brackets", method: "GET", target: "/customers?expand[]=a&expand[]=b", want: 200},
		{name: "deepObject list with indexes", method: "GET", target: "/customers?expand[0]=a&expand[1]=b", want: 200},
		{name: "deepObject list of one without brackets", method: "GET", target: "/customers?expand=a", want: 200},
		{name: "deepObject object branch of anyOf", method: "GET", target: "/customers?created[gt]=5&created[lte]=9", want: 200},
		{name: "deepObject scalar branch of anyOf", method: "GET", target: "/customers?created=5", want: 200},
		{name: "deepObject nested object", method: "GET", target: "/customers?filter[a][b]=5", want: 200},
		{name: "deepObject wrong type refused", method: "GET", target: "/customers?created[gt]=soon", want: 400, wantLoc: "query.created"},
		{name: "deepObject nested wrong type refused", method: "GET", target: "/customers?filter[a][b]=x", want: 400, wantLoc: "query.filter.a.b"},
		{name: "deepObject item too long refused", method: "GET", target: "/customers?expand[]=" + strings.Repeat("a", 21), want: 400, wantLoc: "query.expand[0]"},
		{name: "other parameters still checked", method: "GET", target: "/customers?expand[]=a&limit=1000", want: 400, wantLoc: "query.limit"},
		{name: "header enum still checked", method: "GET", target: "/customers", header: map[string]string{"X-Trace": "maybe"}, want: 400, wantLoc: "header.X-Trace"},

		{name: "form with metadata map", method: "POST", target: "/customers", header: form, body: "email=ada%40example.com&metadata[foo]=bar", want: 200},
		{name: "form unsetting metadata", method: "POST", target: "/customers", header: form, body: "metadata=", want: 200},
		{name: "form nested object and list of objects", method: "POST", target: "/customers", header: form,
			body: "address[city]=Berlin&tax_ids[0][type]=eu_vat&tax_ids[0][value]=DE1&tax_ids[1][type]=us_ein&tax_ids[1][value]=12&expand[]=x&vip=true&balance=-5", want: 200},
		{name: "form property named with brackets", method: "POST", target: "/customers", header: form, body: "note[text]=abc", want: 200},
		{name: "form property named with brackets still checked", method: "POST", target: "/customers", header: form, body: "note[text]=abcdef", want: 422, wantLoc: "body.note[text]"},
		{name: "form wrong scalar refused", method: "POST", target: "/customers", header: form, body: "balance=lots", want: 422, wantLoc: "body.balance"},
		{name: "form wrong nested value refused", method: "POST", target: "/customers", header: form, body: "tax_ids[0][type]=xx&tax_ids[0][value]=1", want: 422, wantLoc: "body.tax_ids[0].type"},
		{name: "form missing nested required refused", method: "POST", target: "/customers", header: form, body: "tax_ids[0][type]=eu_vat", want: 422, wantLoc: "body.tax_ids[0].value"},
		{name: "form unknown field refused", method: "POST", target: "/customers", header: form, body: "emial=x", want: 422, wantLoc: "body"},
		{name: "form body required", method: "POST", target: "/customers", header: form, want: 400, wantLoc: "body"},

		{name: "multipart with untyped root and an any part", method: "POST", target: "/upload", header: map[string]string{"Content-Type": uploadType}, body: upload, want: 204},
		{name: "multipart enum still checked", method: "POST", target: "/upload", header: map[string]string{"Content-Type": badUploadType}, body: badUpload, want: 422, wantLoc: "body.format"},

		{name: "form-style object holding an object", method: "GET", target: "/aws?Name=s&Options=x", want: 200},
		{name: "form-style object holding an object, absent but required", method: "GET", target: "/aws", want: 400, wantLoc: "query.Suggester"},
		{name: "form-style list of objects and free-form map", method: "GET", target: "/aws?Name=s&Tags=Key,a&Tags=Key,b&color=red", want: 200},
		{name: "Accept and Content-Type header parameters are ignored", method: "GET", target: "/thumbnail", header: map[string]string{"Accept": "*/*", "Content-Type": "text/plain"}, want: 200},

		{name: "list with untyped items", method: "GET", target: "/subnets?SubnetIds=a&SubnetIds=b&Zones=1,2,all", want: 200},
		{name: "list with untyped items still checked", method: "GET", target: "/subnets?SubnetIds=toolongvalue", want: 400, wantLoc: "query.SubnetIds[0]"},
		{name: "list with untyped items unexploded still checked", method: "GET", target: "/subnets?SubnetIds=a&Zones=1,some", want: 400, wantLoc: "query.Zones[1]"},
		{name: "list with untyped items required", method: "GET", target: "/subnets", want: 400, wantLoc: "query.SubnetIds"},
		{name: "binary body declared as an object is accepted", method: "POST", target: "/stream", header: map[string]string{"Content-Type": "application/octet-stream"}, body: "\x00\x01binary", want: 200},

		{name: "body nobody decodes is accepted", method: "POST", target: "/token", header: map[string]string{"Content-Type": "application/jwt"}, body: "eyJhbGciOi.eyJzdWIi.c2ln", want: 200},
		{name: "body nobody decodes is still required", method: "POST", target: "/token", header: map[string]string{"Content-Type": "application/jwt"}, want: 400, wantLoc: "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, e, doc, tt.method, tt.target, tt.header, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.wantLoc == "" {
				return
			}
			found := false
			for _, it := range problemOf(t, rec).Errors {
				found = found || it.Location == tt.wantLoc
			}
			if !found {
				t.Errorf("no problem at %s: %s", tt.wantLoc, rec.Body)
			}
		})
	}
	// What is not checked is said once, where it is written.
	want := map[string]bool{"/paths/~1aws/get/parameters/0": true, "/paths/~1aws/get/parameters/1": true, "/paths/~1aws/get/parameters/2": true, "/paths/~1token/post/requestBody/content/application~1jwt": true,
		"/paths/~1stream/post/requestBody/content/application~1octet-stream": true}
	for _, w := range e.Warnings(context.Background()) {
		delete(want, w.Location)
	}
	for loc := range want {
		t.Errorf("no warning at %s; got %v", loc, e.Warnings(context.Background()))
	}
}

// TestSampleRequestsAccepted checks the planner's sample requests for the shapes above are
// answered, bodies included (forms in the bracket convention), and credentials too (Basic
// and an API key that are both sent in the Authorization header).
func TestSampleRequestsAccepted(t *testing.T) {
	doc := fragment(t, requestDoc)
	e := New(doc, Options{ValidateRequests: true, CheckSecurity: true})
	for _, op := range doc.Operations {
		s := e.SampleRequest(op)
		r := sampleHTTPRequest(op, s)
		hdr := map[string]string{"Content-Type": s.ContentType}
		for k, v := range s.Headers {
			hdr[k] = v
		}
		rec := do(t, e, doc, op.Method, r.URL.RequestURI(), hdr, string(s.Body))
		if rec.Code >= 400 {
			t.Errorf("%s: sample refused with %d: %s\nsample: %s %s", op.Key(), rec.Code, rec.Body, s.Path, s.Body)
		}
		if op.Key() == "POST /customers" {
			if q, err := url.ParseQuery(string(s.Body)); err != nil || len(q) == 0 {
				t.Errorf("form sample %q", s.Body)
			}
		}
	}
}

func TestSplitBrackets(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{"a", "a"}, {"a[b]", "a b"}, {"a[b][c]", "a b c"}, {"a[]", "a "}, {"a[0][x]", "a 0 x"},
		{"[x]", "[x]"}, {"a[b", "a[b"}, {"a]b[", "a]b["}, {"a[b]c", "a[b]c"}, {"a[b][c", "a[b][c"},
		{"a" + strings.Repeat("[b]", maxBracketDepth), "a" + strings.Repeat(" b", maxBracketDepth)},
		{"a" + strings.Repeat("[b]", maxBracketDepth+1), "a" + strings.Repeat("[b]", maxBracketDepth+1)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.20s", tt.key), func(t *testing.T) {
			if got := strings.Join(splitBrackets(tt.key), " "); got != tt.want {
				t.Errorf("splitBrackets(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
