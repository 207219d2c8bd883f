package mcpserver

import (
	"context"
	"strings"
	"testing"
)

// FuzzOperationCall feeds arbitrary flat arguments to every operation of the pets spec: they
// parse, or are refused with a one-line error; parsed arguments build a request of the
// operation's method, or are refused; nothing panics.
func FuzzOperationCall(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"petId":1}`, `{"petId":"a/b?c#d"}`, `{"petId":null}`,
		`{"limit":5,"tag":["a",1,true]}`, `{"tag":[{}]}`, `{"X-Request-Id":"b\r\nc"}`,
		`{"name":"x"}`, `{"name":"x","parent":{"name":"y"}}`, `{"tag":null,"name":"x"}`, `{"petId":5,"zzz":1}`,
		`{"name":1e400}`, `{"petId":{}}`, `{"limit":"7"}`,
	} {
		f.Add(seed)
	}
	doc, err := loadPetsDoc()
	if err != nil {
		f.Skip(err)
	}
	var bindings []*binding
	for _, op := range doc.Operations {
		bindings = append(bindings, bind(op))
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, b := range bindings {
			args, err := b.parse([]byte(raw))
			if err != nil {
				if err.Error() == "" || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				continue
			}
			if req, err := buildRequest(context.Background(), b.op, args); err == nil && req.Method != b.op.Method {
				t.Fatalf("%s: built a %s request", b.op.Key(), req.Method)
			}
		}
	})
}
