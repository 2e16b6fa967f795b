// Package nodeset expands and folds node sets: "web[01-03,07].example.com" <->
// web01.example.com web02.example.com web03.example.com web07.example.com.
package nodeset

// DefaultMax is the default cap on the number of names one expression expands to.
const DefaultMax = 1_000_000

// Expand returns the names an expression stands for, in order. STUB: to be implemented.
func Expand(expr string, max int) ([]string, error) { return []string{expr}, nil }

// Fold returns the shortest node-set expression for names. STUB: to be implemented.
func Fold(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}
