// Helpers shared by the round-trip tests: only the generated types and openapi-fetch.
import { strict as assert } from "node:assert";

import createClient from "openapi-fetch";

import type { paths } from "./schema.js";

export const baseUrl = process.env.ROUNDTRIP_BASE_URL ?? "";
export const adminPassword = process.env.ROUNDTRIP_ADMIN_PASSWORD ?? "";
export const userPassword = process.env.ROUNDTRIP_USER_PASSWORD ?? "";

export async function logIn(username: string, password: string): Promise<{ id: string; token: string }> {
  const anonymous = createClient<paths>({ baseUrl });
  const { data, error, response } = await anonymous.POST("/api/login", { body: { username, password } });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(data);
  assert.ok(data.token, "cookies are off, so the token is in the body");
  return { id: data.id, token: data.token };
}

export function as(token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}
