package compare

import (
	"bytes"
	"math/big"
	"strconv"
)

// decimal is a JSON number literal in canonical form: value = ±0.digits × 10^exp with no
// leading or trailing zeros in digits. Zero has no digits. Two literals denote the same number
// exactly when their canonical forms are equal, so 1, 1.0 and 10e-1 are equal and large
// integers are never rounded.
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
	ok     bool // false when the exponent overflows int64: compare the literals instead
}

func parseDecimal(lit []byte, buf []byte) decimal {
	d := decimal{ok: true}
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
	var e int64
	if i < len(lit) { // exponent
		i++
		eneg := false
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			eneg = lit[i] == '-'
			i++
		}
		for ; i < len(lit); i++ {
			if e > (1<<62)/10 {
				d.ok = false
				return d
			}
			e = e*10 + int64(lit[i]-'0')
		}
		if eneg {
			e = -e
		}
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
		return decimal{ok: true}
	}
	d.digits = digits
	d.exp = pointExp + e
	return d
}

func (d decimal) equal(o decimal) bool {
	return d.neg == o.neg && d.exp == o.exp && bytes.Equal(d.digits, o.digits)
}

// numbersEqual reports whether two JSON number literals are equal within the relative
// tolerance tol: |a-b| <= tol * max(|a|,|b|). tol 0 is exact equality of the decimal values.
func numbersEqual(a, b []byte, tol float64) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ba, bb [32]byte
	da, db := parseDecimal(a, ba[:0]), parseDecimal(b, bb[:0])
	if da.ok && db.ok && da.equal(db) {
		return true
	}
	if tol <= 0 {
		return false
	}
	fa, _, errA := big.ParseFloat(string(a), 10, 256, big.ToNearestEven)
	fb, _, errB := big.ParseFloat(string(b), 10, 256, big.ToNearestEven)
	if errA != nil || errB != nil {
		return false
	}
	diff := new(big.Float).SetPrec(256).Sub(fa, fb)
	diff.Abs(diff)
	fa.Abs(fa)
	fb.Abs(fb)
	m := fa
	if fb.Cmp(fa) > 0 {
		m = fb
	}
	// The tolerance as written (0.3, not the binary float nearest to it), so boundaries are exact.
	ft, _, err := big.ParseFloat(strconv.FormatFloat(tol, 'g', -1, 64), 10, 256, big.ToNearestEven)
	if err != nil {
		return false
	}
	limit := new(big.Float).SetPrec(256).Mul(m, ft)
	return diff.Cmp(limit) <= 0
}
