/** Small helpers for Postgres connection strings. */

export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!name) throw new Error(`Connection string has no database name: ${redact(url)}`);
  return name;
}

export function userOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

/** The same server, another database and/or login. */
export function withDatabase(url: string, database: string, login?: { user: string; password?: string }): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  if (login) {
    u.username = encodeURIComponent(login.user);
    u.password = login.password ? encodeURIComponent(login.password) : "";
  }
  return u.toString();
}

/** For logs: never print a password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid connection string>";
  }
}
