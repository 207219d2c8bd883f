package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	p := NewPolicy(nil, []string{"X"})
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"api_key=s&limit=2", "api_key=***&limit=2"},
		{"access_token=s&client_secret=t&key=u&x=v&flag", "access_token=***&client_secret=***&key=***&x=***&flag"},
		{"a%5Fkey=1&pass%77ord=2", "a%5Fkey=1&pass%77ord=***"},
		{"%zz=1&&=", "%zz=1&&="},
		{"a=1&", "a=1&"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := p.Query(tt.in); got != tt.want {
				t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzQuery(f *testing.F) {
	f.Add("api_key=s&limit=2")
	f.Add("%zz=&&a")
	f.Fuzz(func(t *testing.T, raw string) {
		got := Default.Query(raw)
		if strings.Count(got, "&") != strings.Count(raw, "&") {
			t.Fatalf("Query(%q) = %q: parameters lost", raw, got)
		}
	})
}

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://api.example.com/v1", "https://api.example.com/v1"},
		{"http://u:PW@host/x?api_key=K&limit=2#frag", "http://u:***@host/x?api_key=***&limit=2"},
		{"https://host/spec.json?token=SECRET", "https://host/spec.json?token=***"},
		{"https://user@host/", "https://user@host/"},
		{"http://[::1:bad", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Origin("https://u:p@h:8443/a?b=c"); got != "https://h:8443" {
		t.Errorf("Origin = %q", got)
	}
}

func TestHeaders(t *testing.T) {
	p := NewPolicy([]string{"x-shop-key"}, nil)
	got := p.Headers(http.Header{"Authorization": {"Bearer t"}, "X-Shop-Key": {"k"}, "X-Auth-Token": {"t"}, "Accept": {"a", "b"}})
	want := map[string]string{"Authorization": Mask, "X-Shop-Key": Mask, "X-Auth-Token": Mask, "Accept": "a, b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if p.Headers(nil) != nil {
		t.Errorf("Headers(nil) is not nil")
	}
}

func TestSecrets(t *testing.T) {
	var s Secrets
	s.Add("s3cr3t/+&value", "ab") // "ab" is too short to hide
	s.AddPair("client id", "p@ss:word")
	basic := base64.StdEncoding.EncodeToString([]byte("client id:p@ss:word"))
	formBasic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("client id") + ":" + url.QueryEscape("p@ss:word")))
	text := strings.Join([]string{"raw s3cr3t/+&value", "query " + url.QueryEscape("s3cr3t/+&value"),
		"path " + url.PathEscape("s3cr3t/+&value"), "basic " + basic, "form " + formBasic, "pw p@ss:word", "ab", "client id"}, "\n")
	got := s.Replace(text)
	for _, leak := range []string{"s3cr3t", url.QueryEscape("s3cr3t/+&value"), basic, formBasic, "p@ss:word"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q leaks through:\n%s", leak, got)
		}
	}
	if !strings.Contains(got, "ab") || !strings.Contains(got, "client id") {
		t.Errorf("non-secrets were hidden:\n%s", got)
	}
	var none *Secrets
	if none.Replace("x") != "x" || none.Len() != 0 {
		t.Errorf("a nil Secrets must hide nothing")
	}
}
