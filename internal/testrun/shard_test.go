package testrun

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr bool
	}{
		{"1/2", Shard{1, 2}, false},
		{"3/3", Shard{3, 3}, false},
		{" 2 / 5 ", Shard{2, 5}, false},
		{"0/2", Shard{}, true},
		{"3/2", Shard{}, true},
		{"1/0", Shard{}, true},
		{"1", Shard{}, true},
		{"a/b", Shard{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseShard(%q) = %v, %v", tt.in, got, err)
			}
			if err != nil && !strings.Contains(err.Error(), "want i/n") {
				t.Errorf("error %q does not say the format", err)
			}
		})
	}
}

func TestShardCoversEachCaseOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		for _, total := range []int{0, 1, 2, 5, 13} {
			t.Run(fmt.Sprintf("%d cases in %d shards", total, n), func(t *testing.T) {
				var cases []*Case
				for i := range total {
					cases = append(cases, &Case{Name: fmt.Sprint("c", i)})
				}
				seen := map[string]int{}
				for i := 1; i <= n; i++ {
					part := Shard{i, n}.Apply(cases)
					if len(part) > total/n+1 {
						t.Errorf("shard %d/%d has %d of %d cases: unbalanced", i, n, len(part), total)
					}
					for _, c := range part {
						seen[c.Name]++
					}
				}
				for _, c := range cases {
					if seen[c.Name] != 1 {
						t.Errorf("case %s appears %d times", c.Name, seen[c.Name])
					}
				}
			})
		}
	}
}
