package manifest

import (
	"sort"
	"strconv"
	"strings"
)

// keyLines maps key paths to the 1-based line that defines them.
//
// BurntSushi/toml v1.6.0 records every key's position but does not export it
// (MetaData has no position accessor; only ParseError carries one), so
// semantic errors find their line with this small scanner instead. It runs
// only on documents the TOML parser accepted, and needs to understand just
// enough TOML to know where keys are: table headers, dotted and quoted keys,
// and values to skip over (strings of all four kinds, arrays, inline
// tables). Paths use the validator's spelling: segments joined by ".", and
// "[i]" after an element of an array of tables, e.g. "cron[1].cron_expr".
type keyLines map[string]int

// lineOf returns the line of path, or of its nearest recorded ancestor (a
// value inside an inline table or array is reported at its key), or 0.
func (kl keyLines) lineOf(path string) int {
	for path != "" {
		if l, ok := kl[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

type posScanner struct {
	src        string
	pos        int
	lineStarts []int
	lines      keyLines
	aot        map[string]int // array-of-tables path → elements seen
}

func scanKeyLines(src string) keyLines {
	s := &posScanner{src: src, lines: keyLines{}, aot: map[string]int{}, lineStarts: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	s.document()
	return s.lines
}

func (s *posScanner) lineAt(pos int) int {
	return sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > pos })
}

func (s *posScanner) record(path string, pos int) {
	if _, ok := s.lines[path]; !ok {
		s.lines[path] = s.lineAt(pos)
	}
}

func (s *posScanner) eof() bool { return s.pos >= len(s.src) }

func (s *posScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.pos]
}

// skipBlank skips spaces and tabs, and with nl also newlines and comments.
func (s *posScanner) skipBlank(nl bool) {
	for !s.eof() {
		switch c := s.src[s.pos]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.pos++
		case nl && c == '\n':
			s.pos++
		case nl && c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

func (s *posScanner) skipLine() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i + 1
	} else {
		s.pos = len(s.src)
	}
}

func (s *posScanner) document() {
	table := ""
	for {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		start := s.pos
		if s.peek() == '[' {
			aot := strings.HasPrefix(s.src[s.pos:], "[[")
			s.pos++
			if aot {
				s.pos++
			}
			keys := s.key()
			table = s.header(keys, aot, start)
			s.skipLine()
			continue
		}
		keys := s.key()
		if len(keys) == 0 || s.peek() != '=' {
			s.skipLine() // not TOML we understand; the parser has vetted it anyway
			continue
		}
		s.pos++
		s.recordKeys(table, keys, start)
		s.value(join(table, strings.Join(keys, ".")))
		s.skipBlank(false)
		if s.peek() == '#' || s.peek() == '\n' {
			s.skipLine()
		}
		if s.pos == start {
			s.pos++ // always make progress
		}
	}
}

// header records a [table] or [[array]] header and returns its path.
func (s *posScanner) header(keys []string, aot bool, pos int) string {
	path := ""
	for i, k := range keys {
		path = join(path, k)
		if i == len(keys)-1 && aot {
			n := s.aot[path]
			s.aot[path] = n + 1
			s.record(path, pos)
			path += "[" + strconv.Itoa(n) + "]"
			s.record(path, pos)
			break
		}
		if n := s.aot[path]; n > 0 {
			path += "[" + strconv.Itoa(n-1) + "]" // a sub-table of the latest element
		}
		s.record(path, pos)
	}
	return path
}

// recordKeys records a dotted key and the implicit tables it creates.
func (s *posScanner) recordKeys(table string, keys []string, pos int) {
	path := table
	for _, k := range keys {
		path = join(path, k)
		s.record(path, pos)
	}
}

// key reads a possibly dotted, possibly quoted key and the blanks after it.
func (s *posScanner) key() []string {
	var keys []string
	for {
		s.skipBlank(false)
		var k string
		switch c := s.peek(); {
		case c == '"':
			k = s.basicString()
		case c == '\'':
			k = s.literalString()
		case isBare(c):
			st := s.pos
			for !s.eof() && isBare(s.src[s.pos]) {
				s.pos++
			}
			k = s.src[st:s.pos]
		default:
			return keys
		}
		keys = append(keys, k)
		s.skipBlank(false)
		if s.peek() != '.' {
			return keys
		}
		s.pos++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value, recording the keys of inline tables under path.
func (s *posScanner) value(path string) {
	s.skipBlank(false)
	switch c := s.peek(); c {
	case '"':
		if strings.HasPrefix(s.src[s.pos:], `"""`) {
			s.multiline(`"""`, true)
		} else {
			s.basicString()
		}
	case '\'':
		if strings.HasPrefix(s.src[s.pos:], `'''`) {
			s.multiline(`'''`, false)
		} else {
			s.literalString()
		}
	case '[':
		s.pos++
		for i := 0; ; i++ {
			s.skipBlank(true)
			if s.eof() {
				return
			}
			if s.peek() == ']' {
				s.pos++
				return
			}
			before := s.pos
			elem := path + "[" + strconv.Itoa(i) + "]"
			s.record(elem, s.pos)
			s.value(elem)
			s.skipBlank(true)
			if s.peek() == ',' {
				s.pos++
			} else if s.pos == before {
				s.pos++
			}
		}
	case '{':
		s.pos++
		for {
			s.skipBlank(true) // TOML 1.1 allows newlines in inline tables
			if s.eof() {
				return
			}
			if s.peek() == '}' {
				s.pos++
				return
			}
			before := s.pos
			keys := s.key()
			if len(keys) > 0 && s.peek() == '=' {
				s.pos++
				s.recordKeys(path, keys, before)
				s.value(join(path, strings.Join(keys, ".")))
			}
			s.skipBlank(true)
			if s.peek() == ',' {
				s.pos++
			} else if s.pos == before {
				s.pos++
			}
		}
	default:
		// A number, boolean or date-time: up to a delimiter.
		for !s.eof() && !strings.ContainsRune(",]}\n#", rune(s.src[s.pos])) {
			s.pos++
		}
	}
}

// basicString reads "…" (escapes honoured) and returns its raw contents with
// simple escapes resolved well enough for key lookup.
func (s *posScanner) basicString() string {
	s.pos++ // opening quote
	var b strings.Builder
	for !s.eof() {
		c := s.src[s.pos]
		switch c {
		case '"':
			s.pos++
			return b.String()
		case '\\':
			if s.pos+1 < len(s.src) {
				b.WriteByte(s.src[s.pos+1])
			}
			s.pos = min(s.pos+2, len(s.src))
			continue
		case '\n':
			return b.String()
		}
		b.WriteByte(c)
		s.pos++
	}
	return b.String()
}

func (s *posScanner) literalString() string {
	s.pos++
	st := s.pos
	for !s.eof() && s.src[s.pos] != '\'' && s.src[s.pos] != '\n' {
		s.pos++
	}
	k := s.src[st:s.pos]
	if s.peek() == '\'' {
		s.pos++
	}
	return k
}

func (s *posScanner) multiline(delim string, escapes bool) {
	s.pos += len(delim)
	for !s.eof() {
		if escapes && s.src[s.pos] == '\\' {
			s.pos = min(s.pos+2, len(s.src))
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			s.pos += len(delim)
			// Up to two more quotes may belong to the content ("""a"""").
			for i := 0; i < 2 && s.peek() == delim[0]; i++ {
				s.pos++
			}
			return
		}
		s.pos++
	}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
