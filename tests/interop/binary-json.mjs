// JSON shapes shared by the binary-node oracle and benchmark scripts.
// DESC/VIEW = {"tag":s,"attrs":[[k,v],...],"content":null|{"bytes":hex}|{"text":s}|{"nodes":[...]}}

/** A Baileys BinaryNode from a JSON description. */
export const fromDesc = (desc) => {
  const node = { tag: desc.tag, attrs: Object.fromEntries(desc.attrs) };
  const c = desc.content;
  if (c === null) return node;
  if ('bytes' in c) node.content = Buffer.from(c.bytes, 'hex');
  else if ('text' in c) node.content = c.text;
  else node.content = c.nodes.map(fromDesc);
  return node;
};

/** The JSON view of a node decoded by Baileys (attribute values as it returns them). */
export const toView = (node) => {
  let content = null;
  if (Array.isArray(node.content)) content = { nodes: node.content.map(toView) };
  else if (node.content instanceof Uint8Array) content = { bytes: Buffer.from(node.content).toString('hex') };
  else if (typeof node.content === 'string') content = { text: node.content };
  else if (node.content !== undefined) throw new Error(`unexpected content ${typeof node.content}`);
  return { tag: node.tag, attrs: Object.entries(node.attrs), content };
};
