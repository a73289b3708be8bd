package sqldb

import "context"

// The *JSON methods are the host-api shapes: they take the plugin's strings
// and return the JSON text db-query … db-rollback return. Failures come back
// as {"error":"...","code":"..."}; nothing is returned as a Go error.

const okJSON = `{"ok":true}`

// QueryJSON implements db-query. params is the option<string> argument (nil
// = none): a JSON array of scalars. Result:
// {"columns":["id","title"],"rows":[[1,"Hello"]]} (plus "truncated":true
// when rows were cut at Config.MaxRows).
func (s *Session) QueryJSON(ctx context.Context, query string, params *string) string {
	args, err := s.params(params)
	if err != nil {
		s.log.DebugContext(ctx, "sqldb: refused", "code", CodeBadParams, "err", err)
		return errorJSON(err)
	}
	res, err := s.Query(ctx, query, args)
	if err != nil {
		return errorJSON(err)
	}
	return s.marshal(res)
}

// ExecuteJSON implements db-execute. Result:
// {"rows_affected":1,"last_insert_id":42}.
func (s *Session) ExecuteJSON(ctx context.Context, query string, params *string) string {
	args, err := s.params(params)
	if err != nil {
		s.log.DebugContext(ctx, "sqldb: refused", "code", CodeBadParams, "err", err)
		return errorJSON(err)
	}
	res, err := s.Execute(ctx, query, args)
	if err != nil {
		return errorJSON(err)
	}
	return s.marshal(res)
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

func (s *Session) params(p *string) ([]any, error) {
	if p == nil {
		return nil, nil
	}
	return ParseParams(*p, s.d.cfg.MaxParams)
}
