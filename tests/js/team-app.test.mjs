// The team app layer (web/static/js/app/team.js) against a small in-memory stand-in of the
// server's team routes: version 1, re-keying without the person who left, refusals.
import { loadVectors } from "./helpers.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionFailed,
  decodeTeamKeyRecord,
  DocType,
  fromBase64url as b,
  generateUserKeys,
  GrantKind,
  openGrant,
  openInstruction,
  toBase64url,
} from "../../web/static/js/crypto/index.js";

globalThis.document = { querySelector: () => null, documentElement: { lang: "en" } };
const memory = () => {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
};
globalThis.sessionStorage = memory();
globalThis.localStorage = memory();
const { forgetTeamKeys, readDocuments, teamKeyFor, writeDocument } = await import(
  "../../web/static/js/app/team.js"
);
const { ApiError } = await import("../../web/static/js/app/api.js");
loadVectors(); // the helpers' side effects (Web Crypto on old Node)

const PID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

function person(id, role, name) {
  const keys = generateUserKeys();
  const account = { id, name, role, x25519_pk: toBase64url(keys.x25519PublicKey), ed25519_pk: toBase64url(keys.ed25519PublicKey) };
  const me = { accountId: id, keys, practice: role === "member" ? { id: PID } : null };
  return { account, me };
}

/** The server's routes, in memory, with the checks that matter here. */
function server(team) {
  const versions = []; // { version, record, signature, creator, grants }
  const docs = new Map(); // id -> [revision objects]
  const state = (me) => ({
    practice_id: PID,
    current_version: versions.length ? versions.at(-1).version : null,
    rekey_due: versions.length > 0 && decodeTeamKeyRecord(b(versions.at(-1).record)).recipients.some((r) => !team.some((a) => a.id === r)),
    versions: versions.map((v) => ({ version: v.version, record: v.record, signature: v.signature, creator: v.creator, stored_at: "t", grant: v.grants[me] ?? null })),
    recipients: team,
    missing: versions.length ? team.filter((a) => !versions.at(-1).grants[a.id]).map((a) => a.id) : [],
  });
  const latest = () => [...docs.values()].map((revs) => revs.at(-1));
  return {
    versions,
    docs,
    for(who) {
      return {
        get: async (url) => {
          if (url.endsWith("/team")) return state(who);
          const m = url.match(/\/documents\/([^?]+)$/);
          if (m) {
            if (!docs.has(m[1])) throw new ApiError("There is nothing at this address.", 404);
            return { document: docs.get(m[1]).at(-1) };
          }
          const type = new URL(url, "http://x").searchParams.get("type");
          return { documents: latest().filter((d) => type === null || d.type === Number(type)) };
        },
        post: async (url, body) => {
          const creator = team.find((a) => a.id === who);
          if (url.endsWith("/team/versions")) {
            versions.push({ ...body, creator, grants: body.grants });
            for (const d of body.documents) docs.get(d.document_id).push(revisionOf(d.document_id, d.envelope, creator));
          } else {
            const v = versions.at(-1);
            Object.assign(v, { record: body.record, signature: body.signature, creator, grants: { ...v.grants, ...body.grants } });
          }
          return { version: body.version };
        },
        put: async (url, body) => {
          const id = url.split("/").at(-1);
          const revs = docs.get(id) ?? [];
          revs.push(revisionOf(id, body.envelope, team.find((a) => a.id === who)));
          docs.set(id, revs);
          return { document_id: id, revision: revs.length, stored_at: "t" };
        },
      };
    },
  };
  function revisionOf(id, envelope, author) {
    const bytes = b(envelope);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    return { document_id: id, type: bytes[1], version: view.getUint32(66), revision: view.getUint32(70), envelope, author, stored_at: "t" };
  }
}

test("a creator whose keys changed since this browser pinned them is refused", async () => {
  globalThis.localStorage = memory();
  const member = person("00000000-0000-4000-8000-0000000000aa", "member", "Dr Martin");
  const secretary = person("00000000-0000-4000-8000-0000000000bb", "secretary", "Sophie");
  const srv = server([member.account, secretary.account]);
  forgetTeamKeys();
  await teamKeyFor(PID, { api: srv.for(member.me.accountId), me: member.me });
  globalThis.localStorage = memory(); // the secretary's browser
  forgetTeamKeys();
  await teamKeyFor(PID, { api: srv.for(secretary.me.accountId), me: secretary.me });
  // The server now publishes other keys for the member (and could sign records with them).
  const impostor = person(member.me.accountId, "member", "Dr Martin");
  srv.versions[0].creator = impostor.account;
  forgetTeamKeys();
  await assert.rejects(teamKeyFor(PID, { api: srv.for(secretary.me.accountId), me: secretary.me }), /fingerprint/);
});

test("a member makes version 1, writes; the secretary reads the signed author", async () => {
  const member = person("00000000-0000-4000-8000-0000000000aa", "member", "Dr Martin");
  const secretary = person("00000000-0000-4000-8000-0000000000bb", "secretary", "Sophie");
  const team = [member.account, secretary.account];
  const srv = server(team);
  globalThis.localStorage = memory();
  forgetTeamKeys();
  const written = await writeDocument(PID, { type: DocType.ON_CALL, body: { days: ["lundi"] } }, { api: srv.for(member.me.accountId), me: member.me });
  assert.equal(written.revision, 1);
  assert.equal(srv.versions.length, 1);
  assert.deepEqual(Object.keys(srv.versions[0].grants).sort(), team.map((a) => a.id).sort());
  forgetTeamKeys();
  const read = await readDocuments(PID, { type: DocType.ON_CALL }, { api: srv.for(secretary.me.accountId), me: secretary.me, storage: memory() });
  assert.deepEqual(read[0].body, { days: ["lundi"] });
  assert.equal(read[0].author.id, member.me.accountId);
  assert.equal(read[0].rolledBack, false);
  // A second write is revision 2 of the same document.
  forgetTeamKeys();
  const again = await writeDocument(PID, { type: DocType.ON_CALL, documentId: written.documentId, body: { days: ["mardi"] } }, { api: srv.for(member.me.accountId), me: member.me });
  assert.equal(again.revision, 2);
});

test("re-keying leaves out the secretary who left; her key opens nothing written after", async () => {
  const member = person("00000000-0000-4000-8000-0000000000aa", "member", "Dr Martin");
  const secretary = person("00000000-0000-4000-8000-0000000000bb", "secretary", "Sophie");
  const team = [member.account, secretary.account];
  const srv = server(team);
  globalThis.localStorage = memory();
  forgetTeamKeys();
  const opts = { api: srv.for(member.me.accountId), me: member.me };
  const doc = await writeDocument(PID, { type: DocType.PRACTICE_CARD, body: { name: "Cabinet" } }, opts);
  const herKey = openGrant(b(srv.versions[0].grants[secretary.me.accountId]), GrantKind.TEAM_KEY, PID, secretary.me.keys.x25519SecretKey);
  team.splice(1, 1); // her assignment ended
  forgetTeamKeys();
  const team2 = await teamKeyFor(PID, opts);
  assert.equal(team2.current, 2);
  assert.deepEqual(Object.keys(srv.versions[1].grants), [member.me.accountId]);
  assert.deepEqual([...decodeTeamKeyRecord(b(srv.versions[1].record)).recipients], [member.me.accountId]);
  const latest = srv.docs.get(doc.documentId).at(-1);
  assert.equal(latest.version, 2);
  assert.equal(latest.revision, 2);
  assert.throws(
    () =>
      openInstruction(b(latest.envelope), {
        teamKey: herKey,
        authorPublicKey: member.me.keys.ed25519PublicKey,
        clientId: PID,
        documentId: doc.documentId,
        authorId: member.me.accountId,
        version: 2,
      }),
    DecryptionFailed,
  );
  const opened = openInstruction(b(latest.envelope), {
    teamKey: team2.keyOf(2),
    authorPublicKey: member.me.keys.ed25519PublicKey,
    clientId: PID,
    documentId: doc.documentId,
    authorId: member.me.accountId,
    version: 2,
  });
  assert.deepEqual(opened.json, { name: "Cabinet" });
});

test("a newcomer is added with a new record of the same version and can read", async () => {
  const member = person("00000000-0000-4000-8000-0000000000aa", "member", "Dr Martin");
  const nina = person("00000000-0000-4000-8000-0000000000cc", "secretary", "Nina");
  const team = [member.account];
  const srv = server(team);
  globalThis.localStorage = memory();
  forgetTeamKeys();
  await writeDocument(PID, { type: DocType.CALL_RULES, body: { rules: [] } }, { api: srv.for(member.me.accountId), me: member.me });
  team.push(nina.account);
  forgetTeamKeys();
  await teamKeyFor(PID, { api: srv.for(member.me.accountId), me: member.me });
  assert.equal(srv.versions.length, 1);
  forgetTeamKeys();
  const read = await readDocuments(PID, {}, { api: srv.for(nina.me.accountId), me: nina.me, storage: memory() });
  assert.deepEqual(read[0].body, { rules: [] });
});

test("a record by a non-member, or not listing the reader, is refused; a rollback is flagged", async () => {
  const member = person("00000000-0000-4000-8000-0000000000aa", "member", "Dr Martin");
  const secretary = person("00000000-0000-4000-8000-0000000000bb", "secretary", "Sophie");
  const srv = server([member.account, secretary.account]);
  globalThis.localStorage = memory();
  forgetTeamKeys();
  const doc = await writeDocument(PID, { type: DocType.ON_CALL, body: { n: 1 } }, { api: srv.for(member.me.accountId), me: member.me });
  await writeDocument(PID, { type: DocType.ON_CALL, documentId: doc.documentId, body: { n: 2 } }, { api: srv.for(member.me.accountId), me: member.me });
  const storage = memory();
  forgetTeamKeys();
  const api = srv.for(secretary.me.accountId);
  assert.equal((await readDocuments(PID, {}, { api, me: secretary.me, storage }))[0].rolledBack, false);
  srv.docs.get(doc.documentId).pop(); // the server serves revision 1 again
  forgetTeamKeys();
  assert.equal((await readDocuments(PID, {}, { api, me: secretary.me, storage }))[0].rolledBack, true);
  srv.versions[0].creator = { ...srv.versions[0].creator, role: "secretary" };
  forgetTeamKeys();
  await assert.rejects(teamKeyFor(PID, { api, me: secretary.me }), DecryptionFailed);
  srv.versions[0].creator = { ...srv.versions[0].creator, role: "member" };
  const stranger = person("00000000-0000-4000-8000-0000000000dd", "secretary", "Sam");
  srv.versions[0].grants[stranger.me.accountId] = srv.versions[0].grants[secretary.me.accountId];
  forgetTeamKeys();
  await assert.rejects(teamKeyFor(PID, { api: srv.for(stranger.me.accountId), me: stranger.me }), DecryptionFailed);
});
