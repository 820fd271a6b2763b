import { type Column, getTableName, type SQL, sql, type Table } from 'drizzle-orm';

/**
 * `"table"."column"`, always qualified. Drizzle prints bare column names in the select list of a
 * single-table query, so inside a correlated subquery `${table.column}` would become `"column"`
 * and silently bind to the subquery's own table. Use this for every outer reference there.
 */
export function qualified(table: Table, column: Column): SQL {
  return sql`${sql.identifier(getTableName(table))}.${sql.identifier(column.name)}`;
}
