package mcpserver

import (
	"context"
	"strings"
	"testing"
)

// FuzzOperationCall feeds arbitrary tool arguments to every operation of the pets spec: the
// arguments parse, or are refused with an error; a parsed call builds a request, or is refused;
// nothing panics.
func FuzzOperationCall(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"path":{"petId":1}}`, `{"path":{"petId":"a/b?c#d"}}`,
		`{"query":{"limit":5,"tag":["a",1,true]}}`, `{"query":{"tag":[{}]}}`, `{"header":{"X-A":"b\r\nc"}}`,
		`{"body":{"name":"x"}}`, `{"body":null}`, `{"body":"raw"}`, `{"cookie":{"a":"b;c"}}`, `{"path":5}`,
		`{"zzz":1}`, `{"body":1e400}`,
	} {
		f.Add(seed)
	}
	doc, err := loadPetsDoc()
	if err != nil {
		f.Skip(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		args, err := parseOperationArgs([]byte(raw))
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, op := range doc.Operations {
			if req, err := buildRequest(context.Background(), op, args); err == nil && req.Method != op.Method {
				t.Fatalf("%s: built a %s request", op.Key(), req.Method)
			}
		}
	})
}
