// Binary-node oracle: Baileys 7's pure-JS WABinary codec (dictionary v3) driven over stdin/stdout,
// one JSON request per line, one JSON reply per line, in order.
//
//   {"op":"decode","hex":"00f8..."}   -> {"ok":true,"node":VIEW} | {"ok":false,"error":"..."}
//   {"op":"encode","node":DESC}       -> {"ok":true,"hex":"00f8..."} | {"ok":false,"error":"..."}
//
// VIEW = {"tag":s,"attrs":[[k,v],...],"content":null|{"bytes":hex}|{"text":s}|{"nodes":[VIEW...]}}
// (attribute values are whatever Baileys' decoder returns: strings, JIDs rendered as its text).
// DESC has the same shape; attribute values are strings (Baileys turns '@' strings into JIDs).
import { createInterface } from 'node:readline';
import { decodeBinaryNode, encodeBinaryNode } from 'baileys7/lib/WABinary/index.js';
import { fromDesc, toView } from './binary-json.mjs';

const handle = async (request) => {
  if (request.op === 'decode') return { ok: true, node: toView(await decodeBinaryNode(Buffer.from(request.hex, 'hex'))) };
  if (request.op === 'encode') return { ok: true, hex: encodeBinaryNode(fromDesc(request.node)).toString('hex') };
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
