package mcpserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/spec"
)

func loadPets(t *testing.T) *spec.Document {
	t.Helper()
	doc, err := loadPetsDoc()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func loadPetsDoc() (*spec.Document, error) {
	return spec.Load(context.Background(), "testdata/pets.yaml", spec.Options{})
}

func loadDoc(t *testing.T, path string) *spec.Document {
	t.Helper()
	doc, err := spec.Load(context.Background(), path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func findOp(t *testing.T, doc *spec.Document, key string) *spec.Operation {
	t.Helper()
	for _, op := range doc.Operations {
		if op.Key() == key {
			return op
		}
	}
	t.Fatalf("no operation %s", key)
	return nil
}

func TestOperationInputSchema(t *testing.T) {
	pets := loadPets(t)
	clash := loadDoc(t, "testdata/clash.yaml")
	tests := []struct {
		name string
		doc  *spec.Document
		op   string
		want string
	}{
		{"path parameter", pets, "GET /pets/{petId}", `{"additionalProperties":false,"properties":{"petId":{"type":"integer"}},"required":["petId"],"type":"object"}`},
		{"query and header", pets, "GET /pets", `{"additionalProperties":false,"properties":{"X-Request-Id":{"type":"string"},"limit":{"maximum":100,"minimum":1,"type":"integer"},"tag":{"items":{"type":"string"},"type":"array"}},"type":"object"}`},
		// The body's fields are arguments; readOnly id is left out; the recursive parent stops
		// where it recurs.
		{"object body", pets, "POST /pets", `{"additionalProperties":false,"properties":{"name":{"maxLength":50,"type":"string"},"parent":{"properties":{"name":{"type":"string"},"parent":{}},"required":["name"],"type":"object"},"tag":{"type":["string","null"]}},"required":["name"],"type":"object"}`},
		// Clashes: body fields keep the name, parameters get their location; enum, format,
		// default and descriptions come from the spec; Accept is not a parameter.
		{"clashes", clash, "PUT /items/{id}", `{"additionalProperties":false,"properties":{"X-Id":{"type":"string"},"X-Id_header":{"description":"(the header parameter \"X-Id\")","format":"uuid","type":"string"},"filter_status":{"description":"(the query parameter \"filter[status]\")","type":"string"},"full_name":{"description":"(the body property \"full name\")","type":"string"},"id_path":{"description":"the item (the path parameter \"id\")","type":"integer"},"id_query":{"default":"a","description":"(the query parameter \"id\")","enum":["a","b"],"type":"string"},"name":{"description":"its name","type":"string"},"session":{"type":"string"}},"required":["id_path","name"],"type":"object"}`},
		{"array body", clash, "POST /lists", `{"additionalProperties":false,"properties":{"body":{"description":"the request body (application/json)","items":{"type":"integer"},"type":"array"},"body_query":{"description":"(the query parameter \"body\")","type":"string"}},"type":"object"}`},
		{"allOf body", clash, "POST /composed", `{"additionalProperties":false,"properties":{"extra":{"type":"boolean"},"kind":{"type":"string"}},"required":["extra","kind"],"type":"object"}`},
		{"text body", clash, "POST /upload", `{"additionalProperties":false,"properties":{"body":{"description":"the request body (text/csv)","type":"string"}},"type":"object"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(bind(findOp(t, tt.doc, tt.op)).schema())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("schema:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestFlatArguments: flat arguments land where the binding says, by their names or (when
// unambiguous) the inputs' own names; bad ones are errors naming them.
func TestFlatArguments(t *testing.T) {
	clash := loadDoc(t, "testdata/clash.yaml")
	pets := loadPets(t)
	tests := []struct {
		name    string
		doc     *spec.Document
		op      string
		args    string
		want    string // METHOD URL | headers | body
		wantErr string
	}{
		{"clashes", clash, "PUT /items/{id}", `{"id_path":7,"id_query":"b","filter_status":"open","X-Id_header":"h","X-Id":"f","session":"s","name":"n","full_name":"F"}`,
			`PUT /items/7?filter%5Bstatus%5D=open&id=b | Cookie=session=s X-Id=h | {"X-Id":"f","full name":"F","name":"n"}`, ""},
		{"own name as alias", clash, "PUT /items/{id}", `{"id_path":1,"filter[status]":"x","name":"n"}`,
			`PUT /items/1?filter%5Bstatus%5D=x | | {"name":"n"}`, ""},
		{"required body sent empty", clash, "POST /composed", `{}`, `POST /composed | | {}`, ""},
		{"optional body not sent", clash, "POST /lists", `{"body_query":"q"}`, `POST /lists?body=q | |`, ""},
		{"whole body", clash, "POST /lists", `{"body":[1,2]}`, `POST /lists | | [1,2]`, ""},
		{"null is none", pets, "POST /pets", `{"name":"Rex","tag":null}`, `POST /pets | | {"name":"Rex"}`, ""},
		{"big integers exact", pets, "POST /pets", `{"name":"Rex","parent":{"name":"P","id":12345678901234567890}}`, `POST /pets | | {"name":"Rex","parent":{"id":12345678901234567890,"name":"P"}}`, ""},
		{"arrays in the query", pets, "GET /pets", `{"tag":["a","b"],"limit":3}`, `GET /pets?limit=3&tag=a&tag=b | |`, ""},
		{"ambiguous own name", clash, "PUT /items/{id}", `{"id_path":1,"name":"n","idx":1}`, "", `unknown argument "idx" for PUT /items/{id} (want id_path, id_query,`},
		{"clashing own name is no alias", clash, "PUT /items/{id}", `{"id_path":1,"name":"n","body":1}`, "", `unknown argument "body"`},
		{"missing path parameter", pets, "GET /pets/{petId}", `{}`, "", `missing argument "petId" (the path parameter "petId" of GET /pets/{petId})`},
		{"object as a parameter", pets, "GET /pets/{petId}", `{"petId":{}}`, "", `path parameter "petId": want a string, number or boolean`},
		{"not an object", pets, "GET /pets", `[1]`, "", "arguments: want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bind(findOp(t, tt.doc, tt.op))
			args, err := b.parse(json.RawMessage(tt.args))
			var r *http.Request
			if err == nil {
				r, err = buildRequest(context.Background(), b.op, args)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var hs []string
			for _, k := range sortedKeys(r.Header) {
				if k != "Accept" && k != "Content-Type" {
					hs = append(hs, k+"="+strings.Join(r.Header[k], ","))
				}
			}
			body := ""
			if r.Body != nil {
				data, err := io.ReadAll(r.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = string(data)
			}
			got := strings.Join(strings.Fields(r.Method+" "+r.URL.RequestURI()+" | "+strings.Join(hs, " ")+" | "+body), " ")
			if got != tt.want {
				t.Errorf("request:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSecurityHint(t *testing.T) {
	doc := loadPets(t)
	tests := map[string]string{
		"GET /pets":            "",
		"DELETE /pets/{petId}": "header X-API-Key",
	}
	for key, want := range tests {
		t.Run(key, func(t *testing.T) {
			if got := doc.CredentialHint(findOp(t, doc, key)); got != want {
				t.Errorf("CredentialHint = %q, want %q", got, want)
			}
		})
	}
}
