package compare

import (
	"bytes"
	"math"
	"strconv"
)

// decimal is a JSON number literal in canonical form: value = ±0.digits × 10^exp with no
// leading or trailing zeros in digits. Zero has no digits. Two literals denote the same number
// exactly when their canonical forms are equal, so 1, 1.0 and 10e-1 are equal, large integers
// are never rounded, and numbers far outside float64 range (1e999999999) are still exact.
//
// The exponent is exp when |exp| < maxSmallExp, else the signed decimal integer bigExp (exp
// is then 0): the rule depends on the value only, so the form stays canonical.
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
	bigExp []byte // "-123..." or "123...", set only when |exponent| >= maxSmallExp
}

// maxSmallExp bounds exponents held in an int64; beyond it they are kept as decimal text,
// so no literal, however long its exponent, overflows or costs more than linear time.
const maxSmallExp = 1_000_000_000_000_000_000

// maxDigitsSmallExp is the length of the longest exponent literal that parses into an int64
// without overflow (before the decimal point's position is added).
const maxDigitsSmallExp = 18

// parseDecimal reads a JSON number literal (as the parser accepted it) into canonical form,
// using buf for the digits.
func parseDecimal(lit []byte, buf []byte) decimal {
	var d decimal
	i := 0
	if i < len(lit) && lit[i] == '-' {
		d.neg = true
		i++
	}
	digits := buf[:0]
	var pointExp int64 // digits seen before the decimal point
	seenPoint := false
	for ; i < len(lit); i++ {
		c := lit[i]
		if c == '.' {
			seenPoint = true
			continue
		}
		if c == 'e' || c == 'E' {
			break
		}
		if !seenPoint {
			pointExp++
		}
		digits = append(digits, c)
	}
	var expLit []byte // the exponent's digits, leading zeros stripped
	eneg := false
	if i < len(lit) {
		i++
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			eneg = lit[i] == '-'
			i++
		}
		expLit = bytes.TrimLeft(lit[i:], "0")
	}
	// Strip leading zeros (each moves the point left) and trailing zeros.
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	digits = digits[lead:]
	pointExp -= int64(lead)
	digits = bytes.TrimRight(digits, "0")
	if len(digits) == 0 {
		return decimal{}
	}
	d.digits = digits
	if len(expLit) <= maxDigitsSmallExp {
		var e int64
		for _, c := range expLit {
			e = e*10 + int64(c-'0')
		}
		if eneg {
			e = -e
		}
		d.setExp(e + pointExp)
		return d
	}
	d.setBigExp(addSmall(signed{neg: eneg, mag: expLit}, pointExp))
	return d
}

// setExp stores an exponent that fits in an int64, in canonical form.
func (d *decimal) setExp(e int64) {
	if e > -maxSmallExp && e < maxSmallExp {
		d.exp = e
		return
	}
	d.setBigExp(signed{neg: e < 0, mag: strconv.AppendUint(nil, absInt(e), 10)})
}

// setBigExp stores an exponent given as a signed decimal, in canonical form.
func (d *decimal) setBigExp(e signed) {
	if len(e.mag) <= maxDigitsSmallExp {
		v, _ := strconv.ParseInt(string(e.mag), 10, 64)
		if e.neg {
			v = -v
		}
		if v > -maxSmallExp && v < maxSmallExp {
			d.exp, d.bigExp = v, nil
			return
		}
	}
	d.exp = 0
	d.bigExp = e.text()
}

// exponent is the exponent as a signed decimal.
func (d decimal) exponent() signed {
	if d.bigExp != nil {
		return parseSigned(d.bigExp)
	}
	return signed{neg: d.exp < 0, mag: strconv.AppendUint(nil, absInt(d.exp), 10)}
}

func absInt(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

func (d decimal) equal(o decimal) bool {
	return d.neg == o.neg && d.exp == o.exp && bytes.Equal(d.bigExp, o.bigExp) &&
		bytes.Equal(d.digits, o.digits)
}

// appendKey appends a canonical text of the value: equal values, equal texts.
func (d decimal) appendKey(b []byte) []byte {
	if d.neg {
		b = append(b, '-')
	} else {
		b = append(b, '+')
	}
	b = append(b, d.digits...)
	b = append(b, 'e')
	if d.bigExp != nil {
		return append(b, d.bigExp...)
	}
	return strconv.AppendInt(b, d.exp, 10)
}

// cmpAbs compares |d| and |o|.
func (d decimal) cmpAbs(o decimal) int {
	switch {
	case len(d.digits) == 0 || len(o.digits) == 0:
		return cmpInt(len(d.digits), len(o.digits))
	case d.bigExp == nil && o.bigExp == nil && d.exp != o.exp:
		return cmpInt(d.exp, o.exp)
	case d.bigExp != nil || o.bigExp != nil:
		if c := cmpSigned(d.exponent(), o.exponent()); c != 0 {
			return c
		}
	}
	// Same exponent: 0.digits compare as strings, a prefix being smaller.
	return bytes.Compare(d.digits, o.digits)
}

func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxGap is an exponent gap beyond which the smaller of two numbers cannot decide a tolerance
// comparison: the tolerance has at most 17 significant digits, so 1-t and t-1 are either 0
// or at least 1e-17 in size, while the ratio of the smaller to the larger is below 1e-39.
const maxGap = 40

// numbersEqual reports whether two JSON number literals are equal within the relative
// tolerance tol: |a-b| <= tol * max(|a|,|b|), computed exactly on the decimal values (the
// tolerance taken as written, 0.3 rather than the float64 nearest to it), whatever their size.
// tol 0 is exact equality of the decimal values. The cost is linear in the literals' length.
func numbersEqual(a, b []byte, tol float64) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ba, bb [32]byte
	da, db := parseDecimal(a, ba[:0]), parseDecimal(b, bb[:0])
	if da.equal(db) {
		return true
	}
	if !(tol > 0) { // also NaN, which Config.Validate refuses
		return false
	}
	if math.IsInf(tol, 1) {
		return true
	}
	var bt [32]byte
	dt := parseDecimal(strconv.AppendFloat(bt[:0], tol, 'g', -1, 64), bt[:0])
	ge1 := dt.cmpAbs(decimal{digits: []byte("1"), exp: 1}) >= 0 // tol >= 1
	if da.cmpAbs(db) < 0 {
		da, db = db, da
	}
	// Now |a| >= |b| > 0 or b is zero.
	if len(db.digits) == 0 {
		return ge1 // |a| <= tol*|a|
	}
	same := da.neg == db.neg
	gap, ok := expGap(da, db)
	if !ok {
		// |b|/|a| is too small to matter: |a|-|b| <= tol*|a| exactly when tol >= 1, and
		// |a|+|b| <= tol*|a| exactly when tol > 1.
		return ge1 && (same || !dt.equal(decimal{digits: []byte("1"), exp: 1}))
	}
	// Integers in one unit: A = digits(a) * 10^pa, B = digits(b) * 10^pb, with the unit
	// chosen so that pa, pb >= 0 (a's exponent is the origin, b's is gap below it).
	ua, ub := -int64(len(da.digits)), -gap-int64(len(db.digits))
	base := min(ua, ub)
	A := shift(da.digits, ua-base)
	B := shift(db.digits, ub-base)
	var l []byte // |a-b| or |a|+|b|
	if same {
		l = magSub(A, B)
	} else {
		l = magAdd(A, B)
	}
	// tol = T * 10^et with T the tolerance's digits (at most 17, so it fits an uint64).
	T, _ := strconv.ParseUint(string(dt.digits), 10, 64)
	et := dt.exp - int64(len(dt.digits))
	r := magMulSmall(A, T)
	if et >= 0 {
		r = shift(r, et)
	} else {
		l = shift(l, -et)
	}
	return magCmp(l, r) <= 0
}

// expGap is exp(a) - exp(b) when it is at most maxGap (a being the larger in size).
func expGap(a, b decimal) (int64, bool) {
	if a.bigExp == nil && b.bigExp == nil {
		g := a.exp - b.exp // both below maxSmallExp in size: no overflow
		return g, g <= maxGap
	}
	g := addSigned(a.exponent(), b.exponent().negate())
	if len(g.mag) > 2 {
		return 0, false
	}
	v, _ := strconv.ParseInt(string(g.mag), 10, 64)
	return v, v <= maxGap
}

// shift appends n zeros to the decimal integer x (multiplies it by 10^n).
func shift(x []byte, n int64) []byte {
	out := make([]byte, len(x), len(x)+int(n))
	copy(out, x)
	for range n {
		out = append(out, '0')
	}
	return out
}

// Magnitudes: non-negative decimal integers as ASCII digits, most significant first, without
// leading zeros (zero is empty).

func magCmp(a, b []byte) int {
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return bytes.Compare(a, b)
}

func magAdd(a, b []byte) []byte {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := make([]byte, len(a)+1)
	carry := byte(0)
	for i := 0; i < len(a); i++ {
		s := a[len(a)-1-i] - '0' + carry
		if i < len(b) {
			s += b[len(b)-1-i] - '0'
		}
		carry = s / 10
		out[len(out)-1-i] = '0' + s%10
	}
	out[0] = '0' + carry
	return trimZeros(out)
}

// magSub is a - b for a >= b.
func magSub(a, b []byte) []byte {
	out := make([]byte, len(a))
	borrow := 0
	for i := 0; i < len(a); i++ {
		s := int(a[len(a)-1-i]-'0') - borrow
		if i < len(b) {
			s -= int(b[len(b)-1-i] - '0')
		}
		borrow = 0
		if s < 0 {
			s += 10
			borrow = 1
		}
		out[len(out)-1-i] = '0' + byte(s)
	}
	return trimZeros(out)
}

// magMulSmall is a * m for m < 10^18, so that digit*m + carry stays below 2^64.
func magMulSmall(a []byte, m uint64) []byte {
	if m == 0 || len(a) == 0 {
		return nil
	}
	out := make([]byte, len(a)+20)
	var carry uint64
	k := len(out) - 1
	for i := len(a) - 1; i >= 0; i-- {
		carry += uint64(a[i]-'0') * m
		out[k] = '0' + byte(carry%10)
		carry /= 10
		k--
	}
	for ; carry > 0; k-- {
		out[k] = '0' + byte(carry%10)
		carry /= 10
	}
	return trimZeros(out[k+1:])
}

func trimZeros(x []byte) []byte { return bytes.TrimLeft(x, "0") }

// signed is a signed decimal integer: the exponents too large for an int64.
type signed struct {
	neg bool
	mag []byte
}

func parseSigned(s []byte) signed {
	if len(s) > 0 && s[0] == '-' {
		return signed{neg: true, mag: s[1:]}
	}
	return signed{mag: s}
}

func (s signed) text() []byte {
	if s.neg && len(s.mag) > 0 {
		return append([]byte{'-'}, s.mag...)
	}
	return bytes.Clone(s.mag)
}

func (s signed) negate() signed { return signed{neg: !s.neg && len(s.mag) > 0, mag: s.mag} }

func cmpSigned(a, b signed) int {
	switch {
	case a.neg != b.neg:
		if a.neg {
			return -1
		}
		return 1
	case a.neg:
		return magCmp(b.mag, a.mag)
	}
	return magCmp(a.mag, b.mag)
}

func addSigned(a, b signed) signed {
	if a.neg == b.neg {
		return signed{neg: a.neg, mag: magAdd(a.mag, b.mag)}
	}
	switch c := magCmp(a.mag, b.mag); {
	case c == 0:
		return signed{}
	case c > 0:
		return signed{neg: a.neg, mag: magSub(a.mag, b.mag)}
	}
	return signed{neg: b.neg, mag: magSub(b.mag, a.mag)}
}

func addSmall(a signed, v int64) signed {
	return addSigned(a, signed{neg: v < 0, mag: strconv.AppendUint(nil, absInt(v), 10)})
}
