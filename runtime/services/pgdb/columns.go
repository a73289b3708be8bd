package pgdb

import (
	"context"
	"strings"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// Columns implements sqldb.Backend for the typed data API: the columns of
// table in the host schema, in declared order, from information_schema (on
// the host's own connection). A table of Options.Internal is reported as
// absent, like a table of another schema.
func (d *DB) Columns(ctx context.Context, table string) ([]sqldb.Column, error) {
	for _, t := range d.internal {
		if strings.EqualFold(t, table) {
			return nil, nil
		}
	}
	return d.columns.Columns(ctx, table, d.loadColumns)
}

func (d *DB) loadColumns(ctx context.Context, table string) ([]sqldb.Column, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, d.schema, strings.ToLower(table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []sqldb.Column
	for rows.Next() {
		var c sqldb.Column
		var typ string
		if err := rows.Scan(&c.Name, &typ, &c.NotNull); err != nil {
			return nil, err
		}
		c.Type = columnType(typ)
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// columnType maps a PostgreSQL data_type to the typed API's column types.
func columnType(dataType string) sqldb.ColumnType {
	switch dataType {
	case "smallint", "integer", "bigint":
		return sqldb.IntegerType
	case "real", "double precision", "numeric":
		return sqldb.RealType
	case "text", "character varying", "character", "uuid":
		return sqldb.TextType
	case "bytea":
		return sqldb.BlobType
	}
	return sqldb.AnyType
}
