// The Baileys package the interop drivers run, chosen by the environment variable BAILEYS_PKG:
// `baileys7` (npm alias of baileys@7.0.0-rc14, ESM; the default) or `baileys` (baileys@6.17.16,
// CommonJS, dictionary v2). Both expose the same names the drivers use.
export const baileysPackage = process.env.BAILEYS_PKG ?? 'baileys7';
if (!['baileys', 'baileys7'].includes(baileysPackage)) throw new Error(`unknown BAILEYS_PKG ${baileysPackage}`);
const mod = await import(baileysPackage);
// A CommonJS package's exports arrive as the default import.
export const baileys = mod.default?.useMultiFileAuthState ? mod.default : mod;
