package pgdb

import (
	"strings"
)

// token is one lexical token of PostgreSQL SQL, as far as classify needs:
// words (keywords and unquoted identifiers, lower-cased), quoted
// identifiers (as written, without quotes), and punctuation.
type token struct {
	kind tokKind
	text string
}

type tokKind int

const (
	tokWord   tokKind = iota // keyword or unquoted identifier, lower-cased
	tokQIdent                // "quoted identifier", content as written
	tokString                // '…', E'…', $tag$…$tag$, B'…', X'…'
	tokNumber
	tokParam // $1
	tokSemi
	tokPunct // any other character or operator character
)

// lexError is text lex cannot tokenize the way PostgreSQL would for sure;
// classify refuses it (fail closed).
type lexError string

func (e lexError) Error() string { return string(e) }

// lex splits src into tokens the way PostgreSQL's scanner does with
// standard_conforming_strings on (which every plugin statement runs with):
// -- and nested /* */ comments, '…' with ” escapes, E'…' with backslash
// escapes, dollar quotes, "…" identifiers with "" escapes. Unicode-escape
// forms (U&'…', U&"…") are refused: they could spell a name lex would not
// see.
func lex(src string) ([]token, error) {
	var out []token
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
			depth := 0
			for {
				if i+1 >= len(src) {
					return nil, lexError("unterminated /* comment")
				}
				switch {
				case src[i] == '/' && src[i+1] == '*':
					depth++
					i += 2
				case src[i] == '*' && src[i+1] == '/':
					depth--
					i += 2
				default:
					i++
				}
				if depth == 0 {
					break
				}
			}
		case c == '\'':
			j, err := skipString(src, i, false)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, ""})
			i = j
		case c == '"':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(src) {
					return nil, lexError("unterminated quoted identifier")
				}
				if src[j] == '"' {
					if j+1 < len(src) && src[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			out = append(out, token{tokQIdent, b.String()})
			i = j
		case c == '$':
			j := i + 1
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j > i+1 {
				out = append(out, token{tokParam, src[i:j]})
				i = j
				continue
			}
			// Dollar quote: $tag$ … $tag$, tag an identifier without $.
			j = i + 1
			for j < len(src) && isIdentByte(src[j]) && src[j] != '$' {
				j++
			}
			if j >= len(src) || src[j] != '$' {
				return nil, lexError("stray $")
			}
			delim := src[i : j+1]
			end := strings.Index(src[j+1:], delim)
			if end < 0 {
				return nil, lexError("unterminated dollar-quoted string")
			}
			out = append(out, token{tokString, ""})
			i = j + 1 + end + len(delim)
		case c == ';':
			out = append(out, token{tokSemi, ";"})
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '.') {
				j++
			}
			out = append(out, token{tokNumber, src[i:j]})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			w := strings.ToLower(src[i:j])
			if j < len(src) && src[j] == '\'' {
				switch w {
				case "e":
					k, err := skipString(src, j, true)
					if err != nil {
						return nil, err
					}
					out = append(out, token{tokString, ""})
					i = k
					continue
				case "b", "x", "n":
					k, err := skipString(src, j, false)
					if err != nil {
						return nil, err
					}
					out = append(out, token{tokString, ""})
					i = k
					continue
				}
			}
			if w == "u" && j < len(src) && src[j] == '&' {
				return nil, lexError("Unicode-escape strings and identifiers (U&) are not accepted")
			}
			out = append(out, token{tokWord, w})
			i = j
		default:
			out = append(out, token{tokPunct, string(c)})
			i++
		}
	}
	return out, nil
}

// skipString returns the index past the string literal whose opening quote
// is at i. With backslash escapes (E'…'), \' and \\ do not end it.
func skipString(src string, i int, backslash bool) (int, error) {
	j := i + 1
	for j < len(src) {
		switch {
		case backslash && src[j] == '\\':
			j += 2
			continue
		case src[j] == '\'':
			if j+1 < len(src) && src[j+1] == '\'' {
				j += 2
				continue
			}
			return j + 1, nil
		}
		j++
	}
	return 0, lexError("unterminated string literal")
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || c == '$' || (c >= '0' && c <= '9')
}

// splitStatements groups tokens into statements, dropping empty ones.
func splitStatements(toks []token) [][]token {
	var stmts [][]token
	start := 0
	for i, t := range toks {
		if t.kind == tokSemi {
			if i > start {
				stmts = append(stmts, toks[start:i])
			}
			start = i + 1
		}
	}
	if start < len(toks) {
		stmts = append(stmts, toks[start:])
	}
	return stmts
}
