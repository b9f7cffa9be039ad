#!/usr/bin/env node
'use strict';
// The package's install step: compiles the native addon with cargo (release) and copies it to
// `openwa.node` beside index.js. Sources: the Rust workspace this folder sits in (a checkout,
// `npm install ./bindings-node`), or the sources `npm pack` put in `rust/` (an installed tarball).
//
// Environment: CARGO (the cargo binary), CARGO_TARGET_DIR (kept as is; without it a tarball
// install builds in rust/target and removes it afterwards), OPENWA_NODE_DTS=<file> (also write
// the addon's TypeScript declarations, as napi-rs renders them, to <file>: needs the package's
// dev dependencies; the drift check of native.d.ts uses it).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const cargo = process.env.CARGO || 'cargo';

function fail(message) {
  console.error(`openwa: ${message}`);
  process.exit(1);
}

function workspace() {
  const packed = path.join(here, 'rust', 'Cargo.toml');
  if (fs.existsSync(packed)) return { manifest: packed, packed: true };
  const checkout = path.join(here, '..', 'Cargo.toml');
  if (fs.existsSync(checkout) && fs.readFileSync(checkout, 'utf8').includes('"bindings-node"')) {
    return { manifest: checkout, packed: false };
  }
  return fail('no Rust sources to build the native addon from (neither rust/ nor a checkout)');
}

function main() {
  const { manifest, packed } = workspace();
  const env = { ...process.env };
  const ownTarget = packed && !env.CARGO_TARGET_DIR;
  if (ownTarget) env.CARGO_TARGET_DIR = path.join(here, 'rust', 'target');
  let typeDefDir = null;
  if (process.env.OPENWA_NODE_DTS) {
    typeDefDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwa-typedef-'));
    env.NAPI_TYPE_DEF_TMP_FOLDER = typeDefDir;
    env.NAPI_FORCE_BUILD_OPENWA_NODE = String(Date.now());
  }

  const args = ['build', '--release', '--locked', '--lib', '-p', 'openwa-node'];
  args.push('--manifest-path', manifest, '--message-format', 'json-render-diagnostics');
  console.error(`openwa: building the native addon (${cargo} ${args.slice(0, 6).join(' ')})`);
  const built = spawnSync(cargo, args, {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (built.error) {
    fail(`cannot run ${cargo} (${built.error.message}): building the addon needs Rust, https://rustup.rs`);
  }
  if (built.status !== 0) fail(`cargo build failed (exit ${built.status})`);

  const library = built.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((msg) => msg.reason === 'compiler-artifact' && msg.target.name === 'openwa_node')
    .flatMap((msg) => msg.filenames)
    .find((file) => /\.(so|dylib|dll)$/.test(file));
  if (!library) fail('cargo built no openwa_node library');
  const addon = path.join(here, 'openwa.node');
  fs.rmSync(addon, { force: true }); // a loaded copy stays mapped; never overwrite it in place
  fs.copyFileSync(library, addon);
  // The release profile keeps line tables and symbols; the installed addon goes without (best
  // effort: N-API needs only the dynamic symbol table, which strip keeps).
  if (process.platform === 'linux') spawnSync('strip', [addon], { stdio: 'ignore' });
  console.error(`openwa: native addon ready (${Math.round(fs.statSync(addon).size / 1024)} KiB)`);

  if (ownTarget) fs.rmSync(env.CARGO_TARGET_DIR, { recursive: true, force: true });
  if (typeDefDir) return declarations(typeDefDir, process.env.OPENWA_NODE_DTS);
  return undefined;
}

async function declarations(typeDefDir, dest) {
  const { generateTypeDef } = await import('@napi-rs/cli');
  const { dts } = await generateTypeDef({ typeDefDir, cwd: here });
  fs.writeFileSync(dest, dts);
  fs.rmSync(typeDefDir, { recursive: true, force: true });
  console.error(`openwa: declarations written to ${dest}`);
}

Promise.resolve(main()).catch((err) => fail(err.stack || String(err)));
