package sqldb

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Code classifies a refusal or failure; it is the "code" of the JSON error
// a plugin receives.
type Code string

// Error codes.
const (
	CodePermissionDenied Code = "permission_denied"   // the plugin's permissions forbid the statement
	CodeBadParams        Code = "bad_params"          // params is not a JSON array of scalars
	CodeBadSQL           Code = "bad_sql"             // empty, several statements, or too long
	CodeSQLError         Code = "sql_error"           // the database refused or failed the statement
	CodeConstraint       Code = "constraint"          // a unique, not-null, check or foreign-key constraint refused the change
	CodeTimeout          Code = "timeout"             // the statement ran past its time limit
	CodeResultTooLarge   Code = "result_too_large"    // the JSON result exceeds Config.MaxResultBytes
	CodeTooLarge         Code = "too_large"           // the statement exceeds a value, cost, program-size or memory limit
	CodeNoTransaction    Code = "no_transaction"      // commit/rollback without an open transaction
	CodeTransactionOpen  Code = "transaction_open"    // begin while a transaction is open
	CodeTxAborted        Code = "transaction_aborted" // the open transaction was rolled back by a failure; roll back to go on
	CodeSessionClosed    Code = "session_closed"      // the hook call this session belonged to has ended
	CodeUnsupported      Code = "unsupported"         // the database driver cannot enforce permissions
)

// Error is a refusal or failure of a Session method. Compare codes with
// errors.As, or with errors.Is against the Err* sentinels below.
type Error struct {
	Code    Code
	Message string
	Err     error // underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return fmt.Sprintf("sqldb: %s: %v", e.Code, e.Err)
	}
	return fmt.Sprintf("sqldb: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches an *Error with the same Code, so errors.Is(err, ErrNoTransaction) works.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Message == "" && t.Err == nil && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrPermissionDenied = &Error{Code: CodePermissionDenied}
	ErrBadParams        = &Error{Code: CodeBadParams}
	ErrBadSQL           = &Error{Code: CodeBadSQL}
	ErrSQL              = &Error{Code: CodeSQLError}
	ErrConstraint       = &Error{Code: CodeConstraint}
	ErrTimeout          = &Error{Code: CodeTimeout}
	ErrResultTooLarge   = &Error{Code: CodeResultTooLarge}
	ErrTooLarge         = &Error{Code: CodeTooLarge}
	ErrNoTransaction    = &Error{Code: CodeNoTransaction}
	ErrTransactionOpen  = &Error{Code: CodeTransactionOpen}
	ErrTxAborted        = &Error{Code: CodeTxAborted}
	ErrSessionClosed    = &Error{Code: CodeSessionClosed}
	ErrUnsupported      = &Error{Code: CodeUnsupported}
)

func newErr(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// errorJSON renders err as {"error":"...","code":"..."}.
func errorJSON(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeSQLError, Err: err}
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
		Code  Code   `json:"code"`
	}{msg, e.Code})
	return string(b)
}
