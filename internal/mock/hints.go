package mock

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Realistic data: when a schema has no example, the name of the property (or parameter, or
// header) being generated says what kind of value it holds: `email`, `first_name`,
// `created_at`, `currency`... A hint proposes candidate values, drawn from the request's seed;
// the first candidate the schema accepts (type, length, pattern, bounds, multipleOf) is used,
// and when none is accepted generation goes on as if there were no hint. Formats and enums are
// decided before hints, so a hint never overrides what the schema says. Options.PlainData
// turns hints off. docs/mock-data.md lists them.

// hint is what a name says a value holds.
type hint int

const (
	hintNone hint = iota
	hintEmail
	hintFirstName
	hintLastName
	hintFullName
	hintUsername
	hintPhone
	hintURL
	hintCurrency
	hintCountry
	hintLocale
	hintLanguage
	hintCity
	hintStreet
	hintPostalCode
	hintTimestamp // created, updated_at, timestamp...: a recent instant
	hintDate      // birth_date, due_date: a recent calendar date
	hintID
	hintUUID
	hintAmount // price, amount, cost: positive
	hintCount  // count, total, quantity: a small non-negative integer
	hintStatus
	hintDescription
	hintTitle
	hintCompany
	hintHostname
	hintIP
	hintTimezone
	hintColor
	hintVersion
	hintLatitude
	hintLongitude
	hintPercent
	hintAge
)

// lastWordHints map the name's last word (singular) to a hint.
var lastWordHints = map[string]hint{
	"email": hintEmail, "phone": hintPhone, "mobile": hintPhone, "telephone": hintPhone, "fax": hintPhone,
	"url": hintURL, "uri": hintURL, "href": hintURL, "link": hintURL, "website": hintURL, "homepage": hintURL,
	"firstname": hintFirstName, "givenname": hintFirstName,
	"lastname": hintLastName, "surname": hintLastName, "familyname": hintLastName,
	"fullname": hintFullName, "displayname": hintFullName,
	"username": hintUsername, "login": hintUsername, "nickname": hintUsername,
	"currency": hintCurrency, "country": hintCountry, "locale": hintLocale,
	"language": hintLanguage, "lang": hintLanguage,
	"city": hintCity, "town": hintCity,
	"street": hintStreet, "line1": hintStreet, "address1": hintStreet, "streetaddress": hintStreet,
	"zip": hintPostalCode, "zipcode": hintPostalCode, "postcode": hintPostalCode, "postalcode": hintPostalCode,
	"created": hintTimestamp, "updated": hintTimestamp, "modified": hintTimestamp, "deleted": hintTimestamp,
	"timestamp": hintTimestamp, "datetime": hintTimestamp,
	"date": hintDate, "birthday": hintDate, "dob": hintDate,
	"id": hintID, "uuid": hintUUID, "guid": hintUUID,
	"price": hintAmount, "amount": hintAmount, "cost": hintAmount, "fee": hintAmount, "subtotal": hintAmount,
	"count": hintCount, "total": hintCount, "quantity": hintCount, "qty": hintCount, "status": hintStatus,
	"description": hintDescription, "summary": hintDescription, "comment": hintDescription,
	"note": hintDescription, "message": hintDescription, "bio": hintDescription,
	"title": hintTitle, "subject": hintTitle, "headline": hintTitle,
	"company": hintCompany, "organization": hintCompany, "organisation": hintCompany, "employer": hintCompany,
	"hostname": hintHostname, "domain": hintHostname, "host": hintHostname,
	"ip": hintIP, "ipaddress": hintIP,
	"timezone": hintTimezone, "tz": hintTimezone,
	"color": hintColor, "colour": hintColor, "version": hintVersion,
	"lat": hintLatitude, "latitude": hintLatitude,
	"lng": hintLongitude, "lon": hintLongitude, "longitude": hintLongitude,
	"percent": hintPercent, "percentage": hintPercent,
	"age": hintAge,
}

// pairHints map the last two words, joined, to a hint (first_name, created_at, zip_code...).
var pairHints = map[string]hint{
	"firstname": hintFirstName, "givenname": hintFirstName,
	"lastname": hintLastName, "familyname": hintLastName,
	"fullname": hintFullName, "displayname": hintFullName, "contactname": hintFullName,
	"customername": hintFullName, "personname": hintFullName, "authorname": hintFullName,
	"ownername": hintFullName, "realname": hintFullName,
	"username": hintUsername, "screenname": hintUsername,
	"emailaddress": hintEmail, "phonenumber": hintPhone, "mobilenumber": hintPhone,
	"currencycode": hintCurrency, "countrycode": hintCountry, "languagecode": hintLanguage,
	"streetaddress": hintStreet, "addressline": hintStreet,
	"postalcode": hintPostalCode, "zipcode": hintPostalCode, "postcode": hintPostalCode,
	"ipaddress": hintIP, "timezone": hintTimezone, "companyname": hintCompany,
	"totalcount": hintCount, "itemcount": hintCount,
}

// classify reads a property name: its words (split at _, -, ., spaces and camelCase humps),
// the last two together, then the last one (also without a plural s), then a trailing `at`
// or `on` (created_at, updatedOn) for instants.
func classify(name string) hint {
	if name == "" {
		return hintNone
	}
	var buf [8]string
	w := splitWords(buf[:0], name)
	if len(w) == 0 {
		return hintNone
	}
	last := w[len(w)-1]
	if len(w) == 1 && last == "name" {
		return hintFullName
	}
	if len(w) >= 2 {
		if h, ok := pairHints[w[len(w)-2]+last]; ok {
			return h
		}
		if last == "at" || last == "on" {
			return hintTimestamp
		}
		if last == "time" {
			return hintTimestamp
		}
	}
	if h, ok := lastWordHints[last]; ok {
		return h
	}
	if s, ok := strings.CutSuffix(last, "s"); ok && last != "status" {
		if h, ok := lastWordHints[s]; ok {
			return h
		}
		if s, ok := strings.CutSuffix(s, "e"); ok { // addresses, statuses
			if h, ok := lastWordHints[s]; ok {
				return h
			}
		}
	}
	return hintNone
}

// splitWords splits a name into lower-case words: "createdAt", "created_at" and "Created-At" are
// all [created at]; "avatarURL" is [avatar url], "userID" [user id].
func splitWords(dst []string, name string) []string {
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, b.String())
			b.Reset()
		}
	}
	prev := rune(0)
	for i, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ' || r == '$' || r == '@' || r == '[' || r == ']':
			flush()
		case unicode.IsUpper(r):
			next, _ := utf8.DecodeRuneInString(name[i+utf8.RuneLen(r):])
			// A hump starts a word: aB, or the last capital of an acronym followed by a
			// lower-case letter (URLPath -> url path).
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && unicode.IsLower(next)) {
				flush()
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prev = r
	}
	flush()
	return dst
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Katherine", "Linus", "Margaret", "Dennis", "Radia"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Perlman"}
	currencies = []string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK"}
	countries  = []string{"US", "DE", "FR", "GB", "JP", "CA", "NL", "SE"}
	countries3 = []string{"USA", "DEU", "FRA", "GBR", "JPN", "CAN", "NLD", "SWE"}
	locales    = []string{"en-US", "de-DE", "fr-FR", "en-GB", "ja-JP", "nl-NL"}
	cities     = []string{"Berlin", "Paris", "Lisbon", "Oslo", "Toronto", "Osaka", "Austin", "Utrecht"}
	streets    = []string{"Market Street", "Main Street", "Elm Avenue", "Harbour Road", "Station Road", "Oak Lane"}
	companies  = []string{"Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises"}
	timezones  = []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles"}
	statuses   = []string{"active"}
	titles     = []string{"Quarterly report", "Welcome aboard", "Release notes", "Team meeting", "Project plan"}
	sentences  = []string{
		"A short description of this item.",
		"Created for the spring campaign.",
		"Ships within two business days.",
		"Handle with care.",
		"Updated after the last review.",
	}
	colors = []string{"#3366ff", "#ff6633", "#33cc99", "#996633", "#222222"}
)

// recent is the start of the window for generated instants: they fall in the two years after it.
var recent = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// pick is a seeded choice from list.
func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// stringHint returns the first candidate for h that satisfies s's string constraints.
func (g *generator) stringHint(s *openapi3.Schema, h hint) (string, bool) {
	var cands [4]string
	c := cands[:0]
	n := 1 + g.rng.IntN(99)
	switch h {
	case hintEmail:
		f, l := g.pick(firstNames), g.pick(lastNames)
		c = append(c, strings.ToLower(f+"."+l)+"@example.com", fmt.Sprintf("user%d@example.com", n), "a@b.io")
	case hintFirstName:
		c = append(c, g.pick(firstNames))
	case hintLastName:
		c = append(c, g.pick(lastNames))
	case hintFullName:
		f, l := g.pick(firstNames), g.pick(lastNames)
		c = append(c, f+" "+l, f)
	case hintUsername:
		c = append(c, strings.ToLower(g.pick(firstNames))+fmt.Sprint(n), fmt.Sprintf("user%d", n))
	case hintPhone:
		c = append(c, fmt.Sprintf("+1-202-555-%04d", 100+g.rng.IntN(9000)), fmt.Sprintf("+1202555%04d", 100+g.rng.IntN(9000)), fmt.Sprintf("202555%04d", 100+g.rng.IntN(9000)))
	case hintURL:
		c = append(c, fmt.Sprintf("https://example.com/%s/%d", g.pick(words12), n), "https://example.com", "http://a.io")
	case hintCurrency:
		cur := g.pick(currencies)
		c = append(c, cur, strings.ToLower(cur))
	case hintCountry:
		i := g.rng.IntN(len(countries))
		c = append(c, countries[i], countries3[i], strings.ToLower(countries[i]))
	case hintLocale:
		l := g.pick(locales)
		c = append(c, l, strings.ReplaceAll(l, "-", "_"), l[:2])
	case hintLanguage:
		l := g.pick(locales)
		c = append(c, l[:2], l)
	case hintCity:
		c = append(c, g.pick(cities))
	case hintStreet:
		c = append(c, fmt.Sprintf("%d %s", n, g.pick(streets)))
	case hintPostalCode:
		c = append(c, fmt.Sprintf("%05d", 10000+g.rng.IntN(89999)), fmt.Sprintf("%04d", 1000+g.rng.IntN(8999)))
	case hintTimestamp:
		c = append(c, recent.Add(time.Duration(g.rng.Int64N(730*24*3600))*time.Second).Format(time.RFC3339))
	case hintDate:
		c = append(c, recent.AddDate(0, 0, g.rng.IntN(730)).Format(time.DateOnly))
	case hintID:
		var b [12]byte
		for i := range b {
			b[i] = alnum[g.rng.IntN(len(alnum))]
		}
		c = append(c, string(b[:]), string(b[:8]), fmt.Sprint(n))
	case hintUUID:
		v, _ := g.format("uuid", 0, -1)
		c = append(c, v)
	case hintStatus:
		c = append(c, g.pick(statuses))
	case hintDescription:
		c = append(c, g.pick(sentences))
	case hintTitle:
		c = append(c, g.pick(titles))
	case hintCompany:
		c = append(c, g.pick(companies))
	case hintHostname:
		c = append(c, fmt.Sprintf("%s.example.com", g.pick(words12)), "example.com")
	case hintIP:
		c = append(c, fmt.Sprintf("192.0.2.%d", 1+g.rng.IntN(254)))
	case hintTimezone:
		c = append(c, g.pick(timezones), "UTC")
	case hintColor:
		c = append(c, g.pick(colors))
	case hintVersion:
		c = append(c, fmt.Sprintf("%d.%d.%d", 1+g.rng.IntN(3), g.rng.IntN(10), g.rng.IntN(10)))
	case hintAmount, hintCount, hintPercent, hintAge:
		// A number written as a string ("amount": "12.50" is common in payment APIs).
		c = append(c, fmt.Sprintf("%d.%02d", 1+g.rng.IntN(500), g.rng.IntN(100)), fmt.Sprint(n))
	}
	for _, v := range c {
		if stringFits(s, v) {
			return v, true
		}
	}
	return "", false
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// words12 are the words of generated URLs and hostnames.
var words12 = []string{"items", "orders", "users", "docs", "files", "projects", "reports", "photos"}

// stringFits reports whether v satisfies the length and pattern constraints of s (format and
// enum are the caller's business).
func stringFits(s *openapi3.Schema, v string) bool {
	n := uint64(utf8.RuneCountInString(v))
	if n < s.MinLength || (s.MaxLength != nil && n > *s.MaxLength) {
		return false
	}
	if s.Pattern != "" {
		cp := compilePattern(s.Pattern)
		return cp != nil && cp.full.MatchString(v)
	}
	return true
}

// numberHint returns a value for h within s's bounds (integral when integer), or false.
func (g *generator) numberHint(s *openapi3.Schema, h hint, integer bool) (float64, bool) {
	var v float64
	switch h {
	case hintTimestamp:
		if !integer {
			return 0, false // a fractional epoch is unusual enough to leave to the schema
		}
		v = float64(recent.Unix() + g.rng.Int64N(730*24*3600))
	case hintID:
		v = float64(1 + g.rng.IntN(99999))
	case hintAmount:
		if integer {
			v = float64(100 * (1 + g.rng.IntN(500)))
		} else {
			v = float64(1+g.rng.IntN(500)) + float64(g.rng.IntN(100))/100
		}
	case hintCount:
		v = float64(g.rng.IntN(100))
	case hintPercent:
		v = float64(g.rng.IntN(101))
	case hintAge:
		v = float64(18 + g.rng.IntN(70))
	case hintLatitude:
		if integer {
			return 0, false
		}
		v = math.Round((g.rng.Float64()*180-90)*1e4) / 1e4
	case hintLongitude:
		if integer {
			return 0, false
		}
		v = math.Round((g.rng.Float64()*360-180)*1e4) / 1e4
	default:
		return 0, false
	}
	return v, numberFits(s, v)
}

// numberFits reports whether v satisfies the bounds, multipleOf and integer format ranges of s.
func numberFits(s *openapi3.Schema, v float64) bool {
	lo, hi, loEx, hiEx := declaredBounds(s)
	if (lo != nil && (v < *lo || (loEx && v == *lo))) || (hi != nil && (v > *hi || (hiEx && v == *hi))) {
		return false
	}
	if m := s.MultipleOf; m != nil && *m > 0 {
		if q := v / *m; q != math.Trunc(q) {
			return false
		}
	}
	switch s.Format {
	case "int32":
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// declaredBounds are the bounds s states (nil where it states none), OpenAPI 3.0 and 3.1 forms.
func declaredBounds(s *openapi3.Schema) (lo, hi *float64, loEx, hiEx bool) {
	lo, hi = s.Min, s.Max
	loEx, hiEx = s.ExclusiveMin.IsTrue(), s.ExclusiveMax.IsTrue()
	if v := s.ExclusiveMin.Value; v != nil && (lo == nil || *v >= *lo) {
		lo, loEx = v, true
	}
	if v := s.ExclusiveMax.Value; v != nil && (hi == nil || *v <= *hi) {
		hi, hiEx = v, true
	}
	return lo, hi, loEx, hiEx
}
