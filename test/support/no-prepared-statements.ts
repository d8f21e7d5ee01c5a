/**
 * PgBouncer < 1.21 in transaction mode cannot keep named prepared statements: the next
 * transaction may land on another server connection ("prepared statement … does not exist /
 * already exists"). @dataplan/pg reads DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE once, when it
 * is loaded, so this must be imported before anything that loads postgraphile. Jest gives each
 * test file its own module registry, so only the importing file is affected;
 * `restorePreparedStatementsEnv()` puts the variable back for later files in the worker.
 */
const previous = process.env.DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE;
process.env.DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE = "0";

export function restorePreparedStatementsEnv() {
  if (previous === undefined) delete process.env.DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE;
  else process.env.DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE = previous;
}
