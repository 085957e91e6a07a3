// `esphome-forge worker join forge://HOST:PORT/#CODE@FINGERPRINT`: pins the sidecar's key from the
// link, makes this worker's id and key (if it has none yet), proves the key over the very TLS session
// the request travels on (a proof bound to that session's exported keying material), redeems the
// one-time code, and keeps the credential it gets (bound to this key) in the state folder.
import { joinProofText, JoinResponse } from "@esphome-forge/shared";
import path from "node:path";
import { loadOrCreateKey, signBytes } from "../trust/keys/keys.js";
import { parseJoinLink, serverUrlOf } from "../util/join-link.js";
import { tlsChannel } from "../util/tls-channel.js";
import { writeCredential, type Credential } from "./credential.js";
import { openTrusted, readBody, requestOn, serverTrustFor, type ServerTrust } from "./server-tls.js";
import { loadWorkerId } from "./worker-state.js";

export interface JoinOptions {
  link: string;
  stateDir: string;
  name: string;
  insecureTransport?: boolean;
  log: (line: string) => void;
}

export class JoinError extends Error {}

export async function joinSidecar(o: JoinOptions): Promise<Credential & { enrolment: string; keyFingerprint: string }> {
  let link;
  try {
    link = parseJoinLink(o.link);
  } catch (err) {
    throw new JoinError((err as Error).message);
  }
  const server = serverUrlOf(link);
  let trust: ServerTrust;
  try {
    trust = link.fingerprint
      ? { kind: "pin", pins: [link.fingerprint] }
      : serverTrustFor(server, [], o.insecureTransport ?? false);
  } catch (err) {
    throw new JoinError((err as Error).message);
  }
  const workerId = loadWorkerId(o.stateDir, o.log);
  const { key } = loadOrCreateKey(path.join(o.stateDir, "trust", "worker-key.pem"));
  const url = new URL("api/v1/worker/join", server.endsWith("/") ? server : `${server}/`);
  let socket;
  try {
    socket = await openTrusted(url, trust);
  } catch (err) {
    throw new JoinError(`cannot join ${link.host}:${link.port}: ${(err as Error).message}`);
  }
  const channel = tlsChannel(socket);
  const codeId = link.code.split("_")[0]!;
  const proof = signBytes(key, Buffer.from(joinProofText(codeId, workerId, channel), "utf8")).toString("base64");
  const body = JSON.stringify({ code: link.code, workerId, name: o.name, publicKey: key.publicPem, proof });
  const res = await requestOn(socket, url, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    body,
  }).catch((err: unknown) => {
    throw new JoinError(`cannot join ${link.host}:${link.port}: ${(err as Error).message}`);
  });
  const text = (await readBody(res, 1024 * 1024)).toString("utf8");
  socket.destroy();
  if (res.statusCode !== 201) {
    let why = text.slice(0, 500);
    try {
      why = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not our JSON: show what came back
    }
    throw new JoinError(`the sidecar refused to join this worker (HTTP ${res.statusCode}): ${why}`);
  }
  const joined = JoinResponse.parse(JSON.parse(text));
  const credential: Credential = {
    server,
    pins: link.fingerprint ? [link.fingerprint] : [],
    token: joined.token,
    workerId: joined.workerId,
    joinedAt: new Date().toISOString(),
  };
  writeCredential(o.stateDir, credential);
  return { ...credential, enrolment: joined.enrolment, keyFingerprint: joined.keyFingerprint };
}
