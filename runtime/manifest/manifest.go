package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/raisfast/wasmplug/runtime/cron"
)

// FileName is the manifest's name inside a plugin directory.
const FileName = "manifest.toml"

// Defaults and limits (see the package doc).
const (
	DefaultEntry       = "plugin.wasm"
	DefaultPriority    = 10
	MinPriority        = -1000
	MaxPriority        = 1000
	DefaultVFSMaxBytes = 16 << 20
	// maxVFSBytes only catches typos; a real quota is far smaller.
	maxVFSBytes = 1 << 40
)

// Size limits (see the package doc). A manifest is a few hundred bytes; the
// limits only keep a hostile or broken one from costing the host memory and
// time, and its error list from flooding the log.
const (
	// MaxFileBytes bounds manifest.toml: Load, ReadFile and Read refuse a
	// larger file before reading it, Parse a larger buffer before parsing.
	MaxFileBytes = 64 << 10
	// MaxCronJobs bounds the [[cron]] entries.
	MaxCronJobs = 64
	// MaxConfigEntries bounds the keys of [config].
	MaxConfigEntries = 256
	// MaxConfigValueBytes bounds one [config] string value; a config key is
	// at most MaxKeyBytes.
	MaxConfigValueBytes = 8 << 10
	// MaxEnvEntries bounds the variables of [env]; a value is at most
	// MaxConfigValueBytes, a name at most MaxKeyBytes.
	MaxEnvEntries = 64
	// MaxKeyBytes bounds a [config] key, a cron job_type and a db_tables
	// entry.
	MaxKeyBytes = 128
	// MaxShortBytes bounds plugin.name, plugin.version, a cron label and a
	// cron_expr.
	MaxShortBytes = 256
	// MaxLongBytes bounds plugin.description and plugin.entry.
	MaxLongBytes = 1 << 10
	// MaxListEntries bounds http_allow and db_tables.
	MaxListEntries = 256
)

// Manifest is a validated manifest.toml.
type Manifest struct {
	Dir  string // the plugin directory, as given to Load
	File string // the manifest's path

	ID          string // reverse-DNS style identifier, unique among plugins
	Name        string // display name
	Version     string // semantic version (semver.org 2.0.0)
	Description string // optional
	Runtime     string // always "wasm"

	Entry     string // the module's path relative to Dir, slash-separated
	EntryPath string // Dir joined with Entry (set by Load; "" from Parse)

	Hooks       []Hook            // subscribed hooks, sorted by name
	Cron        []CronJob         // [[cron]] entries, in file order
	Config      map[string]string // [config], every value rendered as a string; never nil
	Env         map[string]string // [env]: the guest's environment variables; never nil
	Permissions Permissions
	Limits      Limits

	idLine    int // where plugin.id is, for duplicate-id errors
	entryLine int // where plugin.entry is, for entry errors
}

// Hook is one [hooks.<name>] table.
type Hook struct {
	Name     string // as in the contract, e.g. "on-post-creating"
	Priority int    // ascending order of execution; DefaultPriority if unset
}

// Priority returns the plugin's priority for hook and whether it subscribes
// to it.
func (m *Manifest) Priority(hook string) (int, bool) {
	i, ok := slices.BinarySearchFunc(m.Hooks, hook, func(h Hook, name string) int { return strings.Compare(h.Name, name) })
	if !ok {
		return 0, false
	}
	return m.Hooks[i].Priority, true
}

// CronJob is one [[cron]] entry.
type CronJob struct {
	Label    string // for people; defaults to JobType
	JobType  string // identifies the job within the plugin (unique)
	Expr     string // the cron_expr as written
	Schedule *cron.Schedule
}

// Limits is the [limits] table.
type Limits struct {
	// Fuel, if not 0, is the plugin's deterministic budget per call: how
	// many checks (function entries and loop iterations, see
	// runtime/interrupt's Options.Fuel) one hook call may pass before it
	// is stopped, whatever the machine's speed. 0: no budget (the call
	// deadline still applies).
	Fuel int64
}

// maxFuel caps [limits] fuel: beyond it a budget is no budget.
const maxFuel = 1 << 62

// DBAccess is the level of [permissions] db.
type DBAccess string

// Database access levels.
const (
	DBNone  DBAccess = "none"  // no database host functions
	DBRead  DBAccess = "read"  // db-query only
	DBWrite DBAccess = "write" // db-query, db-execute and transactions
)

// Permissions is the [permissions] table, defaults applied.
type Permissions struct {
	// HTTPAllow lists the host patterns http-get/http-post may reach,
	// lower-cased: "api.example.com", "*.example.org" (any subdomain, not the
	// apex), "host:8443" (that port only), an IP literal, or "*" (any host).
	// Empty: no HTTP at all.
	HTTPAllow []string
	// HTTPAllowPrivate lets allowed hosts resolve to loopback, private,
	// link-local or unspecified addresses. The host enforces it when dialling.
	HTTPAllowPrivate bool
	// DB is the database access level (default DBNone).
	DB DBAccess
	// DBTables, if not empty, restricts SQL to these tables.
	DBTables []string
	// DBSchema lists the tables the plugin owns: it may create them (and
	// their indexes) itself with db-execute, and alter or drop them; it
	// needs DB = DBWrite. They join its allow-list, so a plugin with
	// db_schema and no db_tables touches only its own tables. No host-side
	// setup (extensions/init.sql) is needed for them.
	DBSchema []string
	// VFSMaxBytes caps the total size of the plugin's sandbox directory; 0
	// disables the vfs-* host functions.
	VFSMaxBytes int64
}

// AllowsHost reports whether HTTPAllow admits host, given as "name" or
// "name:port" (as in a URL's Host). Private-address rules are separate.
func (p *Permissions) AllowsHost(host string) bool {
	name, port := splitHostPort(strings.ToLower(host))
	name = strings.TrimSuffix(name, ".")
	for _, pat := range p.HTTPAllow {
		pname, pport := splitHostPort(pat)
		if pport != "" && pport != port {
			continue
		}
		switch {
		case pname == "*":
			return true
		case strings.HasPrefix(pname, "*."):
			if strings.HasSuffix(name, pname[1:]) && len(name) > len(pname)-1 {
				return true
			}
		case pname == name:
			return true
		}
	}
	return false
}

// splitHostPort splits "h:p", "[v6]:p", "[v6]" or "h"; it does not validate.
func splitHostPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return s, ""
		}
		host, rest := s[1:end], s[end+1:]
		return host, strings.TrimPrefix(rest, ":")
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// Parse validates a manifest held in memory. file names it in errors;
// knownHooks is the contract's set of hook names (the generated hook table's
// names; a hook not in it is an error). Parse does not look at the file
// system, so it does not check the entry file: Load does.
//
// The error, if any, is an Errors list holding every problem found; data
// over MaxFileBytes is refused unparsed (ErrTooLarge). Read the file with
// ReadFile or Read, which refuse it before reading it whole.
func Parse(file string, data []byte, knownHooks []string) (*Manifest, error) {
	if len(data) > MaxFileBytes {
		return nil, Errors{tooLarge(file, int64(len(data)))}
	}
	m, c := parse(file, data, knownHooks)
	if len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	return m, nil
}

// Load reads and validates dir/manifest.toml, and checks that the entry file
// exists inside dir and is a core WebAssembly module. The error is an Errors
// list, or an *Error wrapping ErrNoManifest or ErrTooLarge (see ReadFile),
// or an I/O error.
func Load(ctx context.Context, dir string, knownHooks []string) (*Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, FileName)
	data, err := ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: file, Msg: "plugin directory has no " + FileName, Err: ErrNoManifest}
	}
	if err != nil {
		return nil, err
	}
	m, c := parse(file, data, knownHooks)
	if err := m.Locate(dir); err != nil {
		c.errs = append(c.errs, err.(Errors)...)
	}
	if len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	return m, nil
}

// Locate binds a manifest from Parse to its plugin directory: it sets Dir
// and EntryPath and checks that the entry file exists inside dir (a link
// out of it is refused) and is a core WebAssembly module. The error is an
// Errors list of one *Error wrapping ErrEntry, at the line of plugin.entry.
// Load is Parse and Locate; a caller that has already read and parsed the
// manifest (the runtime's directory scan) calls Locate instead of parsing
// the file again.
func (m *Manifest) Locate(dir string) error {
	m.Dir = dir
	if m.Entry == "" {
		return nil // Parse has reported it
	}
	m.EntryPath = filepath.Join(dir, filepath.FromSlash(m.Entry))
	if msg := checkEntry(dir, m.EntryPath); msg != "" {
		return Errors{&Error{File: m.File, Line: m.entryLine, Key: "plugin.entry", Msg: msg, Err: ErrEntry}}
	}
	return nil
}

// ReadFile reads the manifest at path, refusing it before reading if it is
// not a regular file (a FIFO, a device, a link to /dev/zero) or is over
// MaxFileBytes: the error is then an *Error naming the file and the limit,
// wrapping ErrTooLarge (or ErrInvalid for a file that is not regular). An
// error opening or reading it wraps the *fs.PathError (fs.ErrNotExist for a
// missing file).
func ReadFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{File: path, Msg: fmt.Sprintf("not a regular file (%s)", fi.Mode().Type()), Err: ErrInvalid}
	}
	if fi.Size() > MaxFileBytes {
		return nil, tooLarge(path, fi.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads a manifest from r, file naming it in errors, and refuses it
// (an *Error wrapping ErrTooLarge) if it holds more than MaxFileBytes. When
// r has a Stat method (an *os.File, an fs.File) a size over the limit is
// refused before anything is read; otherwise, or if the file grows, at most
// MaxFileBytes+1 bytes are read.
func Read(file string, r io.Reader) ([]byte, error) {
	size := int64(-1)
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			if fi.Size() > MaxFileBytes {
				return nil, tooLarge(file, fi.Size())
			}
			size = fi.Size()
		}
	}
	var buf bytes.Buffer
	if size >= 0 {
		buf.Grow(int(size) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, MaxFileBytes+1)); err != nil {
		return nil, fmt.Errorf("manifest: reading %s: %w", file, err)
	}
	if buf.Len() > MaxFileBytes {
		return nil, tooLarge(file, -1)
	}
	return buf.Bytes(), nil
}

// tooLarge is the error for a manifest of size bytes (-1: unknown, more
// than the limit).
func tooLarge(file string, size int64) *Error {
	what := fmt.Sprintf("more than %d bytes", MaxFileBytes)
	if size >= 0 {
		what = fmt.Sprintf("%d bytes", size)
	}
	return &Error{File: file, Err: ErrTooLarge,
		Msg: fmt.Sprintf("manifest is %s, over the limit of %d bytes (%d KiB); not read", what, MaxFileBytes, MaxFileBytes>>10)}
}

// checkEntry returns why path is not a usable entry file, or "".
func checkEntry(dir, path string) string {
	rel, _ := filepath.Rel(dir, path)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("entry file %s does not exist", rel)
	case err != nil:
		return fmt.Sprintf("entry file: %v", err)
	case !fi.Mode().IsRegular():
		return fmt.Sprintf("entry %s is not a regular file", rel)
	}
	realDir, err1 := filepath.EvalSymlinks(dir)
	realPath, err2 := filepath.EvalSymlinks(path)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Sprintf("entry file: %v", err)
	}
	if r, err := filepath.Rel(realDir, realPath); err != nil || !filepath.IsLocal(r) {
		return fmt.Sprintf("entry file %s is a link to %s, outside the plugin directory", rel, realPath)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("entry file: %v", err)
	}
	defer f.Close()
	var head [8]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:4]) != "\x00asm" {
		return fmt.Sprintf("entry file %s is not a WebAssembly module", rel)
	}
	switch string(head[4:]) {
	case "\x01\x00\x00\x00":
		return ""
	case "\x0d\x00\x01\x00":
		return fmt.Sprintf("entry file %s is a WebAssembly component; plugins are core modules (use the module wit-bindgen built, before any componentize step)", rel)
	}
	return fmt.Sprintf("entry file %s has an unsupported WebAssembly version %x", rel, head[4:])
}

// checker accumulates problems, locating each by key path.
type checker struct {
	file  string
	lines keyLines
	errs  Errors
}

func (c *checker) add(key string, kind error, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: c.lines.lineOf(key), Key: key, Msg: fmt.Sprintf(format, args...), Err: kind})
}

func parse(file string, data []byte, knownHooks []string) (*Manifest, *checker) {
	c := &checker{file: file}
	m := &Manifest{File: file, Config: map[string]string{}, Env: map[string]string{}}
	src := string(data)
	if at := checkDepth(src); at >= 0 {
		c.errs = append(c.errs, &Error{File: file, Line: 1 + strings.Count(src[:at], "\n"), Err: ErrInvalid,
			Msg: fmt.Sprintf("nested deeper than %d levels (table headers, dotted keys, arrays and inline tables together)", MaxDepth)})
		return m, c
	}
	var doc map[string]any
	if _, err := toml.Decode(src, &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line := pe.Position.Line
			if st := pe.Position.Start; st > 0 && st <= len(data) {
				// The parser's Line is one too far when the offending token is
				// a newline ("[plugin⏎"); the byte offset is exact.
				line = 1 + bytes.Count(data[:st], []byte{'\n'})
			}
			c.errs = append(c.errs, &Error{File: file, Line: line, Msg: pe.Message, Err: ErrSyntax})
		} else {
			c.errs = append(c.errs, &Error{File: file, Msg: err.Error(), Err: ErrSyntax})
		}
		return m, c
	}
	c.lines = scanKeyLines(src)

	for _, k := range sortedKeys(doc) {
		v := doc[k]
		switch k {
		case "plugin":
			c.plugin(m, v)
		case "hooks":
			c.hooks(m, v, knownHooks)
		case "cron":
			c.cron(m, v)
		case "config":
			c.config(m, v)
		case "env":
			c.env(m, v)
		case "permissions":
			c.permissions(m, v)
		case "limits":
			c.limits(m, v)
		default:
			c.unknownKey(k, k, []string{"plugin", "hooks", "cron", "config", "env", "permissions", "limits"})
		}
	}
	if _, ok := doc["plugin"]; !ok {
		c.add("", ErrInvalid, "missing [plugin] table (id, name, version, runtime, entry)")
	}
	if _, ok := doc["permissions"]; !ok {
		c.permissions(m, map[string]any{})
	}
	return m, c
}

func (c *checker) unknownKey(path, key string, allowed []string) {
	if s := suggest(key, allowed); s != "" {
		c.add(path, ErrUnknownKey, "unknown key %q (did you mean %q?)", key, s)
		return
	}
	c.add(path, ErrUnknownKey, "unknown key %q (allowed: %s)", key, strings.Join(allowed, ", "))
}

var (
	idRE     = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)*$`)
	semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	jobRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	tableRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (c *checker) plugin(m *Manifest, v any) {
	t, ok := c.table("plugin", v)
	if !ok {
		return
	}
	allowed := []string{"id", "name", "version", "description", "runtime", "entry"}
	for _, k := range sortedKeys(t) {
		if !slices.Contains(allowed, k) {
			c.unknownKey("plugin."+k, k, allowed)
		}
	}
	if id, ok := c.requiredString(t, "plugin", "id"); ok {
		m.idLine = c.lines.lineOf("plugin.id")
		switch {
		case len(id) > 128:
			c.add("plugin.id", ErrInvalid, "id is longer than 128 characters")
		case !idRE.MatchString(id):
			c.add("plugin.id", ErrInvalid, "id %q must be lower-case letters and digits in dot-separated parts, which may contain - or _ (like com.example.my-plugin)", id)
		default:
			m.ID = id
		}
	}
	if name, ok := c.requiredString(t, "plugin", "name"); ok && c.fits("plugin.name", name, MaxShortBytes) {
		m.Name = strings.TrimSpace(name)
	}
	if ver, ok := c.requiredString(t, "plugin", "version"); ok && c.fits("plugin.version", ver, MaxShortBytes) {
		switch {
		case semverRE.MatchString(ver):
			m.Version = ver
		case strings.HasPrefix(ver, "v") && semverRE.MatchString(ver[1:]):
			c.add("plugin.version", ErrInvalid, "version %q: write it without the leading \"v\" (%s)", ver, ver[1:])
		default:
			c.add("plugin.version", ErrInvalid, "version %q is not a semantic version such as 1.2.3 or 0.1.0-beta.1", ver)
		}
	}
	if d, ok := t["description"]; ok {
		if s, ok := c.str("plugin.description", d); ok && c.fits("plugin.description", s, MaxLongBytes) {
			m.Description = strings.TrimSpace(s)
		}
	}
	if rt, ok := c.requiredString(t, "plugin", "runtime"); ok {
		if rt != "wasm" {
			c.add("plugin.runtime", ErrUnsupportedRuntime, "runtime %q is not supported here (want \"wasm\")", rt)
		} else {
			m.Runtime = rt
		}
	}
	entry := DefaultEntry
	if e, ok := t["entry"]; ok {
		s, ok := c.str("plugin.entry", e)
		if !ok || !c.fits("plugin.entry", s, MaxLongBytes) {
			return
		}
		entry = s
	}
	m.entryLine = c.lines.lineOf("plugin.entry")
	switch {
	case entry == "":
		c.add("plugin.entry", ErrEntry, "entry is empty")
	case strings.Contains(entry, `\`):
		c.add("plugin.entry", ErrEntry, "entry %q: use / to separate directories", entry)
	case !filepath.IsLocal(filepath.FromSlash(entry)):
		c.add("plugin.entry", ErrEntry, "entry %q must be a relative path inside the plugin directory", entry)
	default:
		m.Entry = filepath.ToSlash(filepath.Clean(filepath.FromSlash(entry)))
	}
}

func (c *checker) requiredString(t map[string]any, table, key string) (string, bool) {
	path := table + "." + key
	v, ok := t[key]
	if !ok {
		c.add(path, ErrInvalid, "missing %s", key)
		return "", false
	}
	s, ok := c.str(path, v)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		c.add(path, ErrInvalid, "%s is empty", key)
		return "", false
	}
	return s, true
}

// fits reports whether s is at most limit bytes, reporting it if not.
func (c *checker) fits(path, s string, limit int) bool {
	if len(s) > limit {
		c.add(path, ErrInvalid, "is %d bytes long, over the limit of %d", len(s), limit)
		return false
	}
	return true
}

func (c *checker) hooks(m *Manifest, v any, known []string) {
	t, ok := c.table("hooks", v)
	if !ok {
		return
	}
	for _, name := range sortedKeys(t) {
		path := "hooks." + name
		if !slices.Contains(known, name) {
			if s := suggest(name, known); s != "" {
				c.add(path, ErrUnknownHook, "the contract has no hook %q (did you mean %q?)", name, s)
			} else {
				c.add(path, ErrUnknownHook, "the contract has no hook %q", name)
			}
			continue
		}
		ht, ok := t[name].(map[string]any)
		if !ok {
			c.add(path, ErrInvalid, "must be a table such as [hooks.%s] with an optional priority, not %s", name, describe(t[name]))
			continue
		}
		h := Hook{Name: name, Priority: DefaultPriority}
		for _, k := range sortedKeys(ht) {
			if k != "priority" {
				c.unknownKey(path+"."+k, k, []string{"priority"})
				continue
			}
			p, ok := c.integer(path+".priority", ht[k])
			if !ok {
				continue
			}
			if p < MinPriority || p > MaxPriority {
				c.add(path+".priority", ErrInvalid, "priority %d is outside %d..%d", p, MinPriority, MaxPriority)
				continue
			}
			h.Priority = int(p)
		}
		m.Hooks = append(m.Hooks, h)
	}
	// sortedKeys already ordered them by name.
}

func (c *checker) cron(m *Manifest, v any) {
	var items []map[string]any
	switch a := v.(type) {
	case []map[string]any:
		if len(a) > MaxCronJobs {
			c.add("cron", ErrInvalid, "%d [[cron]] entries, over the limit of %d", len(a), MaxCronJobs)
			return
		}
		items = a
	case []any:
		if len(a) > MaxCronJobs {
			c.add("cron", ErrInvalid, "%d [[cron]] entries, over the limit of %d", len(a), MaxCronJobs)
			return
		}
		for i, e := range a {
			t, ok := e.(map[string]any)
			if !ok {
				c.add(fmt.Sprintf("cron[%d]", i), ErrInvalid, "cron entries must be tables ([[cron]]), not %s", describe(e))
				continue
			}
			items = append(items, t)
		}
	default:
		c.add("cron", ErrInvalid, "cron must be an array of tables ([[cron]]), not %s", describe(v))
		return
	}
	seen := map[string]string{}
	for i, t := range items {
		p := fmt.Sprintf("cron[%d]", i)
		allowed := []string{"label", "job_type", "cron_expr"}
		for _, k := range sortedKeys(t) {
			if !slices.Contains(allowed, k) {
				c.unknownKey(p+"."+k, k, allowed)
			}
		}
		j := CronJob{}
		okAll := true
		if jt, ok := c.requiredString(t, p, "job_type"); ok {
			switch {
			case !c.fits(p+".job_type", jt, MaxKeyBytes):
				okAll = false
			case !jobRE.MatchString(jt):
				c.add(p+".job_type", ErrInvalid, "job_type %q may contain only letters, digits, _, . and - (and must start with a letter or digit)", jt)
				okAll = false
			case seen[jt] != "":
				c.add(p+".job_type", ErrInvalid, "job_type %q is already used by %s", jt, seen[jt])
				okAll = false
			default:
				seen[jt] = p
				j.JobType = jt
			}
		} else {
			okAll = false
		}
		if expr, ok := c.requiredString(t, p, "cron_expr"); !ok || !c.fits(p+".cron_expr", expr, MaxShortBytes) {
			okAll = false
		} else {
			s, err := cron.Parse(expr)
			var pe *cron.ParseError
			switch {
			case errors.As(err, &pe) && pe.Field != "":
				c.add(p+".cron_expr", ErrInvalid, "cron_expr %q: %s field: %s", expr, pe.Field, pe.Msg)
				okAll = false
			case errors.As(err, &pe):
				c.add(p+".cron_expr", ErrInvalid, "cron_expr %q: %s", expr, pe.Msg)
				okAll = false
			case err != nil:
				c.add(p+".cron_expr", ErrInvalid, "cron_expr %q: %v", expr, err)
				okAll = false
			default:
				j.Expr, j.Schedule = expr, s
			}
		}
		if l, ok := t["label"]; ok {
			if s, ok := c.str(p+".label", l); ok && c.fits(p+".label", s, MaxShortBytes) {
				j.Label = strings.TrimSpace(s)
			}
		}
		if j.Label == "" {
			j.Label = j.JobType
		}
		if okAll {
			m.Cron = append(m.Cron, j)
		}
	}
}

func (c *checker) config(m *Manifest, v any) {
	c.scalars("config", v, MaxConfigEntries, m.Config, func(string, string) bool { return true })
}

// env reads [env]: the environment the guest's WASI environ_get returns
// (GOGC for a standard Go guest, say). Names are those of a POSIX shell
// variable; values may not hold NUL, which ends a WASI environ entry.
func (c *checker) env(m *Manifest, v any) {
	c.scalars("env", v, MaxEnvEntries, m.Env, func(name, val string) bool {
		if !isEnvName(name) {
			c.add("env."+name, ErrInvalid, "%q is not an environment variable name (a letter or _, then letters, digits or _)", name)
			return false
		}
		if strings.IndexByte(val, 0) >= 0 {
			c.add("env."+name, ErrInvalid, "the value holds a NUL byte")
			return false
		}
		return true
	})
}

func isEnvName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// scalars reads table path, at most maxEntries keys of at most MaxKeyBytes
// whose values are strings (at most MaxConfigValueBytes), numbers or
// booleans, rendering each as a string into to when valid(key, value).
func (c *checker) scalars(path string, v any, maxEntries int, to map[string]string, valid func(k, v string) bool) {
	t, ok := c.table(path, v)
	if !ok {
		return
	}
	if len(t) > maxEntries {
		c.add(path, ErrInvalid, "%d keys, over the limit of %d", len(t), maxEntries)
		return
	}
	for _, k := range sortedKeys(t) {
		key := path + "." + k
		if !c.fits(key, k, MaxKeyBytes) {
			continue
		}
		var val string
		switch x := t[k].(type) {
		case string:
			if !c.fits(key, x, MaxConfigValueBytes) {
				continue
			}
			val = x
		case int64:
			val = strconv.FormatInt(x, 10)
		case float64:
			val = strconv.FormatFloat(x, 'g', -1, 64)
		case bool:
			val = strconv.FormatBool(x)
		default:
			c.add(key, ErrInvalid, "%s values must be strings, numbers or booleans, not %s", path, describe(x))
			continue
		}
		if valid(k, val) {
			to[k] = val
		}
	}
}

func (c *checker) limits(m *Manifest, v any) {
	t, ok := c.table("limits", v)
	if !ok {
		return
	}
	for _, k := range sortedKeys(t) {
		path := "limits." + k
		switch k {
		case "fuel":
			if n, ok := c.intIn(path, k, t[k], 1, maxFuel, " (leave it out for no budget)"); ok {
				m.Limits.Fuel = n
			}
		default:
			c.unknownKey(path, k, []string{"fuel"})
		}
	}
}

func (c *checker) permissions(m *Manifest, v any) {
	p := Permissions{DB: DBNone, VFSMaxBytes: DefaultVFSMaxBytes}
	defer func() { m.Permissions = p }()
	t, ok := c.table("permissions", v)
	if !ok {
		return
	}
	allowed := []string{"http_allow", "http_allow_private", "db", "db_tables", "db_schema", "vfs_max_bytes"}
	for _, k := range sortedKeys(t) {
		path := "permissions." + k
		switch k {
		case "http_allow":
			list, ok := c.strList(path, t[k])
			if !ok {
				continue
			}
			for i, pat := range list {
				norm, msg := checkHostPattern(pat)
				if msg != "" {
					c.add(fmt.Sprintf("%s[%d]", path, i), ErrInvalid, "http_allow %q: %s", pat, msg)
					continue
				}
				if !slices.Contains(p.HTTPAllow, norm) {
					p.HTTPAllow = append(p.HTTPAllow, norm)
				}
			}
		case "http_allow_private":
			b, ok := t[k].(bool)
			if !ok {
				c.add(path, ErrInvalid, "must be true or false, not %s", describe(t[k]))
				continue
			}
			p.HTTPAllowPrivate = b
		case "db":
			s, ok := c.str(path, t[k])
			if !ok {
				continue
			}
			switch DBAccess(s) {
			case DBNone, DBRead, DBWrite:
				p.DB = DBAccess(s)
			default:
				c.add(path, ErrInvalid, "db %q must be \"none\", \"read\" or \"write\"", s)
			}
		case "db_tables":
			p.DBTables = c.tableList(path, k, t[k], p.DBTables)
		case "db_schema":
			p.DBSchema = c.tableList(path, k, t[k], p.DBSchema)
		case "vfs_max_bytes":
			if n, ok := c.intIn(path, k, t[k], 0, maxVFSBytes, ""); ok {
				p.VFSMaxBytes = n
			}
		default:
			c.unknownKey(path, k, allowed)
		}
	}
	if len(p.DBTables) > 0 && p.DB == DBNone {
		c.add("permissions.db_tables", ErrInvalid, "db_tables needs db = \"read\" or \"write\"")
	}
	if len(p.DBSchema) > 0 && p.DB != DBWrite {
		c.add("permissions.db_schema", ErrInvalid, "db_schema needs db = \"write\" (creating tables writes)")
	}
}

// tableList reads the list of table names key (db_tables, db_schema) and
// appends the valid ones not yet in to to it.
func (c *checker) tableList(path, key string, v any, to []string) []string {
	list, ok := c.strList(path, v)
	if !ok {
		return to
	}
	for i, name := range list {
		at := fmt.Sprintf("%s[%d]", path, i)
		if !c.fits(at, name, MaxKeyBytes) {
			continue
		}
		if !tableRE.MatchString(name) {
			c.add(at, ErrInvalid, "%s %q is not a table name", key, name)
			continue
		}
		if !slices.Contains(to, name) {
			to = append(to, name)
		}
	}
	return to
}

// checkHostPattern validates one http_allow entry and returns it
// lower-cased, or a message saying what is wrong.
func checkHostPattern(pat string) (string, string) {
	p := strings.ToLower(strings.TrimSpace(pat))
	if strings.Contains(p, "://") || strings.ContainsAny(p, "/?#@") {
		return "", "want a host name such as api.example.com, not a URL"
	}
	host, port := splitHostPort(p)
	if port != "" || strings.HasSuffix(p, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Sprintf("bad port %q", port)
		}
	}
	if host == "*" {
		return p, ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		if strings.Contains(host, ":") && !strings.HasPrefix(p, "[") {
			return "", "write IPv6 addresses in brackets: [" + host + "]"
		}
		return p, ""
	}
	name := strings.TrimPrefix(host, "*.")
	if strings.Contains(name, "*") {
		return "", "a wildcard may only be a leading \"*.\" (as in *.example.org) or \"*\" alone"
	}
	if len(name) == 0 || len(name) > 253 {
		return "", "bad host name"
	}
	for label := range strings.SplitSeq(name, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", "bad host name"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Sprintf("bad character %q in host name", c)
			}
		}
	}
	return p, ""
}

// Type helpers: each reports its own error and returns ok=false on mismatch.

func (c *checker) table(path string, v any) (map[string]any, bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.add(path, ErrInvalid, "must be a table ([%s]), not %s", path, describe(v))
	}
	return t, ok
}

func (c *checker) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add(path, ErrInvalid, "must be a string, not %s", describe(v))
	}
	return s, ok
}

// intIn reads integer key (at path) and checks it is within lo..hi; hint
// ends the out-of-range message.
func (c *checker) intIn(path, key string, v any, lo, hi int64, hint string) (int64, bool) {
	n, ok := c.integer(path, v)
	if !ok {
		return 0, false
	}
	if n < lo || n > hi {
		c.add(path, ErrInvalid, "%s %d is outside %d..%d%s", key, n, lo, hi, hint)
		return 0, false
	}
	return n, true
}

func (c *checker) integer(path string, v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && !math.IsInf(n, 0) {
			c.add(path, ErrInvalid, "must be an integer: write %d, not %v", int64(n), n)
			return 0, false
		}
	}
	c.add(path, ErrInvalid, "must be an integer, not %s", describe(v))
	return 0, false
}

func (c *checker) strList(path string, v any) ([]string, bool) {
	a, ok := v.([]any)
	if !ok {
		c.add(path, ErrInvalid, "must be an array of strings, not %s", describe(v))
		return nil, false
	}
	if len(a) > MaxListEntries {
		c.add(path, ErrInvalid, "%d entries, over the limit of %d", len(a), MaxListEntries)
		return nil, false
	}
	out := make([]string, 0, len(a))
	good := true
	for i, e := range a {
		s, ok := e.(string)
		if !ok {
			c.add(fmt.Sprintf("%s[%d]", path, i), ErrInvalid, "must be a string, not %s", describe(e))
			good = false
			continue
		}
		out = append(out, s)
	}
	return out, good
}

// describe names a decoded TOML value's type for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case int64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the float %v", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case nil:
		return "nothing"
	}
	return "a date-time"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// suggest returns the candidate closest to s if it is close enough to be a
// likely typo, else "".
func suggest(s string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, s) {
			return c // keys are case-sensitive
		}
	}
	if len(s) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, s) || strings.HasPrefix(s, c) && len(c) >= 3 {
				return c // "cron" for "cron_expr", "priority_x" for "priority"
			}
		}
	}
	best, bestD := "", 4
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(1, len(s)/3) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
