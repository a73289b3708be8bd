package sqldb

import "strings"

// countStatements reports how many SQL statements src holds, skipping
// comments, string literals and quoted identifiers, and treating the
// semicolons inside a CREATE TRIGGER … BEGIN … END body as part of that one
// statement (the same idea as sqlite3_complete). Statements that are empty
// (only whitespace, comments or semicolons) are not counted.
//
// It only has to be conservative: the SQLite authorizer still checks every
// statement the driver compiles, so a miscount can refuse good SQL but cannot
// let forbidden SQL through.
func countStatements(src string) int {
	var (
		n         int
		hasTokens bool // current statement has a token
		words     []string
		depth     int // BEGIN/CASE nesting inside a trigger body
	)
	isTrigger := func() bool {
		// CREATE [TEMP|TEMPORARY] TRIGGER
		if len(words) >= 2 && words[0] == "CREATE" {
			if words[1] == "TRIGGER" {
				return true
			}
			if len(words) >= 3 && (words[1] == "TEMP" || words[1] == "TEMPORARY") && words[2] == "TRIGGER" {
				return true
			}
		}
		return false
	}
	endStmt := func() {
		if hasTokens {
			n++
		}
		hasTokens, words, depth = false, words[:0], 0
	}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += end + 4
			}
		case c == '\'' || c == '"' || c == '`':
			hasTokens = true
			i = skipQuoted(src, i, c)
		case c == '[':
			hasTokens = true
			end := strings.IndexByte(src[i:], ']')
			if end < 0 {
				i = len(src)
			} else {
				i += end + 1
			}
		case c == ';':
			i++
			if depth > 0 {
				continue
			}
			endStmt()
		case isWordByte(c):
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			w := strings.ToUpper(src[i:j])
			hasTokens = true
			if len(words) < 3 {
				words = append(words, w)
			}
			if isTrigger() {
				switch w {
				case "BEGIN", "CASE":
					depth++
				case "END":
					if depth > 0 {
						depth--
					}
				}
			}
			i = j
		default:
			hasTokens = true
			i++
		}
	}
	endStmt()
	return n
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// skipQuoted returns the index just past the quoted token starting at i;
// a doubled quote character inside is an escaped quote.
func skipQuoted(src string, i int, q byte) int {
	i++
	for i < len(src) {
		if src[i] == q {
			if i+1 < len(src) && src[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(src)
}
