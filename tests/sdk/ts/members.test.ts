// Member round trip through the generated client. The harness includes this file only
// when the spec has the members operations, and runs it against a server whose member
// provider stores members (ROUNDTRIP_ADMIN_USERNAME is that provider's administrator).
import { strict as assert } from "node:assert";
import { test } from "node:test";

import { adminPassword, as, logIn } from "./client.js";

const adminUsername = process.env.ROUNDTRIP_ADMIN_USERNAME ?? "admin";

test("create a member, read it, log in as it, delete it", async () => {
  const admin = as((await logIn(adminUsername, adminPassword)).token);
  const username = "ts-member";

  const created = await admin.POST("/api/members", { body: { username, password: "ts-member-secret" } });
  assert.equal(created.response.status, 200, JSON.stringify(created.error));
  assert.equal(created.data?.id, username);
  const isAdmin: boolean | undefined = created.data?.profile.is_admin;
  assert.equal(isAdmin, false);

  const member = { params: { path: { memberId: username } } };
  const profile = await admin.GET("/api/members/{memberId}", member);
  assert.equal(profile.response.status, 200);
  assert.equal(profile.data?.can_login, true);

  const session = await logIn(username, "ts-member-secret");
  assert.ok(session.token, "the new member can log in");

  const removed = await admin.DELETE("/api/members/{memberId}", member);
  assert.equal(removed.response.status, 204);
  assert.equal(removed.data, undefined);
  const gone = await admin.GET("/api/members/{memberId}", member);
  assert.equal(gone.response.status, 404);
  assert.equal(gone.error?.code, 404);
});
