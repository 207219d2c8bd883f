package compare

// This is the one file that knows github.com/yalp/jsonpath. yalp/jsonpath evaluates a path to
// values, not to locations, and it fails as a whole when one key on the way is missing; the
// comparison needs "is this location selected?" for locations that may exist in only one of
// the two documents. So a pattern is first checked with yalp's own parser (its syntax and its
// error messages are the contract), then parsed again here, with the same scanner modes, into
// steps matched by a small automaton over the location being visited. Where yalp returns
// values, the automaton selects exactly the locations of those values (a test checks this
// against yalp on generated documents); where yalp fails because a key is missing, the
// automaton still selects the locations that exist.

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"text/scanner"

	"github.com/yalp/jsonpath"
)

type selKind uint8

const (
	selNever selKind = iota // a selector yalp accepts but that selects nothing (e.g. [-1])
	selKey
	selIndex
	selWild
	selKeys
	selIndexes
	selSlice
)

// step is one selector of a path; deep marks a step preceded by "..", which may match at any
// depth below the previous step.
type step struct {
	deep  bool
	sel   selKind
	key   string
	index int
	keys  []string
	idxs  []int
	slice []int // start, end[, step] as yalp reads them
}

// segment is one step of a location: an object key or an array index (with the array's length,
// which negative slice bounds need).
type segment struct {
	key   []byte
	index int
	n     int
	isKey bool
}

func (s step) matches(g segment) bool {
	switch s.sel {
	case selKey:
		return g.isKey && string(g.key) == s.key
	case selIndex:
		return !g.isKey && g.index == s.index
	case selWild:
		return true
	case selKeys:
		if !g.isKey {
			return false
		}
		for _, k := range s.keys {
			if string(g.key) == k {
				return true
			}
		}
	case selIndexes:
		if g.isKey {
			return false
		}
		for _, i := range s.idxs {
			if g.index == i {
				return true
			}
		}
	case selSlice:
		return !g.isKey && inSlice(s.slice, g.index, g.n)
	}
	return false
}

// inSlice mirrors yalp's prepareSlice: negative bounds count from the end, an end of 0 means
// the length, a negative step walks back from end-1.
func inSlice(sl []int, i, n int) bool {
	start := negmax(sl[0], n)
	end := n
	if sl[1] != 0 {
		end = negmax(sl[1], n)
	}
	if start > end {
		return false
	}
	st := 1
	if len(sl) > 2 && sl[2] != 0 {
		st = sl[2]
	}
	if st > 0 {
		return i >= start && i < end && (i-start)%st == 0
	}
	return i >= start && i <= end-1 && (end-1-i)%(-st) == 0
}

func negmax(v, n int) int {
	if v < 0 {
		v += n
		if v < 0 {
			v = 0
		}
	} else if v > n {
		return n
	}
	return v
}

// parsePath checks p with yalp/jsonpath and returns its steps.
func parsePath(p string) ([]step, error) {
	if _, err := jsonpath.Prepare(p); err != nil {
		return nil, err
	}
	var steps []step
	var sc scanner.Scanner
	sc.Init(strings.NewReader(p))
	sc.Error = func(*scanner.Scanner, string) {}
	if sc.Scan() != '$' {
		return nil, fmt.Errorf("path must start with a '$'")
	}
	for {
		switch sc.Scan() {
		case '.':
			sc.Mode = scanner.ScanIdents
			switch sc.Scan() {
			case scanner.Ident:
				steps = append(steps, step{sel: selKey, key: sc.TokenText()})
			case '*':
				steps = append(steps, step{sel: selWild})
			case '.':
				sc.Mode = scanner.ScanIdents
				switch sc.Scan() {
				case scanner.Ident:
					steps = append(steps, step{deep: true, sel: selKey, key: sc.TokenText()})
				case '*':
					steps = append(steps, step{deep: true, sel: selWild})
				case '[':
					s, err := bracket(&sc)
					if err != nil {
						return nil, err
					}
					s.deep = true
					steps = append(steps, s)
				default:
					return nil, fmt.Errorf("unexpected token after '..'")
				}
			default:
				return nil, fmt.Errorf("expected JSON child identifier after '.'")
			}
		case '[':
			s, err := bracket(&sc)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		case scanner.EOF:
			return steps, nil
		default:
			return nil, fmt.Errorf("unexpected token %s", sc.TokenText())
		}
	}
}

// bracket mirrors yalp's parseBracket and parseArray.
func bracket(sc *scanner.Scanner) (step, error) {
	if sc.Peek() == '?' {
		return step{}, fmt.Errorf("filters are not supported")
	}
	if sc.Peek() == '*' {
		sc.Scan()
		if sc.Scan() != ']' {
			return step{}, fmt.Errorf("expected closing bracket after [*")
		}
		return step{sel: selWild}, nil
	}
	var idx []any // string or int
	mode := ""
	sc.Mode = scanner.ScanIdents | scanner.ScanStrings | scanner.ScanInts
	for {
		switch sc.Scan() {
		case scanner.Int:
			n, err := strconv.Atoi(sc.TokenText())
			if err != nil {
				return step{}, err
			}
			idx = append(idx, n)
		case '-':
			if sc.Scan() != scanner.Int {
				return step{}, fmt.Errorf("expected an int after '-'")
			}
			n, err := strconv.Atoi(sc.TokenText())
			if err != nil {
				return step{}, err
			}
			idx = append(idx, -n)
		case scanner.Ident:
			idx = append(idx, sc.TokenText())
		case scanner.String:
			s, err := strconv.Unquote(sc.TokenText())
			if err != nil {
				return step{}, err
			}
			idx = append(idx, s)
		case ':':
			if mode == "" || mode == "slice" {
				mode = "slice"
				idx = append(idx, 0)
				continue
			}
			return step{}, fmt.Errorf("unexpected ':'")
		case ']':
			if mode == "slice" {
				idx = append(idx, 0)
			}
			return makeStep(idx, mode), nil
		default:
			return step{}, fmt.Errorf("unexpected token %s", sc.TokenText())
		}
		switch sc.Scan() {
		case ',':
			mode = "union"
		case ':':
			mode = "slice"
		case ']':
			return makeStep(idx, mode), nil
		default:
			return step{}, fmt.Errorf("unexpected token %s", sc.TokenText())
		}
	}
}

func makeStep(idx []any, mode string) step {
	var ints []int
	var strs []string
	for _, v := range idx {
		switch v := v.(type) {
		case int:
			ints = append(ints, v)
		case string:
			strs = append(strs, v)
		}
	}
	switch {
	case mode == "slice":
		if len(strs) > 0 {
			return step{sel: selNever}
		}
		return step{sel: selSlice, slice: ints}
	case len(idx) == 1 && len(strs) == 1:
		return step{sel: selKey, key: strs[0]}
	case len(idx) == 1:
		if ints[0] < 0 {
			return step{sel: selNever}
		}
		return step{sel: selIndex, index: ints[0]}
	case len(ints) > 0 && len(strs) > 0:
		return step{sel: selNever}
	case len(strs) > 0:
		return step{sel: selKeys, keys: strs}
	default:
		for _, i := range ints {
			if i < 0 {
				return step{sel: selNever}
			}
		}
		return step{sel: selIndexes, idxs: ints}
	}
}

// maxPositions bounds the automaton: every path has len(steps)+1 positions.
const maxPositions = 256

// state is the set of automaton positions reached at a location, one bit per position.
type state [maxPositions / 64]uint64

func (s *state) set(i int)          { s[i/64] |= 1 << (i % 64) }
func (s *state) has(i int) bool     { return s[i/64]&(1<<(i%64)) != 0 }
func (s *state) empty() bool        { return s[0]|s[1]|s[2]|s[3] == 0 }
func (s *state) and(o *state) state { return state{s[0] & o[0], s[1] & o[1], s[2] & o[2], s[3] & o[3]} }

// matcher runs a set of compiled paths together.
type matcher struct {
	steps []step // steps[i] is the step taken from position i (zero value at final positions)
	final state  // the final position of every path
	start state  // the first position of every path
}

// add compiles p and returns the position reached when p has matched.
func (m *matcher) add(p string) (int, error) {
	steps, err := parsePath(p)
	if err != nil {
		return 0, err
	}
	if len(m.steps)+len(steps)+1 > maxPositions {
		return 0, fmt.Errorf("too many path steps in total (at most %d)", maxPositions)
	}
	m.start.set(len(m.steps))
	m.steps = append(m.steps, steps...)
	end := len(m.steps)
	m.steps = append(m.steps, step{sel: selNever})
	m.final.set(end)
	return end, nil
}

// next is the state at the child g of a location in state s.
func (m *matcher) next(s *state, g segment) state {
	var out state
	for w, word := range s {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			i := w*64 + b
			if m.final.has(i) {
				continue
			}
			st := &m.steps[i]
			if st.deep {
				out.set(i)
			}
			if st.matches(g) {
				out.set(i + 1)
			}
		}
	}
	return out
}
