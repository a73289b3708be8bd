package interrupt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes hex with spaces, newlines and ;-comments.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, ";")
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

const header = "0061736d 01000000\n"

// exportHex is the export entry of the flag without its index.
var exportHex = "12 " + hex.EncodeToString([]byte(ExportName)) + " 03"

// TestGolden checks the exact output for small hand-encoded modules.
func TestGolden(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"new global and export sections before code", header + `
01 04 01 60 00 00      ; type: () -> ()
03 02 01 00            ; function: one of type 0
0a 09 01 07 00         ; code: one body of 7 bytes, no locals
   03 40 0c 00 0b 0b   ; loop br 0 end end
`, header + `
01 04 01 60 00 00
03 02 01 00
06 06 01 7f 01 41 00 0b     ; global: (mut i32) (i32.const 0)
07 16 01 ` + exportHex + ` 00 ; export: the flag, global 0
0a 15 01 13 00
   23 00 04 40 00 0b        ; the entry check
   03 40
   23 00 04 40 00 0b        ; the loop check
   0c 00 0b 0b
`},
		{"imported global, existing sections, custom sections kept", header + `
00 06 02 6331 78797a             ; custom "c1"
01 04 01 60 00 00
02 08 01 01 65 01 67 03 7f 00    ; import global e.g i32
03 02 01 00
06 06 01 7f 00 41 05 0b          ; global: i32 (i32.const 5)
07 05 01 01 66 00 00             ; export func "f" 0
00 04 02 6332 21                 ; custom "c2"
0a 07 01 05 00 23 01 1a 0b       ; global.get 1 drop end
`, header + `
00 06 02 6331 78797a
01 04 01 60 00 00
02 08 01 01 65 01 67 03 7f 00
03 02 01 00
06 0b 02 7f 00 41 05 0b 7f 01 41 00 0b
07 1a 02 01 66 00 00 ` + exportHex + ` 02 ; the flag is global 2
00 04 02 6332 21
0a 0d 01 0b 00 23 02 04 40 00 0b 23 01 1a 0b
`},
		{"global section goes after the tag section, export before datacount", header + `
01 04 01 60 00 00
03 02 01 00
0d 03 01 00 00                   ; tag of type 0
0c 01 00                         ; datacount 0
0a 04 01 02 00 0b
0b 01 00                         ; data: none
`, header + `
01 04 01 60 00 00
03 02 01 00
0d 03 01 00 00
06 06 01 7f 01 41 00 0b
07 16 01 ` + exportHex + ` 00
0c 01 00
0a 0a 01 08 00 23 00 04 40 00 0b 0b
0b 01 00
`},
		{"empty module", header, header + `
06 06 01 7f 01 41 00 0b
07 16 01 ` + exportHex + ` 00
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Instrument(unhex(t, c.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, c.want); !bytes.Equal(got, want) {
				t.Fatalf("got\n%x\nwant\n%x", got, want)
			}
			if _, err := Instrument(got); !errors.Is(err, ErrInstrumented) {
				t.Fatalf("instrumenting twice: %v, want ErrInstrumented", err)
			}
		})
	}
}

// TestGoldenYield checks the exact output with yield points.
func TestGoldenYield(t *testing.T) {
	in := unhex(t, header+`
01 04 01 60 00 00
03 02 01 00
05 03 01 00 00                 ; memory 0 pages
0a 04 01 02 00 0b
`)
	check := "23 00 04 40 00 0b" + // flag check
		" 23 01 41 01 6b 24 01 23 01 45 04 40" + // countdown; if zero
		" 41 80 01 24 01 41 00 40 00 1a 0b" // reset to 128; memory.grow 0; drop; end
	want := unhex(t, header+`
01 04 01 60 00 00
03 02 01 00
05 03 01 00 00
06 0c 02 7f 01 41 00 0b 7f 01 41 80 01 0b   ; the flag, the countdown from 128
07 16 01 `+exportHex+` 00
0a 21 01 1f 00 `+check+` 0b
`)
	got, err := InstrumentWith(in, Options{YieldEvery: 128})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got\n%x\nwant\n%x", got, want)
	}
}

// leb encodes v as an unsigned LEB128 (a test-side encoder, independent of
// the package's).
func leb(v int) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		if v >>= 7; v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sec encodes one section.
func sec(id byte, contents ...[]byte) []byte {
	body := bytes.Join(contents, nil)
	return append(append([]byte{id}, leb(len(body))...), body...)
}

// TestWideIndex: with 200 globals the flag's index takes two LEB128 bytes,
// and so does every check.
func TestWideIndex(t *testing.T) {
	entry := []byte{0x7f, 0x00, 0x41, 0x00, 0x0b}
	in := unhex(t, header)
	in = append(in, sec(1, unhex(t, "01 60 00 00"))...)
	in = append(in, sec(3, unhex(t, "01 00"))...)
	in = append(in, sec(6, leb(200), bytes.Repeat(entry, 200))...)
	in = append(in, sec(10, unhex(t, "01 05 00 03 40 0b 0b"))...)

	want := unhex(t, header)
	want = append(want, sec(1, unhex(t, "01 60 00 00"))...)
	want = append(want, sec(3, unhex(t, "01 00"))...)
	want = append(want, sec(6, leb(201), bytes.Repeat(entry, 200), unhex(t, "7f 01 41 00 0b"))...)
	want = append(want, sec(7, unhex(t, "01 "+exportHex+" c8 01"))...)
	check := unhex(t, "23 c8 01 04 40 00 0b")
	body := bytes.Join([][]byte{{0}, check, {0x03, 0x40}, check, {0x0b, 0x0b}}, nil)
	want = append(want, sec(10, []byte{1}, leb(len(body)), body)...)

	got, err := Instrument(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got\n%x\nwant\n%x", got, want)
	}
	r := newRuntime(t, compiler)
	m := instantiate(t, r, got)
	if g, ok := Global(m); !ok || g.Get() != 0 {
		t.Fatalf("Global = %v, %v", g, ok)
	}
}
