package sqldb

import (
	"context"
	"log/slog"
)

// The *JSON methods are the host-api shapes: they take the plugin's strings
// and return the JSON text db-query … db-rollback return. Failures come back
// as {"error":"...","code":"..."}; nothing is returned as a Go error.

const okJSON = `{"ok":true}`

// QueryJSON implements db-query. params is the option<string> argument (nil
// = none): a JSON array of scalars. Result:
// {"columns":["id","title"],"rows":[[1,"Hello"]]} (plus "truncated":true
// when rows were cut at Config.MaxRows).
func (s *Session) QueryJSON(ctx context.Context, query string, params *string) string {
	return QueryJSON(ctx, s, s.d.cfg, s.log, query, params)
}

// QueryJSON is db-query over any backend's Conn, with cfg's limits; log
// receives refusals of params at debug level.
func QueryJSON(ctx context.Context, c Conn, cfg Config, log *slog.Logger, query string, params *string) string {
	args, err := parseParams(params, cfg)
	if err != nil {
		log.DebugContext(ctx, "sqldb: refused", "code", CodeBadParams, "err", err)
		return errorJSON(err)
	}
	res, err := c.Query(ctx, query, args)
	if err != nil {
		return errorJSON(err)
	}
	for _, row := range res.Rows {
		for i, v := range row {
			row[i] = jsonValue(v)
		}
	}
	return marshal(res, cfg)
}

// ExecuteJSON implements db-execute. Result:
// {"rows_affected":1,"last_insert_id":42}.
func (s *Session) ExecuteJSON(ctx context.Context, query string, params *string) string {
	return ExecuteJSON(ctx, s, s.d.cfg, s.log, query, params)
}

// ExecuteJSON is db-execute over any backend's Conn.
func ExecuteJSON(ctx context.Context, c Conn, cfg Config, log *slog.Logger, query string, params *string) string {
	args, err := parseParams(params, cfg)
	if err != nil {
		log.DebugContext(ctx, "sqldb: refused", "code", CodeBadParams, "err", err)
		return errorJSON(err)
	}
	res, err := c.Execute(ctx, query, args)
	if err != nil {
		return errorJSON(err)
	}
	return marshal(res, cfg)
}

// BeginJSON implements db-begin: {"ok":true} or an error.
func (s *Session) BeginJSON(ctx context.Context) string { return okOrError(s.Begin(ctx)) }

// CommitJSON implements db-commit: {"ok":true} or an error.
func (s *Session) CommitJSON(ctx context.Context) string { return okOrError(s.Commit(ctx)) }

// RollbackJSON implements db-rollback: {"ok":true} or an error.
func (s *Session) RollbackJSON(ctx context.Context) string { return okOrError(s.Rollback(ctx)) }

func okOrError(err error) string {
	if err != nil {
		return errorJSON(err)
	}
	return okJSON
}

// TxJSON is db-begin, db-commit or db-rollback over any backend's Conn:
// {"ok":true} or an error.
func TxJSON(err error) string { return okOrError(err) }

func parseParams(p *string, cfg Config) ([]any, error) {
	if p == nil {
		return nil, nil
	}
	return ParseParams(*p, cfg.MaxParams)
}
