package compare

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestNumbersEqual(t *testing.T) {
	tests := []struct {
		a, b string
		tol  float64
		want bool
	}{
		{"1", "1.0", 0, true},
		{"1", "1.000000000000000000001", 0, false},
		{"100", "1e2", 0, true},
		{"0.5", "5e-1", 0, true},
		{"-0", "0", 0, true},
		{"0.0", "0e10", 0, true},
		{"-1", "1", 0, false},
		{"12345678901234567890", "12345678901234567891", 0, false},
		{"9007199254740993", "9007199254740992", 0, false}, // equal as float64
		{"1e400", "10e399", 0, true},
		{"1e99999999999999999999", "1e99999999999999999999", 0, true},
		{"1e99999999999999999999", "10e99999999999999999998", 0, true},
		{"1e99999999999999999999", "2e99999999999999999999", 0.1, false},
		{"1e99999999999999999999", "1.05e99999999999999999999", 0.1, true},
		{"1e-99999999999999999999", "0.1e-99999999999999999998", 0, true},
		// The exponent crosses from int64 to decimal text: one canonical form either way.
		{"10e999999999999999999", "1e1000000000000000000", 0, true},
		{"0.1e-999999999999999999", "1e-1000000000000000000", 0, true},
		{"1e1000000000000000000", "1e999999999999999999", 0, false},
		{"1e1000000000000000000", "1e999999999999999999", 0.9, true},
		{"1e1000000000000000000", "1e999999999999999999", 0.89, false},
		{"100", "109", 0.1, true},
		{"100", "110", 0.1, true},
		{"100", "112", 0.1, false},
		{"-100", "-109", 0.1, true},
		{"0", "0.0001", 0.1, false},
		{"0", "0.0001", 1, true},
		{"70", "100", 0.3, true},
		{"69.99", "100", 0.3, false},
		{"1e400", "1.05e400", 0.1, true},
		// Outside float64 range (big.Float overflowed to ±Inf here and panicked on Inf-Inf).
		{"1e999999999", "2e999999999", 0.1, false},
		{"1e999999999", "2e999999999", 0.5, true},
		{"1e999999999", "2e999999999", 0.49, false},
		{"-1e999999999", "1e999999999", 2, true},
		{"-1e999999999", "1e999999999", 1.99, false},
		{"1e-999999999", "2e-999999999", 0.5, true},
		{"1e-999999999", "0", 0.1, false},
		{"1e-999999999", "0", 1, true},
		// Exponents far apart: the smaller cannot tip the balance.
		{"1e400", "1", 0.1, false},
		{"1e400", "1", 1, true},
		{"-1e400", "1", 1, false},
		{"-1e400", "1", 1.5, true},
		{"1e-400", "-1e400", 1.0000000000000002, true},
		// Long literals are exact: no rounding at the boundary.
		{"100", "111." + strings.Repeat("1", 100), 0.1, true}, // below 1000/9
		{"100", "111.1112", 0.1, false},
		{"100", "90", 0.1, true}, // exactly on the boundary
		{"100", "89." + strings.Repeat("9", 100), 0.1, false},
		{"90." + strings.Repeat("9", 80), "100", 0.1, true},
		{"89." + strings.Repeat("9", 80), "100", 0.1, false},
		{"1", "1.1", math.Inf(1), true},
		{"1", "1.1", 5e-324, false},
		{"1", "1.0000000000000000000000000000001", 1e-30, true},
		{"1", "1.000000000000000000000000000001", 1e-30, true},
		{"1", "1.0000000000000000000000000000011", 1e-30, false},
		{"1e308", "1.7e308", 1.7976931348623157e308, true},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b+"_"+strconv.FormatFloat(tt.tol, 'g', -1, 64), func(t *testing.T) {
			if got := numbersEqual([]byte(tt.a), []byte(tt.b), tt.tol); got != tt.want {
				t.Errorf("numbersEqual(%s, %s, %v) = %v", tt.a, tt.b, tt.tol, got)
			}
			if got := numbersEqual([]byte(tt.b), []byte(tt.a), tt.tol); got != tt.want {
				t.Errorf("not symmetric for %s, %s", tt.b, tt.a)
			}
			if tt.tol == 0 {
				var ba, bb [32]byte
				ka := string(parseDecimal([]byte(tt.a), ba[:0]).appendKey(nil))
				kb := string(parseDecimal([]byte(tt.b), bb[:0]).appendKey(nil))
				if (ka == kb) != tt.want {
					t.Errorf("keys %s and %s disagree with equality %v", ka, kb, tt.want)
				}
			}
		})
	}
}

// FuzzNumbersEqual: no pair of numbers and tolerance panics; the result is symmetric; exact
// equality agrees with the canonical key; and where the exponents are small enough to expand,
// the answer is |a-b| <= tol*max(|a|,|b|) computed with exact rationals. The literals are built
// from parts so that every input is a number: digits, a decimal point, an exponent of any size.
func FuzzNumbersEqual(f *testing.F) {
	f.Add(uint64(1), uint8(0), int64(999999999), uint64(2), uint8(0), int64(999999999), 0.1)
	f.Add(uint64(1), uint8(0), int64(400), uint64(1), uint8(0), int64(0), 1.0)
	f.Add(uint64(100), uint8(0), int64(0), uint64(110), uint8(0), int64(0), 0.1)
	f.Add(uint64(30000000000000004), uint8(17), int64(0), uint64(3), uint8(0), int64(-1), 1e-16)
	f.Add(uint64(10), uint8(0), int64(999999999999999999), uint64(1), uint8(0), int64(1000000000000000000), 0.0)
	f.Add(uint64(0), uint8(1), int64(-5), uint64(0), uint8(0), int64(5), 0.5)
	f.Fuzz(func(t *testing.T, ma uint64, fa uint8, ea int64, mb uint64, fb uint8, eb int64, tol float64) {
		if tol < 0 || math.IsNaN(tol) {
			return
		}
		a, b := literal(ma, fa, ea), literal(mb, fb, eb)
		got := numbersEqual([]byte(a), []byte(b), tol)
		if rev := numbersEqual([]byte(b), []byte(a), tol); rev != got {
			t.Fatalf("numbersEqual(%s, %s, %v) = %v but reversed %v", a, b, tol, got, rev)
		}
		var ba, bb [32]byte
		ka := string(parseDecimal([]byte(a), ba[:0]).appendKey(nil))
		kb := string(parseDecimal([]byte(b), bb[:0]).appendKey(nil))
		if exact := numbersEqual([]byte(a), []byte(b), 0); exact != (ka == kb) {
			t.Fatalf("%s vs %s: exact equality %v, keys %s and %s", a, b, exact, ka, kb)
		}
		if ea < -400 || ea > 400 || eb < -400 || eb > 400 {
			return
		}
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		want := true
		if !math.IsInf(tol, 1) {
			rt, _ := new(big.Rat).SetString(strconv.FormatFloat(tol, 'g', -1, 64))
			diff := new(big.Rat).Sub(ra, rb)
			diff.Abs(diff)
			m := new(big.Rat).Abs(ra)
			if abs := new(big.Rat).Abs(rb); abs.Cmp(m) > 0 {
				m = abs
			}
			want = diff.Cmp(m.Mul(m, rt)) <= 0
		}
		if got != want {
			t.Fatalf("numbersEqual(%s, %s, %v) = %v, exact rationals say %v", a, b, tol, got, want)
		}
	})
}

// literal writes a JSON number: the low bit of frac is the sign, the rest how many of m's
// digits (padded with leading zeros) follow the decimal point; then the exponent e.
func literal(m uint64, frac uint8, e int64) string {
	digits := strconv.FormatUint(m, 10)
	n := int(frac >> 1 % 40)
	if n > 0 && len(digits) <= n {
		digits = strings.Repeat("0", n-len(digits)+1) + digits
	}
	var s strings.Builder
	if frac&1 == 1 {
		s.WriteByte('-')
	}
	s.WriteString(digits[:len(digits)-n])
	if n > 0 {
		s.WriteString("." + digits[len(digits)-n:])
	}
	if e != 0 {
		s.WriteString("e" + strconv.FormatInt(e, 10))
	}
	if !isNumberLiteral(s.String()) {
		panic("not a JSON number: " + s.String())
	}
	return s.String()
}

// isNumberLiteral reports whether s is one JSON number, as the parser accepts it.
func isNumberLiteral(s string) bool {
	d, err := ParseJSON([]byte(s))
	return err == nil && d.root.kind == kindNumber && string(d.root.s) == s
}
