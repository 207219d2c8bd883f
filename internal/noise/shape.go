package noise

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

var (
	uuidRE  = regexp.MustCompile(`^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	digits  = regexp.MustCompile(`^[0-9]+$`)
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9+/=_.:-]{8,}$`)
)

// dateLayouts are the timestamp forms APIs send.
var dateLayouts = []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly,
	http.TimeFormat, time.RFC1123Z, time.RFC850, time.ANSIC}

// stringShape names the kind of a string value: uuid, date-time, unix-time (digits), token
// (eight or more characters of an identifier or encoding alphabet, with a digit), or text.
func stringShape(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case uuidRE.MatchString(s):
		return "uuid"
	case isDate(s):
		return "date-time"
	case digits.MatchString(s) && len(s) <= 13:
		if f := atof(s); unixTime(f) {
			return "unix-time"
		}
		return "number"
	case tokenRE.MatchString(s) && strings.ContainsAny(s, "0123456789"):
		return "token"
	}
	return "text"
}

func isDate(s string) bool {
	for _, l := range dateLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

func atof(s string) float64 {
	var f float64
	for _, c := range s {
		f = f*10 + float64(c-'0')
	}
	return f
}
