// Command moderation screens comments before they are stored
// (on-comment-creating). A comment is spam when it contains a banned word or
// phrase, or more links than allowed; depending on [config] mode the plugin
// then rejects it or masks the offending parts.
//
// Rejecting follows the host's convention (cmd/pluginhost, documented in
// examples/plugins/README.md): the filter returns the comment with empty
// content (everything else unchanged); the host stores nothing, skips
// on-comment-created and answers 422 comment_rejected.
//
// Configuration ([config] of manifest.toml):
//
//	mode = "reject"   # "reject" (default) or "mask"
//	max_links = 2     # links allowed per comment; -1: no limit
//
// The banned words live in the plugin's key-value store under the key
// "banned_words" (a JSON array of strings), so moderators can change them
// without a release; the first comment the plugin sees seeds the list with
// defaultBannedWords if the key is unset.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/guest/plugin"
	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncommentcreating"
)

// bannedWordsKey is the key-value entry holding the banned words.
const bannedWordsKey = "banned_words"

// defaultBannedWords seeds the list on first use.
var defaultBannedWords = []string{
	"viagra", "cialis", "casino", "online pharmacy", "payday loan",
	"crypto giveaway", "free money", "buy followers", "博彩", "代开发票",
}

func init() {
	oncommentcreating.Export(moderate)
}

func moderate(c plugin.CommentInput) *plugin.CommentInput {
	cfg := loadConfig()
	words := bannedWords()

	banned := findBanned(c.Content, words)
	links := findLinks(c.Content)
	tooManyLinks := cfg.maxLinks >= 0 && len(links) > cfg.maxLinks
	if len(banned) == 0 && !tooManyLinks {
		return nil // none: the comment passes unchanged
	}

	var why []string
	if len(banned) > 0 {
		why = append(why, strconv.Itoa(len(banned))+" banned word(s)")
	}
	if tooManyLinks {
		why = append(why, strconv.Itoa(len(links))+" links (max "+strconv.Itoa(cfg.maxLinks)+")")
	}
	who := "anonymous"
	if c.Nickname != nil {
		who = *c.Nickname
	}

	if cfg.mode == modeReject {
		hostapi.Log("info", "rejected comment by "+who+": "+strings.Join(why, ", "))
		c.Content = "" // the rejection convention: empty content, the rest unchanged
		return &c
	}

	// Mask: star out banned words, drop the links past the limit.
	var cuts []span
	for _, s := range banned {
		cuts = append(cuts, span{s.start, s.end, stars(c.Content[s.start:s.end])})
	}
	if tooManyLinks {
		for _, s := range links[cfg.maxLinks:] {
			cuts = append(cuts, span{s.start, s.end, "[link removed]"})
		}
	}
	c.Content = apply(c.Content, cuts)
	hostapi.Log("info", "masked comment by "+who+": "+strings.Join(why, ", "))
	return &c
}

// --- configuration ---

const (
	modeReject = "reject"
	modeMask   = "mask"
)

type config struct {
	mode     string
	maxLinks int
}

// loadConfig reads [config]; bad values are logged and replaced by the
// defaults. It is read on every call, which costs two host calls, so that a
// host override (environment, host config) applies without a reload.
func loadConfig() config {
	cfg := config{mode: modeReject, maxLinks: 2}
	if v, ok := hostapi.GetConfig("mode"); ok {
		switch v = strings.ToLower(strings.TrimSpace(v)); v {
		case modeReject, modeMask:
			cfg.mode = v
		default:
			hostapi.Log("warn", `config mode = "`+v+`": want "reject" or "mask"; rejecting`)
		}
	}
	if v, ok := hostapi.GetConfig("max_links"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < -1 {
			hostapi.Log("warn", "config max_links = "+v+": want an integer >= -1; using 2")
		} else {
			cfg.maxLinks = n
		}
	}
	return cfg
}

// bannedWords returns the list kept under bannedWordsKey, seeding it with
// the defaults when it is unset. A list that does not parse is logged and
// the defaults are used for this call (the stored value is left for a
// moderator to fix).
func bannedWords() []string {
	v, ok := hostapi.GetData(bannedWordsKey)
	if !ok {
		seed, _ := json.Marshal(defaultBannedWords)
		if hostapi.SetData(bannedWordsKey, string(seed)) {
			hostapi.Log("info", "seeded "+bannedWordsKey+" with "+strconv.Itoa(len(defaultBannedWords))+" words")
		} else {
			hostapi.Log("warn", "could not seed "+bannedWordsKey)
		}
		return defaultBannedWords
	}
	var words []string
	if err := json.Unmarshal([]byte(v), &words); err != nil {
		hostapi.Log("error", bannedWordsKey+" is not a JSON array of strings ("+err.Error()+"); using the defaults")
		return defaultBannedWords
	}
	return words
}

// --- matching ---

// span is a byte range of the content, and what replaces it when masking.
type span struct {
	start, end int
	repl       string
}

// findBanned returns where the banned words occur in s, ignoring case and
// how much white space separates the words of a phrase.
// A word made of letters or digits matches only as a whole word ("class"
// does not contain "ass"); words in scripts written without spaces (Han,
// Hiragana, Katakana, Hangul, Thai) match anywhere.
func findBanned(s string, words []string) []span {
	hay := foldRunes(s)
	var out []span
	for _, w := range words {
		needle := foldRunes(strings.TrimSpace(w))
		if len(needle) == 0 {
			continue
		}
		whole := !unspaced(needle)
		for i := 0; i+len(needle) <= len(hay); i++ {
			if !equalRunes(hay[i:i+len(needle)], needle) {
				continue
			}
			j := i + len(needle)
			if whole && (i > 0 && wordRune(hay[i-1].r) || j < len(hay) && wordRune(hay[j].r)) {
				continue
			}
			end := len(s)
			if j < len(hay) {
				end = hay[j].off
			}
			out = append(out, span{start: hay[i].off, end: end})
			i = j - 1
		}
	}
	return out
}

// foldedRune is a lower-cased rune and its byte offset in the original.
type foldedRune struct {
	r   rune
	off int
}

// foldRunes lower-cases s rune by rune and turns every run of white space
// into one ' ', so "Online  Pharmacy" matches "online pharmacy".
func foldRunes(s string) []foldedRune {
	out := make([]foldedRune, 0, len(s))
	for off, r := range s {
		if unicode.IsSpace(r) {
			if len(out) > 0 && out[len(out)-1].r == ' ' {
				continue
			}
			r = ' '
		}
		out = append(out, foldedRune{unicode.ToLower(r), off})
	}
	return out
}

func equalRunes(a, b []foldedRune) bool {
	for i := range a {
		if a[i].r != b[i].r {
			return false
		}
	}
	return true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func unspaced(w []foldedRune) bool {
	for _, c := range w {
		if unicode.In(c.r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai) {
			return true
		}
	}
	return false
}

// findLinks returns the links in s: runs of non-space characters starting
// with http://, https:// or www. (case-insensitive).
func findLinks(s string) []span {
	var out []span
	lower := strings.ToLower(s) // ASCII prefixes: byte offsets stay valid
	for i := 0; i < len(s); {
		start := -1
		for _, p := range []string{"http://", "https://", "www."} {
			if strings.HasPrefix(lower[i:], p) && (i == 0 || !wordByte(s[i-1])) {
				start = i
				break
			}
		}
		if start < 0 {
			i++
			continue
		}
		end := start
		for end < len(s) {
			r, n := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) || r == '<' || r == '"' {
				break
			}
			end += n
		}
		out = append(out, span{start: start, end: end})
		i = end
	}
	return out
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '/' || b == '.'
}

// stars returns one "*" per character of s.
func stars(s string) string {
	return strings.Repeat("*", len([]rune(s)))
}

// apply replaces the spans of s (which may overlap: the earlier start wins).
func apply(s string, cuts []span) string {
	// sort by start (insertion sort: a handful of spans)
	for i := 1; i < len(cuts); i++ {
		for j := i; j > 0 && cuts[j].start < cuts[j-1].start; j-- {
			cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
		}
	}
	var b strings.Builder
	pos := 0
	for _, c := range cuts {
		if c.start < pos {
			continue
		}
		b.WriteString(s[pos:c.start])
		b.WriteString(c.repl)
		pos = c.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

func main() {}
