// The API reference page: renders /api/openapi.json and lets a reader call each operation with
// their API key. Self-contained (no framework, nothing fetched from elsewhere), so it works with
// no internet. Everything from the document goes into the page as text, never as HTML.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];
let spec = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The schema a `$ref` points at (only local component references occur). */
function resolve(schema) {
  let seen = 0;
  while (schema && schema.$ref && seen++ < 20) {
    const name = schema.$ref.split("/").pop();
    schema = (spec.components && spec.components.schemas || {})[name] || {};
  }
  return schema || {};
}

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.split("/").pop() : null;
}

/** A short type label: `string`, `integer | null`, `Problem`, `array of string`, … */
function typeLabel(schema) {
  if (!schema) return "any";
  const name = refName(schema);
  if (name) return name;
  const alternatives = schema.oneOf || schema.anyOf;
  if (alternatives) return alternatives.map(typeLabel).join(" | ");
  let types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  types = types.map((t) => (t === "array" ? `array of ${typeLabel(schema.items)}` : t));
  if (schema.enum) types.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (schema.format) types.push(`(${schema.format})`);
  return types.join(" ") || "any";
}

/** A plausible value for a schema, to prefill request bodies. */
function example(schema, depth = 0) {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.examples && s.examples.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length) return s.enum[0];
  const alternatives = s.oneOf || s.anyOf;
  if (alternatives) return example(alternatives.find((a) => a.type !== "null") || alternatives[0], depth);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (depth > 4) return null;
  switch (type) {
    case "object": {
      const out = {};
      for (const key of s.required || []) {
        out[key] = example((s.properties || {})[key], depth + 1);
      }
      return out;
    }
    case "array": return [example(s.items, depth + 1)];
    case "integer": case "number": return 0;
    case "boolean": return false;
    case "string": return "";
    default: return s.properties ? example({ ...s, type: "object" }, depth) : null;
  }
}

function fieldsTable(schema) {
  const s = resolve(schema);
  const properties = s.properties || {};
  const names = Object.keys(properties);
  if (!names.length) return el("p", {}, el("code", {}, typeLabel(schema)), " ", s.description || "");
  const required = new Set(s.required || []);
  return el("table", {},
    el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description")),
    names.map((name) => {
      const field = properties[name];
      return el("tr", {},
        el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "required" }, " *") : null),
        el("td", {}, typeLabel(field)),
        el("td", {}, resolve(field).description || field.description || ""));
    }));
}

function parametersTable(parameters) {
  return el("table", {},
    el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")),
    parameters.map((p) => el("tr", {},
      el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "required" }, " *") : null),
      el("td", {}, p.in),
      el("td", {}, typeLabel(p.schema)),
      el("td", {}, p.description || ""))));
}

function responsesTable(responses) {
  return el("table", {},
    el("tr", {}, el("th", {}, "status"), el("th", {}, "content"), el("th", {}, "description")),
    Object.entries(responses || {}).map(([status, response]) => {
      const content = Object.entries(response.content || {})
        .map(([type, media]) => `${type}: ${typeLabel(media.schema)}`).join(", ");
      return el("tr", {}, el("td", {}, status), el("td", {}, content), el("td", {}, response.description || ""));
    }));
}

/** The "try it" form of one operation. */
function tryIt(method, path, operation) {
  const parameters = (operation.parameters || []).filter((p) => p.in === "path" || p.in === "query");
  const inputs = new Map();
  const form = el("div", { class: "try" }, el("h4", {}, "Try it"));
  for (const p of parameters) {
    const input = el("input", { "data-param": p.name, placeholder: `${p.name} (${p.in})` });
    inputs.set(p, input);
    form.append(el("label", {}, `${p.name} (${p.in}${p.required ? ", required" : ""})`, input));
  }
  const json = operation.requestBody && (operation.requestBody.content || {})["application/json"];
  let body = null;
  if (json) {
    body = el("textarea", { "data-body": "" });
    body.value = JSON.stringify(example(json.schema), null, 2);
    form.append(el("label", {}, "JSON body", body));
  } else if (operation.requestBody) {
    form.append(el("p", {}, "This operation takes a ",
      Object.keys(operation.requestBody.content || {}).join(" or "), " body: use curl or a client for it."));
  }
  const result = el("pre", { class: "result", hidden: "" });
  const send = async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const [p, input] of inputs) {
      if (!input.value) continue;
      if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(input.value));
      else query.append(p.name, input.value);
    }
    if ([...query].length) url += `?${query}`;
    const headers = {};
    const key = document.getElementById("api-key").value;
    if (key) headers["X-API-Key"] = key;
    const init = { method: method.toUpperCase(), headers };
    if (body) {
      headers["Content-Type"] = "application/json";
      init.body = body.value;
    }
    result.hidden = false;
    result.textContent = `${init.method} ${url} …`;
    try {
      const response = await fetch(url, init);
      const type = response.headers.get("content-type") || "";
      let text = await response.text();
      if (type.includes("json")) {
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* shown as is */ }
      }
      result.textContent = `${response.status} ${response.statusText}\n${type}\n\n${text}`;
    } catch (error) {
      result.textContent = `request failed: ${error}`;
    }
  };
  form.append(el("button", { type: "button", onclick: send }, "Send"), result);
  return form;
}

function operationBlock(method, path, operation, id) {
  const details = el("details", { class: "op", id, "data-search": `${method} ${path} ${operation.summary || ""}`.toLowerCase() },
    el("summary", {},
      el("span", { class: `method ${method}` }, method),
      el("span", { class: "path" }, path),
      el("span", { class: "summary" }, operation.summary || "")));
  const body = el("div", { class: "body" });
  if (operation.description) body.append(el("p", {}, operation.description));
  if ((operation.parameters || []).length) body.append(el("h4", {}, "Parameters"), parametersTable(operation.parameters));
  if (operation.requestBody) {
    for (const [type, media] of Object.entries(operation.requestBody.content || {})) {
      body.append(el("h4", {}, `Request body (${type})`), fieldsTable(media.schema));
    }
  }
  body.append(el("h4", {}, "Responses"), responsesTable(operation.responses));
  details.append(body);
  details.addEventListener("toggle", () => {
    if (details.open && !details.querySelector(".try")) body.append(tryIt(method, path, operation));
  }, { once: false });
  return details;
}

function render() {
  document.getElementById("title").textContent = spec.info.title;
  document.getElementById("version").textContent = `${spec.info.version} · OpenAPI ${spec.openapi}`;
  document.title = spec.info.title;
  const groups = new Map();
  for (const tag of spec.tags || []) groups.set(tag.name, []);
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = (operation.tags || ["other"])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ method, path, operation });
    }
  }
  const nav = document.getElementById("nav");
  const main = document.getElementById("operations");
  main.textContent = "";
  let n = 0;
  for (const [tag, operations] of groups) {
    if (!operations.length) continue;
    const tagInfo = (spec.tags || []).find((t) => t.name === tag) || {};
    nav.append(el("h2", {}, tag));
    main.append(el("h2", { id: `tag-${tag}` }, tag));
    if (tagInfo.description) main.append(el("p", {}, tagInfo.description));
    for (const { method, path, operation } of operations) {
      const id = `op-${n++}`;
      nav.append(el("a", { href: `#${id}`, title: `${method.toUpperCase()} ${path}`,
        onclick: () => { document.getElementById(id).open = true; } },
        `${method.toUpperCase()} ${path.replace("/api/sessions/{id}", "…")}`));
      main.append(operationBlock(method, path, operation, id));
    }
  }
}

function filter(text) {
  const needle = text.trim().toLowerCase();
  for (const op of document.querySelectorAll(".op")) {
    op.hidden = needle !== "" && !op.dataset.search.includes(needle);
  }
}

async function main() {
  const keyInput = document.getElementById("api-key");
  keyInput.value = sessionStorage.getItem("openwa-api-key") || "";
  keyInput.addEventListener("change", () => sessionStorage.setItem("openwa-api-key", keyInput.value));
  document.getElementById("filter").addEventListener("input", (e) => filter(e.target.value));
  try {
    const response = await fetch("/api/openapi.json");
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    spec = await response.json();
    render();
  } catch (error) {
    document.getElementById("status").textContent = `Could not load /api/openapi.json: ${error}`;
  }
}

main();
