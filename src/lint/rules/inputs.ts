/** What a visitor may write into a column: numbers that are numbers, authorship it cannot choose. */
import type { Rule } from "../types";
import { EXPOSED_TABLES } from "./fragments";

/** Columns of exposed tables some visitor role may INSERT or UPDATE. */
const VISITOR_WRITABLE_COLUMNS = `
  select t.oid, t.name, pc.relname, a.attnum, a.attname, a.atttypid
  from (${EXPOSED_TABLES}) t
  join pg_class pc on pc.oid = t.oid
  join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
  where exists (
    select 1 from pg_roles r
    where r.rolname = any(:visitor_roles)
      and (has_column_privilege(r.oid, t.oid, a.attnum, 'INSERT')
           or has_column_privilege(r.oid, t.oid, a.attnum, 'UPDATE')))`;

export const numericFinite: Rule = {
  id: "numeric-finite",
  level: "error",
  title: "A numeric or float column a visitor writes refuses NaN and ±Infinity with a CHECK named <table>_<column>_finite",
  why: "NaN sorts above every number (it tops a leaderboard) and turns sum/avg into NaN; a named CHECK gives the client 23514 with the constraint name instead of a silent bad row",
  fix: "constraint <table>_<column>_finite check (<column> not in ('NaN', 'Infinity', '-Infinity')), on a numeric without typmod (a typmod answers ±Infinity with 22003 before any CHECK runs)",
  sql: `
    with cols as (${VISITOR_WRITABLE_COLUMNS})
    select c.name as object,
           format('column %I (%s) has no %I check', c.attname, format_type(c.atttypid, null),
                  c.relname || '_' || c.attname || '_finite') as detail
    from cols c
    where c.atttypid in ('numeric'::regtype, 'real'::regtype, 'double precision'::regtype)
      and not exists (
        select 1 from pg_constraint k
        where k.conrelid = c.oid and k.contype = 'c'
          and k.conname = c.relname || '_' || c.attname || '_finite'
          and c.attnum = any(k.conkey)
          and pg_get_constraintdef(k.oid) ~ 'NaN' and pg_get_constraintdef(k.oid) ~ 'Infinity')
    order by 1, 2`,
};

export const authorshipStamped: Rule = {
  id: "authorship-stamped",
  level: "error",
  title: "Who-wrote-this columns (author_id, sender_id, …_by) are never written by a visitor",
  why: "A client that may set the author, sender or recorder can put words in someone else's mouth inside its gym; the value must come from the token",
  fix: "default app_hidden.current_membership_id() and leave the column out of every insert/update grant (PostGraphile then offers no input field for it)",
  sql: `
    with cols as (${VISITOR_WRITABLE_COLUMNS})
    select c.name as object, format('visitors may write column %I', c.attname) as detail
    from cols c
    where c.attname in ('author_id', 'sender_id') or c.attname ~ '_by$'
    order by 1, 2`,
};

export const inputRules: Rule[] = [numericFinite, authorshipStamped];
