// Binary-node oracle: Baileys' pure-JS WABinary codecs driven over stdin/stdout, one JSON request
// per line, one JSON reply per line, in order. Baileys 7 (dictionary v3) by default; a request
// with "v":2 goes to Baileys 6.17.16's codec (dictionary v2).
//
//   {"op":"decode","hex":"00f8..."}   -> {"ok":true,"node":VIEW} | {"ok":false,"error":"..."}
//   {"op":"encode","node":DESC}       -> {"ok":true,"hex":"00f8..."} | {"ok":false,"error":"..."}
//
// VIEW = {"tag":s,"attrs":[[k,v],...],"content":null|{"bytes":hex}|{"text":s}|{"nodes":[VIEW...]}}
// (attribute values are whatever Baileys' decoder returns: strings, JIDs rendered as its text).
// DESC has the same shape; attribute values are strings (Baileys turns '@' strings into JIDs).
import { createInterface } from 'node:readline';
import * as v3 from 'baileys7/lib/WABinary/index.js';
import v2 from 'baileys/lib/WABinary/index.js'; // CommonJS: its exports are the default import
import { fromDesc, toView } from './binary-json.mjs';

const handle = async (request) => {
  const { decodeBinaryNode, encodeBinaryNode } = request.v === 2 ? v2 : v3;
  if (request.op === 'decode') return { ok: true, node: toView(await decodeBinaryNode(Buffer.from(request.hex, 'hex'))) };
  if (request.op === 'encode') return { ok: true, hex: Buffer.from(encodeBinaryNode(fromDesc(request.node))).toString('hex') };
  throw new Error(`unknown op ${request.op}`);
};

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line) continue;
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (err) {
    reply = { ok: false, error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
