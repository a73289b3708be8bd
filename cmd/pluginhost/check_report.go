package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// Statuses of one check.
const (
	statusOK   = "ok"
	statusFail = "fail"
	statusWarn = "warn"
)

// checkResult is one line of check's report.
type checkResult struct {
	Status  string   `json:"status"` // ok, fail or warn
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"` // the compiler's output, link problems, …
}

// checkReport is `pluginhost check -json`'s answer.
type checkReport struct {
	Dir    string        `json:"dir"`
	OK     bool          `json:"ok"`
	Checks []checkResult `json:"checks"`
	Notes  []string      `json:"notes,omitempty"` // what the module imports, …
}

// report collects check's results and, when w is set, prints each as it
// comes as an aligned OK/FAIL/WARN line (details and notes indented).
type report struct {
	w     io.Writer
	fails int
	out   checkReport
}

func (r *report) add(status, prefix, format string, args []any) {
	msg := fmt.Sprintf(format, args...)
	r.out.Checks = append(r.out.Checks, checkResult{Status: status, Message: msg})
	if r.w != nil {
		fmt.Fprintf(r.w, "%-6s%s\n", prefix, msg)
	}
}

func (r *report) ok(format string, args ...any) { r.add(statusOK, "OK", format, args) }

func (r *report) fail(format string, args ...any) {
	r.fails++
	r.add(statusFail, "FAIL", format, args)
}

func (r *report) warn(format string, args ...any) { r.add(statusWarn, "WARN", format, args) }

// detail adds a line to the last check (a note when there is none).
func (r *report) detail(format string, args ...any) {
	if len(r.out.Checks) == 0 {
		r.note(format, args...)
		return
	}
	c := &r.out.Checks[len(r.out.Checks)-1]
	c.Details = append(c.Details, fmt.Sprintf(format, args...))
	r.print(format, args)
}

// note adds information that is not a check.
func (r *report) note(format string, args ...any) {
	r.out.Notes = append(r.out.Notes, fmt.Sprintf(format, args...))
	r.print(format, args)
}

func (r *report) print(format string, args []any) {
	if r.w != nil {
		fmt.Fprintf(r.w, "      "+format+"\n", args...)
	}
}

// writeJSON prints the report of dir as one indented JSON object.
func (r *report) writeJSON(w io.Writer, dir string) error {
	r.out.Dir, r.out.OK = dir, r.fails == 0
	if r.out.Checks == nil {
		r.out.Checks = []checkResult{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.out)
}
