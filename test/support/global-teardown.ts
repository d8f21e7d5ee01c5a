import type { ThrowawayDatabase } from "../../src/db/throwaway";

export default async function globalTeardown() {
  await (globalThis as { __ironcladTestDatabase?: ThrowawayDatabase }).__ironcladTestDatabase?.drop();
}
