// The API docs page (/api/docs) in Debian's Chromium, driven by playwright-core: it renders the
// server's OpenAPI document with no request leaving the server's origin (it works offline),
// and its "Try it" form calls the API with the key typed into the page.
//
// Needs the built server (OPENWA_SERVER, default $CARGO_TARGET_DIR/debug/openwa-server) and
// Chromium (CHROMIUM, default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const target = process.env.CARGO_TARGET_DIR || join(import.meta.dirname, "../../target");
const serverPath = process.env.OPENWA_SERVER || join(target, "debug/openwa-server");
const key = `browser-test-master-key-${process.pid}`;
let server;
let dataDir;
let base;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the server and resolves with its URL once it says it listens. */
async function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), "openwa-docs-"));
  const port = await freePort();
  server = spawn(serverPath, [], {
    env: { ...process.env, DATA_DIR: dataDir, API_KEY: key, HOST: "127.0.0.1", PORT: String(port), RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    server.on("exit", (code) => reject(new Error(`openwa-server exited (${code}): ${output}`)));
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
  });
}

before(async () => {
  base = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.removeAllListeners("exit");
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The operation block of `method path`, opened. */
async function openOperation(page, method, path) {
  const block = page.locator(`details.op[data-search^="${method} ${path} "]`);
  await block.locator("summary").click();
  return block;
}

test("the docs page renders every operation and calls the API, all on the server's origin", async () => {
  const document = await (await fetch(`${base}/api/openapi.json`)).json();
  assert.equal(document.openapi, "3.1.0");
  const operations = Object.values(document.paths)
    .flatMap((item) => Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m)));

  const page = await browser.newPage();
  const elsewhere = [];
  const errors = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(base)) elsewhere.push(request.url());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    // Failed loads are checked through their responses below.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      errors.push(message.text());
    }
  });
  const failed = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });

  await page.goto(`${base}/api/docs`);
  await page.waitForSelector("details.op");
  assert.equal(await page.locator("details.op").count(), operations.length);
  assert.equal(await page.title(), document.info.title);

  // Filtering hides what does not match.
  await page.fill("#filter", "send-poll");
  assert.equal(await page.locator("details.op:not([hidden])").count(), 1);
  await page.fill("#filter", "");

  // Without a key the API answers 401, with the master key it creates a session.
  const create = await openOperation(page, "post", "/api/sessions");
  await create.locator("textarea[data-body]").fill('{"name": "from-the-docs"}');
  await create.locator("button", { hasText: "Send" }).click();
  await page.waitForFunction((el) => /^\d{3} /.test(el.textContent), await create.locator("pre.result").elementHandle());
  assert.match(await create.locator("pre.result").textContent(), /^401 /);

  await page.fill("#api-key", key);
  await page.locator("#api-key").dispatchEvent("change");
  await create.locator("button", { hasText: "Send" }).click();
  await page.waitForFunction((el) => /^201 /.test(el.textContent), await create.locator("pre.result").elementHandle());
  assert.match(await create.locator("pre.result").textContent(), /"name": "from-the-docs"/);

  // A path parameter goes into the URL.
  const show = await openOperation(page, "get", "/api/sessions/{id}");
  await show.locator('input[data-param="id"]').fill("from-the-docs");
  await show.locator("button", { hasText: "Send" }).click();
  await page.waitForFunction((el) => /^200 /.test(el.textContent), await show.locator("pre.result").elementHandle());
  assert.match(await show.locator("pre.result").textContent(), /"status": "created"/);

  assert.deepEqual(elsewhere, [], "the page fetched from another origin");
  assert.deepEqual(failed, [`401 POST ${base}/api/sessions`], "only the call without a key failed");
  assert.deepEqual(errors, [], "the page logged errors");
  await page.close();
});

test("the document and the page need no API key; the API does", async () => {
  for (const path of ["/api/openapi.json", "/api/docs", "/api/docs/docs.js", "/api/docs/docs.css"]) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get("content-security-policy"), /default-src 'self'/, path);
  }
  assert.equal((await fetch(`${base}/api/sessions`)).status, 401);
});
