package jinja

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// filterStrftime is Ansible's strftime(second=None, utc=False): the time
// (now, or the epoch second given) formatted as C's strftime in the C
// locale, local time unless utc.
func filterStrftime(in any, c call) (any, error) {
	t := time.Now()
	if s := c.arg(0, "second", nil); s != nil {
		f, ok := number(s)
		if !ok {
			if str, isStr := s.(string); isStr {
				f, ok = pyFloatOf(str)
			}
		}
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, runtimeErr("Invalid value for epoch value (%s)", pyStr(s))
		}
		t = time.Unix(int64(math.Floor(f)), 0)
	}
	if truthy(c.arg(1, "utc", false)) {
		t = t.In(time.FixedZone("GMT", 0)) // time.gmtime's zone name
	} else {
		t = t.Local()
	}
	return strftime(pyStr(in), t)
}

var (
	shortDays   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// strftime formats t as glibc's strftime in the C locale; a conversion
// it does not know is an Unsupported error.
func strftime(format string, t time.Time) (string, error) {
	var b strings.Builder
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	isoYear, isoWeek := t.ISOWeek()
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		var s string
		switch format[i] {
		case '%':
			s = "%"
		case 'a':
			s = shortDays[t.Weekday()]
		case 'A':
			s = t.Weekday().String()
		case 'b', 'h':
			s = shortMonths[t.Month()-1]
		case 'B':
			s = t.Month().String()
		case 'c':
			s = fmt.Sprintf("%s %s %2d %02d:%02d:%02d %d", shortDays[t.Weekday()], shortMonths[t.Month()-1], t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
		case 'C':
			s = fmt.Sprintf("%02d", t.Year()/100)
		case 'd':
			s = fmt.Sprintf("%02d", t.Day())
		case 'D', 'x':
			s = fmt.Sprintf("%02d/%02d/%02d", int(t.Month()), t.Day(), t.Year()%100)
		case 'e':
			s = fmt.Sprintf("%2d", t.Day())
		case 'F':
			s = fmt.Sprintf("%d-%02d-%02d", t.Year(), int(t.Month()), t.Day())
		case 'G':
			s = fmt.Sprint(isoYear)
		case 'g':
			s = fmt.Sprintf("%02d", isoYear%100)
		case 'H':
			s = fmt.Sprintf("%02d", t.Hour())
		case 'I':
			s = fmt.Sprintf("%02d", hour12)
		case 'j':
			s = fmt.Sprintf("%03d", t.YearDay())
		case 'k':
			s = fmt.Sprintf("%2d", t.Hour())
		case 'l':
			s = fmt.Sprintf("%2d", hour12)
		case 'm':
			s = fmt.Sprintf("%02d", int(t.Month()))
		case 'M':
			s = fmt.Sprintf("%02d", t.Minute())
		case 'n':
			s = "\n"
		case 'p':
			s = map[bool]string{true: "PM", false: "AM"}[t.Hour() >= 12]
		case 'R':
			s = fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
		case 's':
			s = fmt.Sprint(t.Unix())
		case 'S':
			s = fmt.Sprintf("%02d", t.Second())
		case 't':
			s = "\t"
		case 'T', 'X':
			s = fmt.Sprintf("%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
		case 'u':
			s = fmt.Sprint((int(t.Weekday())+6)%7 + 1)
		case 'U':
			s = fmt.Sprintf("%02d", (t.YearDay()+6-int(t.Weekday()))/7)
		case 'V':
			s = fmt.Sprintf("%02d", isoWeek)
		case 'w':
			s = fmt.Sprint(int(t.Weekday()))
		case 'W':
			s = fmt.Sprintf("%02d", (t.YearDay()+6-(int(t.Weekday())+6)%7)/7)
		case 'y':
			s = fmt.Sprintf("%02d", t.Year()%100)
		case 'Y':
			s = fmt.Sprint(t.Year())
		case 'z':
			s = t.Format("-0700")
		case 'Z':
			s, _ = t.Zone()
		default:
			return "", unsupported("the strftime conversion %%%c", format[i])
		}
		b.WriteString(s)
	}
	return b.String(), nil
}
