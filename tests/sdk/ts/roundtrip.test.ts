// A client generated from spec/openapi.yaml (openapi-typescript types, openapi-fetch
// runtime) drives a real server: log in, list sessions, disconnect one, log out.
// The test harness copies this file next to the generated `schema.d.ts` and type-checks
// it with `tsc --noEmit` before running it, so a spec change that breaks these
// calls fails the type-check even before it fails at run time.
import { strict as assert } from "node:assert";
import { test } from "node:test";

import { adminPassword, as, logIn, userPassword } from "./client.js";
import type { components } from "./schema.js";

type SessionData = components["schemas"]["SessionData"];

test("log in, list, disconnect, log out", async () => {
  const admin = await logIn("ts-admin", adminPassword);
  const user = await logIn("ts-user", userPassword);

  const listed = await as(user.token).GET("/api/sessions");
  assert.equal(listed.response.status, 200);
  const sessions: SessionData[] = listed.data ?? [];
  assert.deepEqual(sessions.map((s) => s.id).sort(), [admin.id, user.id].sort());
  const connected: boolean[] = sessions.map((s) => s.state.is_connected);
  assert.deepEqual(connected, [false, false]);

  const disconnect = await as(admin.token).POST("/api/sessions/{sessionId}/disconnect", {
    params: { path: { sessionId: user.id } },
  });
  assert.equal(disconnect.response.status, 204);
  assert.equal(disconnect.data, undefined);

  const refused = await as(user.token).POST("/api/sessions/{sessionId}/disconnect", {
    params: { path: { sessionId: admin.id } },
  });
  assert.equal(refused.response.status, 403);
  assert.equal(refused.error?.code, 403);

  const missing = await as(admin.token).GET("/api/sessions/{sessionId}", {
    params: { path: { sessionId: "no-such-session" } },
  });
  assert.equal(missing.response.status, 404);
  assert.equal(missing.error?.message, "session not found");

  const me = await as(user.token).GET("/api/whoami");
  assert.equal(me.data?.id, user.id, "a disconnected session keeps its token");

  const out = await as(user.token).POST("/api/logout");
  assert.equal(out.response.status, 200);
  assert.equal(out.data, true);
  const gone = await as(user.token).GET("/api/whoami");
  assert.equal(gone.response.status, 401);
});
