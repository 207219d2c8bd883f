package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mockloop/mockloop/internal/golden"
)

func TestTable(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"plugins", []string{"NAME", "MODE", "SPEC", "TARGET", "RULES"}, [][]string{
			{"demo", "mock", "mockloop:example", "", "0"},
			{"petstore-live", "hybrid", "/home/me/specs/petstore.yaml", "https://petstore.example.com/v2", "3"},
			{"short"},
		}},
		{"header only", []string{"NAME", "MODE"}, nil},
		{"cells kept as written", []string{"name", "a_b"}, [][]string{{"lower_case", "x  y"}, {"ünïcode", "日本"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Table(&buf, tt.header, tt.rows); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if strings.Contains(got, "\x1b[") {
				t.Errorf("output has escape codes: %q", got)
			}
			for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if strings.TrimRight(line, " ") != line {
					t.Errorf("line %d has trailing blanks: %q", i, line)
				}
			}
			golden.AssertString(t, "table_"+strings.ReplaceAll(tt.name, " ", "_")+".golden", got)
		})
	}
}

func TestTableErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Table(&buf, nil, nil); err == nil {
		t.Error("no error for no columns")
	}
	if err := Table(&buf, []string{"A"}, [][]string{{"1", "2"}}); err == nil || !strings.Contains(err.Error(), "row 0 has 2 cells") {
		t.Errorf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q on error", buf.String())
	}
}
