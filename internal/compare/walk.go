package compare

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"math"
	"sort"
)

// maxBudget is "count every difference".
const maxBudget = math.MaxInt32

// fullSearch is the largest number of (mock, live) leftover pairs for which multiset matching
// tries every pair; above it each mock element tries the window of leftover live elements
// nearest to its own index, which keeps matching linear.
const (
	fullSearch = 4096
	window     = 32
)

// walker compares two trees. In recording mode (rec) it appends differences to res and keeps
// the current location in path; in counting mode it only counts differences and stops as soon
// as the count exceeds the budget it was given.
type walker struct {
	c          *Comparer
	rec        bool
	res        *Result
	msrc, lsrc []byte
	path       []segment
	counter    *walker
}

func (w *walker) cw() *walker {
	if !w.rec {
		return w
	}
	if w.counter == nil {
		w.counter = &walker{c: w.c}
	}
	return w.counter
}

func (c *Comparer) rootState() state { return c.m.start }

func (c *Comparer) hasIgnores() bool {
	return c.ignoreBare != nil || !c.ignoreAt.empty() || c.absentBare != nil || !c.absentAt.empty()
}

func (w *walker) child(st *state, g segment) state {
	if st.empty() {
		return state{}
	}
	return w.c.m.next(st, g)
}

// ignored reports whether the location reached by g (in state st) is ignored.
func (c *Comparer) ignored(g segment, st *state) bool {
	if g.isKey && c.ignoreBare != nil && c.ignoreBare[string(g.key)] {
		return true
	}
	if st.empty() {
		return false
	}
	x := st.and(&c.ignoreAt)
	return !x.empty()
}

// selected reports whether the location reached by g (in state st) is one of a path set's:
// a bare name in bare, or a final position in at.
func selected(g segment, st *state, bare map[string]bool, at *state) bool {
	if g.isKey && bare != nil && bare[string(g.key)] {
		return true
	}
	if st.empty() || at.empty() {
		return false
	}
	x := st.and(at)
	return !x.empty()
}

// unordered reports whether the array at the current location (state st, reached by the key
// last, nil for an index) is compared as a multiset whatever strict_arrays says.
func (c *Comparer) unordered(st *state, last []byte) bool {
	return selected(segment{key: last, isKey: last != nil}, st, c.unorderedBare, &c.unorderedAt)
}

func (c *Comparer) tolerance(st *state, last []byte) float64 {
	t, found := c.tolDefault, false
	if c.tolBare != nil && last != nil {
		if v, ok := c.tolBare[string(last)]; ok {
			t, found = v, true
		}
	}
	if !st.empty() {
		for _, p := range c.tolAt {
			if st.has(p.pos) && (!found || p.v < t) {
				t, found = p.v, true
			}
		}
	}
	return t
}

func (c *Comparer) arrayKey(st *state, last []byte) string {
	if c.keyBare != nil && last != nil {
		if f, ok := c.keyBare[string(last)]; ok {
			return f
		}
	}
	if !st.empty() {
		for _, p := range c.keyAt {
			if st.has(p.pos) {
				return p.v
			}
		}
	}
	return ""
}

func (w *walker) report(k Kind, m, l *node) {
	if !w.rec {
		return
	}
	d := Difference{Location: formatLocation(w.path), Kind: k}
	if m != nil {
		d.Mock = rawValue(w.msrc, m)
	}
	if l != nil {
		d.Live = rawValue(w.lsrc, l)
	}
	w.res.Differences = append(w.res.Differences, d)
}

// rawValue is the value's JSON text as written in the source, compacted.
func rawValue(src []byte, n *node) json.RawMessage {
	raw := src[n.start:n.end]
	if n.kind == kindArray || n.kind == kindObject {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.Bytes()
		}
	}
	return bytes.Clone(raw)
}

// node compares two present values at the current location.
func (w *walker) node(m, l *node, st *state, last []byte, budget int) int {
	if m.kind != l.kind {
		w.report(KindType, m, l)
		return 1
	}
	switch m.kind {
	case kindObject:
		return w.object(m, l, st, budget)
	case kindArray:
		return w.array(m, l, st, last, budget)
	case kindNumber:
		if bytes.Equal(m.s, l.s) || numbersEqual(m.s, l.s, w.c.tolerance(st, last)) {
			return 0
		}
	case kindString, kindBool:
		if bytes.Equal(m.s, l.s) {
			return 0
		}
	case kindNull:
		return 0
	}
	w.report(KindChanged, m, l)
	return 1
}

// at compares the child g of the current location: m nil means extra, l nil missing.
func (w *walker) at(g segment, m, l *node, st *state, budget int) int {
	cs := w.child(st, g)
	if w.c.ignored(g, &cs) {
		if w.rec && (m == nil || l == nil || w.cw().node(m, l, &cs, g.key, 0) > 0) {
			w.res.Ignored++
		}
		return 0
	}
	if w.rec {
		w.path = append(w.path, g)
	}
	var cost int
	switch {
	case (l == nil || m == nil) && selected(g, &cs, w.c.absentBare, &w.c.absentAt):
		// Absence is allowed here: not a difference, but something an ignore rule hid.
		if w.rec {
			w.res.Ignored++
		}
	case l == nil:
		w.report(KindMissing, m, nil)
		cost = 1
	case m == nil:
		w.report(KindExtra, nil, l)
		cost = 1
	default:
		cost = w.node(m, l, &cs, g.key, budget)
	}
	if w.rec {
		w.path = w.path[:len(w.path)-1]
	}
	return cost
}

func keySeg(k *node) segment { return segment{key: k.s, isKey: true} }

func (w *walker) object(m, l *node, st *state, budget int) int {
	mk, lk := m.kids, l.kids
	cost := 0
	if len(mk) == len(lk) {
		same := true
		for i := 0; i < len(mk); i += 2 {
			if !bytes.Equal(mk[i].s, lk[i].s) {
				same = false
				break
			}
		}
		if same {
			for i := 0; i < len(mk); i += 2 {
				cost += w.at(keySeg(&mk[i]), &mk[i+1], &lk[i+1], st, budget-cost)
				if cost > budget {
					return cost
				}
			}
			return cost
		}
	}
	mIdx, lIdx := keyIndex(mk), keyIndex(lk)
	for i := 0; i < len(mk); i += 2 {
		if find(mk, mIdx, mk[i].s) != i {
			continue // a later duplicate of this key wins, as in encoding/json
		}
		var lv *node
		if j := find(lk, lIdx, mk[i].s); j >= 0 {
			lv = &lk[j+1]
		}
		cost += w.at(keySeg(&mk[i]), &mk[i+1], lv, st, budget-cost)
		if cost > budget {
			return cost
		}
	}
	for j := 0; j < len(lk); j += 2 {
		if find(lk, lIdx, lk[j].s) != j || find(mk, mIdx, lk[j].s) >= 0 {
			continue
		}
		cost += w.at(keySeg(&lk[j]), nil, &lk[j+1], st, budget-cost)
		if cost > budget {
			return cost
		}
	}
	return cost
}

// keyIndex maps keys to their last position for objects large enough to need it.
func keyIndex(kids []node) map[string]int {
	if len(kids) <= 32 {
		return nil
	}
	idx := make(map[string]int, len(kids)/2)
	for i := 0; i < len(kids); i += 2 {
		idx[string(kids[i].s)] = i
	}
	return idx
}

// find returns the position of the last key k in kids, or -1.
func find(kids []node, idx map[string]int, k []byte) int {
	if idx != nil {
		if i, ok := idx[string(k)]; ok {
			return i
		}
		return -1
	}
	for i := len(kids) - 2; i >= 0; i -= 2 {
		if bytes.Equal(kids[i].s, k) {
			return i
		}
	}
	return -1
}

func idxSeg(i, n int) segment { return segment{index: i, n: n} }

func (w *walker) array(m, l *node, st *state, last []byte, budget int) int {
	if f := w.c.arrayKey(st, last); f != "" {
		return w.keyed(m, l, st, f, budget)
	}
	if w.c.strictArrays && !w.c.unordered(st, last) {
		return w.strict(m, l, st, budget)
	}
	return w.multiset(m, l, st, budget)
}

func (w *walker) strict(m, l *node, st *state, budget int) int {
	mk, lk := m.kids, l.kids
	cost := 0
	for i := 0; i < max(len(mk), len(lk)); i++ {
		var mv, lv *node
		n := len(mk)
		if i < len(mk) {
			mv = &mk[i]
		} else {
			n = len(lk)
		}
		if i < len(lk) {
			lv = &lk[i]
		}
		cost += w.at(idxSeg(i, n), mv, lv, st, budget-cost)
		if cost > budget {
			return cost
		}
	}
	return cost
}

// keyed matches elements by the value of a key field. Elements without the field pair with
// each other (equal ones first, then in order); a key found on one side only is missing or
// extra, as is an element repeating a key already matched.
func (w *walker) keyed(m, l *node, st *state, field string, budget int) int {
	mk, lk := m.kids, l.kids
	live := make(map[string]int, len(lk))
	liveKeyed := make([]bool, len(lk))
	for j := len(lk) - 1; j >= 0; j-- {
		if k, ok := elemKey(&lk[j], field); ok {
			live[k] = j
			liveKeyed[j] = true
		}
	}
	pair := make([]int, len(mk))
	used := make([]bool, len(lk))
	var unkeyed []int
	for i := range mk {
		pair[i] = -1
		k, ok := elemKey(&mk[i], field)
		if !ok {
			unkeyed = append(unkeyed, i)
			continue
		}
		if j, ok := live[k]; ok && !used[j] {
			pair[i], used[j] = j, true
		}
	}
	if len(unkeyed) > 0 {
		byHash := map[uint64][]int{}
		var rest []int
		for j := range lk {
			if !liveKeyed[j] {
				h := w.hashElem(&lk[j], st, idxSeg(j, len(lk)))
				byHash[h] = append(byHash[h], j)
				rest = append(rest, j)
			}
		}
		var left []int
		for _, i := range unkeyed {
			h := w.hashElem(&mk[i], st, idxSeg(i, len(mk)))
			if js := byHash[h]; len(js) > 0 {
				pair[i], used[js[0]] = js[0], true
				byHash[h] = js[1:]
				continue
			}
			left = append(left, i)
		}
		for _, j := range rest {
			if len(left) == 0 {
				break
			}
			if !used[j] {
				pair[left[0]], used[j] = j, true
				left = left[1:]
			}
		}
	}
	cost := 0
	for i := range mk {
		var lv *node
		if pair[i] >= 0 {
			lv = &lk[pair[i]]
		}
		cost += w.at(idxSeg(i, len(mk)), &mk[i], lv, st, budget-cost)
		if cost > budget {
			return cost
		}
	}
	for j := range lk {
		if !used[j] {
			cost += w.at(idxSeg(j, len(lk)), nil, &lk[j], st, budget-cost)
			if cost > budget {
				return cost
			}
		}
	}
	return cost
}

// elemKey is the canonical text of a scalar key field of an object element.
func elemKey(n *node, field string) (string, bool) {
	if n.kind != kindObject {
		return "", false
	}
	for i := len(n.kids) - 2; i >= 0; i -= 2 {
		if string(n.kids[i].s) != field {
			continue
		}
		v := &n.kids[i+1]
		switch v.kind {
		case kindObject, kindArray:
			return "", false
		case kindNumber:
			var buf, key [32]byte
			d := parseDecimal(v.s, buf[:0])
			return string(d.appendKey(append(key[:0], 'n'))), true
		default:
			return string(rune('a'+v.kind)) + string(v.s), true
		}
	}
	return "", false
}

// multiset compares arrays ignoring order: equal elements at the same index pair first (the
// common equal-prefix case costs one pass), then equal elements anywhere (by subtree hash),
// then each remaining mock element takes the remaining live element with the fewest
// differences. Leftovers are missing (at their mock index) or extra (at their live index);
// paired elements are reported at the mock index.
func (w *walker) multiset(m, l *node, st *state, budget int) int {
	mk, lk := m.kids, l.kids
	nm, nl := len(mk), len(lk)
	if d := nm - nl; d > budget || -d > budget {
		return budget + 1
	}
	cw := w.cw()
	// cs is declared once: its address goes down the recursion, which makes it a heap
	// variable, and one per call is cheaper than one per element.
	var cs state
	// Equal prefix: elements equal at the same index need no bookkeeping at all.
	prefix := 0
	for prefix < min(nm, nl) {
		g := idxSeg(prefix, nm)
		cs = w.child(st, g)
		if !w.c.ignored(g, &cs) && !w.equalAt(cw, &mk[prefix], &lk[prefix], &cs, st, prefix, nm, nl) {
			break
		}
		prefix++
	}
	if prefix == nm && nm == nl && !(w.rec && w.c.hasIgnores()) {
		return 0
	}
	pair := make([]int32, nm)
	exact := make([]bool, nm)
	used := make([]bool, nl)
	unmatched := 0
	for i := range prefix {
		pair[i], exact[i], used[i] = int32(i), true, true
	}
	for i := prefix; i < nm; i++ {
		pair[i] = -1
		if i < nl && i > prefix {
			g := idxSeg(i, nm)
			cs = w.child(st, g)
			if w.c.ignored(g, &cs) || w.equalAt(cw, &mk[i], &lk[i], &cs, st, i, nm, nl) {
				pair[i], exact[i], used[i] = int32(i), true, true
				continue
			}
		}
		unmatched++
	}
	if unmatched > 0 && nl > 0 {
		w.matchByHash(mk, lk, st, pair, exact, used)
	}
	var remM, remL []int
	for i := range mk {
		if pair[i] < 0 {
			remM = append(remM, i)
		}
	}
	for j := range lk {
		if !used[j] {
			remL = append(remL, j)
		}
	}
	if len(remM) > 0 && len(remL) > 0 {
		if w.rec {
			w.matchNearest(mk, lk, st, remM, remL, pair, used)
		} else {
			// Counting: leftovers pair in order, an estimate that keeps counting linear.
			for k := range min(len(remM), len(remL)) {
				pair[remM[k]] = int32(remL[k])
				used[remL[k]] = true
			}
		}
	}
	cost := 0
	needIgnored := w.rec && w.c.hasIgnores()
	for i := range mk {
		j := pair[i]
		switch {
		case j < 0:
			cost += w.at(idxSeg(i, nm), &mk[i], nil, st, budget-cost)
		case exact[i] && !needIgnored:
			continue
		default:
			cost += w.at(idxSeg(i, nm), &mk[i], &lk[j], st, budget-cost)
		}
		if cost > budget {
			return cost
		}
	}
	for j := range lk {
		if !used[j] {
			cost += w.at(idxSeg(j, nl), nil, &lk[j], st, budget-cost)
			if cost > budget {
				return cost
			}
		}
	}
	return cost
}

// equalAt decides whether the elements at index i pair up positionally. Recording walks ask
// the counting walker (exact, with tolerance); counting walks compare subtree hashes, so that
// nested arrays are not walked twice per level (which would be exponential in depth).
func (w *walker) equalAt(cw *walker, m, l *node, cs, st *state, i, nm, nl int) bool {
	if w.rec {
		return cw.node(m, l, cs, nil, 0) == 0
	}
	return w.c.hash(m, *cs, nil) == w.hashElem(l, st, idxSeg(i, nl))
}

// matchByHash pairs unmatched elements whose subtree hashes are equal: equal under the
// comparison rules except tolerance. 64-bit hashes with a per-Comparer random seed.
func (w *walker) matchByHash(mk, lk []node, st *state, pair []int32, exact, used []bool) {
	byHash := make(map[uint64][]int32)
	for j := range lk {
		if !used[j] {
			h := w.hashElem(&lk[j], st, idxSeg(j, len(lk)))
			byHash[h] = append(byHash[h], int32(j))
		}
	}
	for i := range mk {
		if pair[i] >= 0 {
			continue
		}
		h := w.hashElem(&mk[i], st, idxSeg(i, len(mk)))
		if js := byHash[h]; len(js) > 0 {
			pair[i], exact[i], used[js[0]] = js[0], true, true
			byHash[h] = js[1:]
		}
	}
}

func (w *walker) hashElem(n *node, st *state, g segment) uint64 {
	cs := w.child(st, g)
	if w.c.ignored(g, &cs) {
		return 0
	}
	return w.c.hash(n, cs, nil)
}

// matchNearest pairs each remaining mock element with the remaining live element that has
// the fewest differences, trying the live elements nearest its own index first and stopping
// at a perfect candidate.
func (w *walker) matchNearest(mk, lk []node, st *state, remM, remL []int, pair []int32, used []bool) {
	cw := w.cw()
	full := len(remM)*len(remL) <= fullSearch
	// Union-find over positions in remL with path compression: findR(k) is the nearest free
	// position at or right of k (len(remL) when none), findL(k) at or left of k (-1 when
	// none), so consumed candidates are skipped in amortised constant time.
	n := len(remL)
	pr := make([]int, n+1)
	pl := make([]int, n+1) // shifted by one: pl[k+1] is position k
	for k := range pr {
		pr[k], pl[k] = k, k
	}
	findR := func(k int) int {
		r := k
		for pr[r] != r {
			r = pr[r]
		}
		for pr[k] != r {
			k, pr[k] = pr[k], r
		}
		return r
	}
	findL := func(k int) int {
		s := k + 1
		r := s
		for pl[r] != r {
			r = pl[r]
		}
		for pl[s] != r {
			s, pl[s] = pl[s], r
		}
		return r - 1
	}
	remaining := len(remL)
	var cs state // one heap variable per call, not per element (see multiset)
	for _, i := range remM {
		if remaining == 0 {
			break
		}
		g := idxSeg(i, len(mk))
		cs = w.child(st, g)
		pos := sort.SearchInts(remL, i)
		best, bestK := maxBudget, -1
		r, lft := findR(pos), findL(pos-1)
		for tried := 0; full || tried < window; tried++ {
			k := -1
			switch {
			case r < len(remL) && (lft < 0 || remL[r]-i <= i-remL[lft]):
				k = r
				r = findR(r + 1)
			case lft >= 0:
				k = lft
				lft = findL(lft - 1)
			}
			if k < 0 {
				break
			}
			c := cw.node(&mk[i], &lk[remL[k]], &cs, nil, best-1)
			if c < best {
				best, bestK = c, k
				if c == 0 || (c == 1 && !w.c.tolAny) {
					break
				}
			}
		}
		if bestK < 0 {
			continue
		}
		pr[bestK], pl[bestK+1] = bestK+1, bestK
		remaining--
		j := remL[bestK]
		pair[i], used[j] = int32(j), true
	}
}

// hash is a subtree hash consistent with equality under the rules except tolerance: numbers
// by exact decimal value, objects regardless of key order, arrays regardless of element
// order unless strict, ignored locations left out.
func (c *Comparer) hash(n *node, st state, last []byte) uint64 {
	switch n.kind {
	case kindNull:
		return 0x9e3779b97f4a7c15
	case kindBool, kindString:
		return mix(maphash.Bytes(c.seed, n.s) + uint64(n.kind))
	case kindNumber:
		var buf [32]byte
		d := parseDecimal(n.s, buf[:0])
		h := maphash.Bytes(c.seed, d.digits) ^ uint64(d.exp)*0xff51afd7ed558ccd
		if d.bigExp != nil {
			h ^= mix(maphash.Bytes(c.seed, d.bigExp))
		}
		if d.neg {
			h = ^h
		}
		return mix(h + uint64(kindNumber))
	case kindObject:
		h := uint64(kindObject)
		for i := 0; i < len(n.kids); i += 2 {
			g := keySeg(&n.kids[i])
			next := st
			if !st.empty() {
				next = c.m.next(&st, g)
			}
			if c.ignored(g, &next) {
				continue
			}
			h += mix(maphash.Bytes(c.seed, g.key) ^ mix(c.hash(&n.kids[i+1], next, g.key)))
		}
		return mix(h)
	default: // array
		ordered := c.strictArrays && c.arrayKey(&st, last) == "" && !c.unordered(&st, last)
		h := uint64(kindArray)
		for i := range n.kids {
			g := idxSeg(i, len(n.kids))
			next := st
			if !st.empty() {
				next = c.m.next(&st, g)
			}
			if c.ignored(g, &next) {
				continue
			}
			eh := c.hash(&n.kids[i], next, nil)
			if ordered {
				h = h*0x100000001b3 ^ eh
			} else {
				h += mix(eh)
			}
		}
		return mix(h)
	}
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
