// Emits JS-made ciphertexts of every format v1 structure as JSON, for Python to open
// (tests/browser/test_interop_node.py). Not a test file itself. Usage:
//   node tests/js/emit_interop.mjs OUT.json
import { filler } from "./helpers.mjs";
import { writeFileSync } from "node:fs";
import {
  derivePasswordKeys,
  DocType,
  encodeTeamKeyRecord,
  encryptFileToBlob,
  generatePracticeKeys,
  generateUserKeys,
  GrantKind,
  ItemKind,
  newKdfParams,
  newRecoveryCode,
  newTeamKey,
  sealGrant,
  sealInstruction,
  sealItem,
  signTeamKeyRecord,
  teamKeyCommit,
  toBase64url as b64,
  Urgency,
  wrapUserKeys,
  WrapPurpose,
} from "../../web/static/js/crypto/index.js";

const ids = {
  user: crypto.randomUUID(),
  author: crypto.randomUUID(),
  client: crypto.randomUUID(),
};
const password = "Mot de passe \ufb01able A\u030a";
const kdf = newKdfParams();
const { authKey, kek } = await derivePasswordKeys(password, kdf);
const member = generateUserKeys();
const author = generateUserKeys();
const practice = generatePracticeKeys();
const recovery = newRecoveryCode();
const teamKey = newTeamKey();

const files = [];
for (const size of [0, 65536, 150001]) {
  const plaintext = filler(size, size + 3);
  const enc = await encryptFileToBlob(new Blob([plaintext]), {
    name: `extrait-${size}.csv`,
    mediaType: "text/csv",
  });
  files.push({
    plaintext: b64(plaintext),
    stream: b64(new Uint8Array(await enc.blob.arrayBuffer())),
    manifest: enc.manifest,
  });
}

const bodies = [
  [
    ItemKind.CALL_NOTE,
    Urgency.URGENT,
    {
      caller_name: "M. Émile Zoé",
      caller_is: "third_party",
      callback_number: "+33 1 23 45 67 89",
      reason: "Résultats d'analyse « urgents »",
      best_time: "avant 12 h",
      notes: "Ligne 1\nLigne 2 ✓",
    },
    { callStartedAt: 1795773600, callSeconds: 61 }, // 2026-11-27T10:00:00Z
  ],
  [ItemKind.MESSAGE, Urgency.LOW, { text: "Le cabinet est fermé lundi.", subject: "Fermeture" }],
  ...files.map((f) => [ItemKind.EXTRACT, Urgency.NORMAL, f.manifest]),
];
const items = bodies.map(([kind, urgency, body, call = {}]) => {
  const itemId = crypto.randomUUID();
  const envelope = sealItem(
    { kind, urgency, itemId, clientId: ids.client, authorId: ids.author, ...call },
    body,
    practice.publicKey,
    author.ed25519Seed,
  );
  const callTime = { call_started_at: call.callStartedAt ?? 0, call_seconds: call.callSeconds ?? 0 };
  return { kind, urgency, item_id: itemId, body, envelope: b64(envelope), ...callTime };
});

const out = {
  password,
  kdf,
  auth_key: b64(authKey),
  kek: b64(kek),
  user_id: ids.user,
  client_id: ids.client,
  author_id: ids.author,
  member: {
    x25519_secret: b64(member.x25519SecretKey),
    ed25519_seed: b64(member.ed25519Seed),
    x25519_public: b64(member.x25519PublicKey),
    ed25519_public: b64(member.ed25519PublicKey),
    fingerprint: member.fingerprint,
    wrapped_kek: b64(wrapUserKeys(member, kek, WrapPurpose.PASSWORD, ids.user)),
    wrapped_recovery: b64(wrapUserKeys(member, recovery.key, WrapPurpose.RECOVERY, ids.user)),
  },
  recovery_code: recovery.code,
  recovery_key: b64(recovery.key),
  author_ed25519_public: b64(author.ed25519PublicKey),
  practice: {
    x25519_secret: b64(practice.secretKey),
    x25519_public: b64(practice.publicKey),
    fingerprint: practice.fingerprint,
  },
  team_key: b64(teamKey),
  grants: {
    practice: b64(
      sealGrant(
        GrantKind.PRACTICE_SECRET_KEY,
        ids.client,
        practice.secretKey,
        member.x25519PublicKey,
      ),
    ),
    team: b64(sealGrant(GrantKind.TEAM_KEY, ids.client, teamKey, member.x25519PublicKey)),
  },
  items,
  files,
  team: teamRecord(),
};
// A team key record signed by the member (§10), and an instruction and a reply under its key.
function teamRecord() {
  const record = encodeTeamKeyRecord({
    clientId: ids.client,
    version: 3,
    creatorId: ids.user,
    createdAt: 1795772465,
    commit: teamKeyCommit(teamKey),
    recipients: [ids.author, ids.user],
  });
  const document = (type, documentId, authorId, subjectId, seed, body) => ({
    document_id: documentId,
    envelope: b64(
      sealInstruction(
        teamKey,
        { type, documentId, clientId: ids.client, authorId, subjectId, version: 3, revision: 2 },
        body,
        seed,
      ),
    ),
    body,
  });
  return {
    record: b64(record),
    signature: b64(signTeamKeyRecord(record, member.ed25519Seed)),
    member_ed25519_public: b64(member.ed25519PublicKey),
    documents: [
      document(DocType.CALL_RULES, crypto.randomUUID(), ids.user, undefined, member.ed25519Seed, {
        rules: [{ call_type: "urgence", say: "Faites le 15 \u00ab vite \u00bb" }],
      }),
      document(DocType.REPLY, crypto.randomUUID(), ids.author, ids.client, author.ed25519Seed, {
        text: "Rappel\u00e9e",
      }),
    ],
  };
}

writeFileSync(process.argv[2], JSON.stringify(out));
