package mock

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// maxRepeat bounds how often an unbounded repetition (*, +, {n,}) repeats beyond its minimum.
const maxRepeat = 3

// maxPatternRunes bounds a string generated from a pattern.
const maxPatternRunes = 2048

// pattern is a compiled `pattern` keyword: the parsed tree to generate from and the regexp
// that checks the result. Patterns RE2 cannot compile have neither and are never generated.
type pattern struct {
	re   *syntax.Regexp
	full *regexp.Regexp
}

var patterns sync.Map // string -> *pattern

// rewriteCodepoints turns ECMA-262 \uXXXX escapes, common in OpenAPI patterns, into RE2's \x{XXXX}.
var rewriteCodepoints = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

func goPattern(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	return rewriteCodepoints.ReplaceAllString(p, `\x{$1}`)
}

// compilePattern parses and caches p; it returns nil when RE2 cannot compile it.
func compilePattern(p string) *pattern {
	if v, ok := patterns.Load(p); ok {
		return v.(*pattern)
	}
	var out *pattern
	src := goPattern(p)
	if full, err := regexp.Compile(src); err == nil {
		if re, err := syntax.Parse(src, syntax.Perl); err == nil {
			out = &pattern{re: re.Simplify(), full: full}
		}
	}
	patterns.Store(p, out)
	return out
}

// genPattern returns a string matching p with a rune count within [minLen, maxLen] (maxLen < 0:
// no bound), trying a few times; ok is false when none was found.
func genPattern(rng *rand.Rand, p string, minLen, maxLen int) (string, bool) {
	cp := compilePattern(p)
	if cp == nil {
		return "", false
	}
	if maxLen < 0 || maxLen > maxPatternRunes {
		maxLen = maxPatternRunes
	}
	fits := func(s string) bool {
		n := utf8.RuneCountInString(s)
		return n >= minLen && (maxLen < 0 || n <= maxLen) && cp.full.MatchString(s)
	}
	// Random tries first, then ones leaning towards longer strings to reach a minLength; then
	// the shortest string (every repetition at its minimum), and that string grown to the
	// minLength through its repetitions (^[a-f0-9-]+$ with minLength 36).
	for try := 0; try < 12; try++ {
		extra := 0
		if try >= 4 {
			extra = try
		}
		var b strings.Builder
		genRegexp(rng, cp.re, &b, &genState{extra: extra})
		if s := b.String(); fits(s) {
			return s, true
		}
	}
	var b strings.Builder
	genRegexp(rng, cp.re, &b, &genState{minimal: true})
	shortest := b.String()
	if fits(shortest) {
		return shortest, true
	}
	if n := utf8.RuneCountInString(shortest); n < minLen {
		for try := 0; try < 4; try++ {
			b.Reset()
			genRegexp(rng, cp.re, &b, &genState{minimal: true, budget: minLen - n})
			if s := b.String(); fits(s) {
				return s, true
			}
		}
		// A pattern not anchored at an end matches more around it: ^arn:aws:x: with
		// minLength 30 takes any 30 characters that start so.
		filler := strings.Repeat("x", minLen-n)
		for _, s := range []string{shortest + filler, filler + shortest} {
			if fits(s) {
				return s, true
			}
		}
	}
	return "", false
}

// genState steers one generation: extra widens unbounded repetitions; minimal takes every
// repetition at its minimum, except that the first repetitions that can grow take runes from
// budget until it is spent.
type genState struct {
	extra   int
	minimal bool
	budget  int
}

func genRegexp(rng *rand.Rand, re *syntax.Regexp, b *strings.Builder, st *genState) {
	if b.Len() > maxPatternRunes*4 {
		return
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(pickRune(rng, re.Rune))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteRune(rune('a' + rng.IntN(26)))
	case syntax.OpCapture, syntax.OpConcat:
		for _, sub := range re.Sub {
			genRegexp(rng, sub, b, st)
		}
	case syntax.OpAlternate:
		if len(re.Sub) > 0 {
			genRegexp(rng, re.Sub[rng.IntN(len(re.Sub))], b, st)
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 1
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, maxRepeat+st.extra
		case syntax.OpPlus:
			lo, hi = 1, 1+maxRepeat+st.extra
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + maxRepeat + st.extra
				if st.minimal {
					hi = -1
				}
			}
		}
		if st.minimal && re.Op != syntax.OpRepeat && re.Op != syntax.OpQuest {
			hi = -1 // * and + can grow without bound
		}
		if len(re.Sub) == 0 {
			return
		}
		if st.minimal {
			n := 0
			for ; n < lo; n++ {
				genRegexp(rng, re.Sub[0], b, st)
			}
			for st.budget > 0 && (hi < 0 || n < hi) && b.Len() <= maxPatternRunes*4 {
				before := utf8.RuneCountInString(b.String())
				genRegexp(rng, re.Sub[0], b, st)
				added := utf8.RuneCountInString(b.String()) - before
				if added == 0 {
					break
				}
				st.budget -= added
				n++
			}
			return
		}
		if hi < lo {
			hi = lo
		}
		n := lo
		if hi > lo {
			n = lo + rng.IntN(hi-lo+1)
		}
		for i := 0; i < n && b.Len() <= maxPatternRunes*4; i++ {
			genRegexp(rng, re.Sub[0], b, st)
		}
	default:
		// Anchors, word boundaries and empty matches produce no text.
	}
}

// pickRune picks a rune from a class given as [lo, hi] pairs, preferring letters and digits
// so generated values stay readable.
func pickRune(rng *rand.Rand, ranges []rune) rune {
	if len(ranges) < 2 {
		return 'a'
	}
	var nice []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for _, span := range [][2]rune{{'a', 'z'}, {'A', 'Z'}, {'0', '9'}} {
			l, h := max(lo, span[0]), min(hi, span[1])
			for r := l; r <= h; r++ {
				nice = append(nice, r)
			}
		}
	}
	if len(nice) > 0 {
		return nice[rng.IntN(len(nice))]
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 256; r++ {
			if unicode.IsPrint(r) && r != utf8.RuneError {
				return r
			}
		}
	}
	return ranges[0]
}
