// Baileys 7's WABinary codec on the benchmark stanzas of OpenWA's criterion bench
// (binary-bench-nodes.json, written by core/protocol/tests/binary_differential.rs).
//   node tests/interop/binary-bench.mjs [seconds per measurement, default 3]
// Prints time per node, nodes/s and MB/s (1 MB = 10^6 encoded bytes, like criterion's MB/s).
import { readFileSync } from 'node:fs';
import { decodeBinaryNode, decodeDecompressedBinaryNode, encodeBinaryNode } from 'baileys7/lib/WABinary/index.js';
import * as constants from 'baileys7/lib/WABinary/constants.js';
import { fromDesc } from './binary-json.mjs';

const seconds = Number(process.argv[2] ?? 3);
const stanzas = JSON.parse(readFileSync(new URL('./binary-bench-nodes.json', import.meta.url), 'utf8'));

const measure = async (fn) => {
  const run = async (ms) => {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ms) * 1_000_000n;
    let count = 0;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 100; i++) await fn();
      count += 100;
      now = process.hrtime.bigint();
    }
    return Number(now - start) / count; // ns per call
  };
  await run(500); // warm up the JIT
  return run(seconds * 1000);
};

const rows = [];
for (const { name, node: desc, hex } of stanzas) {
  const node = fromDesc(desc);
  const bytes = Buffer.from(hex, 'hex');
  if (encodeBinaryNode(node).toString('hex') !== hex) throw new Error(`${name}: Baileys' encoding differs from OpenWA's`);
  const body = bytes.subarray(1);
  const cases = [
    ['encode', () => encodeBinaryNode(node)],
    ['decode (decodeBinaryNode, async)', () => decodeBinaryNode(bytes)],
    ['decode (decodeDecompressedBinaryNode, sync)', () => decodeDecompressedBinaryNode(body, constants)],
  ];
  for (const [op, fn] of cases) {
    const ns = await measure(fn);
    rows.push({ name, op, bytes: bytes.length, ns });
  }
}

console.log(`Baileys 7.0.0-rc14 WABinary, node ${process.version}, ${seconds}s per measurement`);
console.log('| stanza | bytes | operation | time/node | nodes/s | MB/s |');
console.log('|---|---|---|---|---|---|');
for (const { name, op, bytes, ns } of rows) {
  const perSec = 1e9 / ns;
  console.log(`| ${name} | ${bytes} | ${op} | ${(ns / 1000).toFixed(2)} µs | ${Math.round(perSec)} | ${((perSec * bytes) / 1e6).toFixed(1)} |`);
}
