import { type Column, getTableName, type SQL, sql, type Table } from 'drizzle-orm';

/**
 * `"table"."column"`, always qualified. Drizzle prints bare column names in the select list of a
 * single-table query, so inside a correlated subquery `${table.column}` would become `"column"`
 * and silently bind to the subquery's own table. Use this for every outer reference there.
 */
export function qualified(table: Table, column: Column): SQL {
  return sql`${sql.identifier(getTableName(table))}.${sql.identifier(column.name)}`;
}

/**
 * The number of rows of `table` matching `where`, as a column of the page query itself: an
 * uncorrelated subquery runs once, so a page and its count cost one round trip. A page past the
 * end has no rows and so no count; callers read that as 0, which pagination turns into a 404.
 */
export function totalCount(table: Table, where: SQL): SQL<number> {
  return sql<number>`(select count(*)::int from ${table} where ${where})`.mapWith(Number);
}
