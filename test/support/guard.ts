import type { RunningApi } from "../../src/server";

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the raw answer has any shape; tests assert on it field by field
  json: any;
}

/** POST anything to /graphql and keep the raw answer (status, content type, body). */
export async function rawPost(
  api: RunningApi,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
  path = "/graphql",
  method = "POST",
): Promise<RawResponse> {
  const res = await fetch(`${api.url}${path}`, { method, headers, body: method === "GET" ? undefined : body });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see RawResponse.json
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text, json };
}
