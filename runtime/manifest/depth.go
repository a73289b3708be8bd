package manifest

import "strings"

// MaxDepth bounds how deep a manifest may nest: table header segments,
// dotted-key segments, arrays and inline tables together. A real manifest
// nests three levels ([[cron]] label, [permissions] http_allow = [...]).
// BurntSushi/toml v1.6.0 is quadratic or worse in the depth: 64 KiB of
// "{a=" took a minute and 30 GB of allocation, 16,000 dotted-key segments
// 19 s. checkDepth refuses such input before the parser sees it.
const MaxDepth = 16

// checkDepth scans src with just enough TOML (comments, the four kinds of
// string, table headers, keys, arrays and inline tables) to know how deep
// every key and value is, and returns the byte offset where the depth first
// exceeds MaxDepth, or -1. It does not validate: what it misreads, the
// parser reports.
func checkDepth(src string) int {
	var stack []depthFrame
	tableDepth := 0 // segments of the last [header]
	keyMode := true // reading a key (else a value)
	base := 0       // depth the current key starts from
	segs := 1       // segments of the current key so far
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '#':
			if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
				i += j - 1 // the newline is handled next
			} else {
				i = len(src)
			}
		case '"', '\'':
			i = skipString(src, i) - 1
		case '\n':
			if len(stack) == 0 {
				keyMode, base, segs = true, tableDepth, 1
			}
		case '.':
			if keyMode {
				segs++
				if base+segs > MaxDepth {
					return i
				}
			}
		case '=':
			if keyMode {
				keyMode = false
			}
		case '[':
			if keyMode && len(stack) == 0 {
				// A table header, [a.b] or [[a.b]] (a key cannot hold an
				// unquoted "["): its segments are the depth of the keys
				// under it.
				j := i
				for j < len(src) && src[j] == '[' {
					j++
				}
				d := 1
				for ; j < len(src) && src[j] != ']' && src[j] != '\n'; j++ {
					switch src[j] {
					case '"', '\'':
						j = skipString(src, j) - 1
					case '.':
						if d++; d > MaxDepth {
							return j
						}
					}
				}
				for j+1 < len(src) && src[j+1] == ']' {
					j++
				}
				i = j
				tableDepth, base, segs = d, d, 1
				keyMode = false // only a comment may follow on this line
				continue
			}
			d := valueDepth(base, segs, stack) + 1
			if d > MaxDepth {
				return i
			}
			stack = append(stack, depthFrame{table: false, base: d})
			keyMode = false
		case '{':
			// The inline table is the value at its key's depth; its keys
			// add their segments.
			d := valueDepth(base, segs, stack)
			if d > MaxDepth {
				return i
			}
			stack = append(stack, depthFrame{table: true, base: d})
			keyMode, base, segs = true, d, 1
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			keyMode = false
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].table {
				keyMode, base, segs = true, stack[len(stack)-1].base, 1
			}
		}
	}
	return -1
}

type depthFrame struct {
	table bool // an inline table (keys inside), else an array
	base  int  // depth of the container's contents
}

// valueDepth is the depth of a value starting now: inside an array, the
// array's depth; after a key, the key's.
func valueDepth(base, segs int, stack []depthFrame) int {
	if len(stack) > 0 && !stack[len(stack)-1].table {
		return stack[len(stack)-1].base
	}
	return base + segs
}

// skipString returns the offset just past the string starting at src[i]
// (a quote): basic "…" with escapes, literal '…', and their multi-line
// triple-quoted forms. An unterminated string runs to the end.
func skipString(src string, i int) int {
	q := src[i]
	if strings.HasPrefix(src[i:], string([]byte{q, q, q})) {
		delim := string([]byte{q, q, q})
		for j := i + 3; j < len(src); j++ {
			if q == '"' && src[j] == '\\' {
				j++
				continue
			}
			if strings.HasPrefix(src[j:], delim) {
				// Up to two more quotes may belong to the string: """a"""".
				end := j + 3
				for k := 0; k < 2 && end < len(src) && src[end] == q; k++ {
					end++
				}
				return end
			}
		}
		return len(src)
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if q == '"' {
				j++
			}
		case q:
			return j + 1
		case '\n':
			return j // unterminated: the parser reports it
		}
	}
	return len(src)
}
