package compare

import "testing"

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
		{"1e99999999999999999999", "2e99999999999999999999", 0.1, false},
		{"100", "109", 0.1, true},
		{"100", "110", 0.1, true},
		{"100", "112", 0.1, false},
		{"-100", "-109", 0.1, true},
		{"0", "0.0001", 0.1, false},
		{"70", "100", 0.3, true},
		{"69.99", "100", 0.3, false},
		{"1e400", "1.05e400", 0.1, true},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := numbersEqual([]byte(tt.a), []byte(tt.b), tt.tol); got != tt.want {
				t.Errorf("numbersEqual(%s, %s, %v) = %v", tt.a, tt.b, tt.tol, got)
			}
			if got := numbersEqual([]byte(tt.b), []byte(tt.a), tt.tol); got != tt.want {
				t.Errorf("not symmetric for %s, %s", tt.b, tt.a)
			}
		})
	}
}
