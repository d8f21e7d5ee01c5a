/**
 * Rules name their parameters (`:exposed`, `:anonymous`) so their SQL reads on its own; this
 * turns them into positional `$n` parameters with an explicit type, binding only the ones a
 * query uses (Postgres cannot type a parameter it never sees).
 */
export type ParamValue = string | readonly string[];

const NAMED = /(?<![:\w]):([a-z_]+)\b/g;

export function bindNamed(sql: string, values: Record<string, ParamValue>): { text: string; values: unknown[] } {
  const order: string[] = [];
  const text = sql.replace(NAMED, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`lint query uses unknown parameter :${name}`);
    let index = order.indexOf(name);
    if (index < 0) index = order.push(name) - 1;
    return `$${index + 1}::${typeof value === "string" ? "text" : "text[]"}`;
  });
  return { text, values: order.map((name) => values[name]) };
}
