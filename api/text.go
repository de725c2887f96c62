package api

import "unicode"

// blankContent reports whether s shows nothing: it is empty or holds only
// white space (spaces, tabs, line breaks, U+3000 ideographic space…),
// control characters and format characters (Unicode Cf: U+200B zero
// width space, U+200D zero width joiner, U+FEFF byte order mark…) and
// other default-ignorable characters (Hangul fillers, variation
// selectors). Such a text would be sent, and billed, as an SMS nobody can
// read.
func blankContent(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) &&
			!unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) && !unicode.Is(unicode.Variation_Selector, r) {
			return false
		}
	}
	return true
}

// unprintableRef returns the index (in characters) of the first character
// a reference must not hold — control (Cc), format (Cf: zero width and
// bidirectional marks that make two references look alike or reorder a
// log line) and line or paragraph separators — or -1.
func unprintableRef(s string) int {
	i := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return i
		}
		i++
	}
	return -1
}
