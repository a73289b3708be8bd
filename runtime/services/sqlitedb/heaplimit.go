package sqlitedb

import (
	"errors"
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultHeapLimit is the heap limit this package recommends for a host that
// runs plugin SQL: well above what the host's own statements and page caches
// need, well below what would get the process killed. SetHeapLimit applies
// it only when the host asks.
const DefaultHeapLimit = 512 << 20

// ErrHeapLimitTooLate reports a SetHeapLimit call made after SQLite was
// initialized (by the process's first database open) without memory
// accounting: the limit would not be enforced.
var ErrHeapLimitTooLate = errors.New("sqlitedb: the SQLite heap limit must be set before the process opens its first database")

// SetHeapLimit sets SQLite's hard heap limit (sqlite3_hard_heap_limit64) to
// n bytes; n <= 0 removes it. It returns the previous limit (0 = none).
//
// The limit is process-wide: it covers every SQLite connection of the process,
// the host's own included, because modernc.org/sqlite has one SQLite heap per
// process. When SQLite's memory would pass n, it first frees page-cache
// memory it can spare and then fails the allocation with SQLITE_NOMEM: the
// statement that needed it fails ("too_large" for plugin SQL, see package
// sqldb) and the process survives. Statements of other connections that
// allocate at that moment fail too, which is why the limit should be far
// above the host's own needs (DefaultHeapLimit).
//
// modernc.org/sqlite is built without memory accounting
// (SQLITE_DEFAULT_MEMSTATUS=0), and without it SQLite ignores the heap
// limit. Accounting can only be turned on before SQLite initializes, so
// SetHeapLimit must run before the process opens its first SQLite database
// (first thing in main, say); later it fails with ErrHeapLimitTooLate, unless
// an earlier SetHeapLimit already turned accounting on. It is not safe to call
// concurrently with itself or with opening databases.
func SetHeapLimit(n int64) (prev int64, err error) {
	tls := libc.NewTLS()
	defer tls.Close()

	va := libc.NewVaList(int32(1))
	if va == 0 {
		return 0, fmt.Errorf("sqlitedb: set heap limit: cannot allocate memory")
	}
	rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MEMSTATUS, va)
	libc.Xfree(tls, va)
	if rc != sqlite3.SQLITE_OK && rc != sqlite3.SQLITE_MISUSE {
		return 0, fmt.Errorf("sqlitedb: set heap limit: sqlite3_config: %s", libc.GoString(sqlite3.Xsqlite3_errstr(tls, rc)))
	}
	if rc := sqlite3.Xsqlite3_initialize(tls); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("sqlitedb: set heap limit: sqlite3_initialize: %s", libc.GoString(sqlite3.Xsqlite3_errstr(tls, rc)))
	}
	// SQLITE_MISUSE means SQLite was initialized already; whether with
	// accounting on shows in whether an allocation is counted.
	if !memoryAccounting(tls) {
		return 0, ErrHeapLimitTooLate
	}
	if n < 0 {
		n = 0
	}
	return sqlite3.Xsqlite3_hard_heap_limit64(tls, n), nil
}

// HeapInUse reports the bytes SQLite has allocated in this process, or -1
// when memory accounting is off (SetHeapLimit was not called in time).
func HeapInUse() int64 {
	tls := libc.NewTLS()
	defer tls.Close()
	if !memoryAccounting(tls) {
		return -1
	}
	return sqlite3.Xsqlite3_memory_used(tls)
}

func memoryAccounting(tls *libc.TLS) bool {
	// Without accounting SQLite's counters stay at zero; with it, at least
	// this block is counted.
	p := sqlite3.Xsqlite3_malloc64(tls, 64)
	if p == 0 {
		// Out of memory under the limit itself: accounting is on.
		return true
	}
	defer sqlite3.Xsqlite3_free(tls, p)
	return sqlite3.Xsqlite3_memory_used(tls) > 0
}
