package testrun

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one part of a split run: Index (1-based) of Count.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" (1 <= i <= n).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("invalid shard %q: want i/n with 1 <= i <= n, e.g. 1/3", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Apply keeps the cases of this shard: case k (0-based, in plan order) belongs to shard
// k mod Count + 1, so shards 1/n..n/n together hold every case exactly once and stay balanced.
// The zero Shard keeps everything.
func (s Shard) Apply(cases []*Case) []*Case {
	if s.Count <= 1 {
		return cases
	}
	var out []*Case
	for k, c := range cases {
		if k%s.Count == s.Index-1 {
			out = append(out, c)
		}
	}
	return out
}

// String is "i/n", "" for the zero Shard.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}
