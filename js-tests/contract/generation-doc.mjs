// The document prism serves: the spec copy with each operation's 200 response schema inlined, and
// every cycle in it cut at its first re-entry.
//
// Why: User -> personalSpace -> Space -> (homepage, history, permissions, ...) -> User/Space/Content
// is a cyclic graph. Given the document as is, prism's generator (json-schema-faker, every optional
// property on) re-expands the cycle until bodies reach many MB: most bodies take milliseconds, but
// some take seconds to minutes, and one ran out of a 4 GB heap. Those bodies can also break the
// spec: when the generator gives up on a $ref it emits an unconstrained value, so prism's own
// validator finds required properties missing deep inside. See the README's measurements.
//
// The cut: while a schema is being inlined, a $ref to a schema already on the current path (a
// cycle) becomes `{ nullable: true, enum: [null] }`, so the generator writes `null` there. This
// keeps bodies valid by the original document, because every schema re-entered this way (User,
// Space, Content) is `nullable: true`; deriveGenerationDoc refuses to cut into any schema that is not.
// Everything else (parameters, security, the other responses, components) is left as it is.

/** @returns {{ doc: object, cuts: string[] }} */
export function deriveGenerationDoc(spec) {
  const schemas = spec.components.schemas;
  const PREFIX = "#/components/schemas/";
  const cuts = [];
  const inline = (schema, stack, where) => {
    if (Array.isArray(schema)) return schema.map((s, i) => inline(s, stack, `${where}[${i}]`));
    if (schema === null || typeof schema !== "object") return schema;
    if (typeof schema.$ref === "string") {
      if (!schema.$ref.startsWith(PREFIX)) throw new Error(`unexpected $ref ${schema.$ref} at ${where}`);
      const name = schema.$ref.slice(PREFIX.length);
      const target = schemas[name];
      if (!target) throw new Error(`dangling $ref ${schema.$ref} at ${where}`);
      if (stack.includes(name)) {
        if (target.nullable !== true) throw new Error(`cannot cut the cycle into ${name} at ${where}: it is not nullable`);
        cuts.push(`${where} -> ${name}`);
        return { nullable: true, enum: [null] };
      }
      return inline(target, [...stack, name], where);
    }
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === "properties") {
        out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, inline(s, stack, `${where}.${p}`)]));
      } else if (k === "items") {
        out[k] = inline(v, stack, `${where}[]`);
      } else if (k === "additionalProperties" || k === "not" || k === "allOf" || k === "oneOf" || k === "anyOf") {
        out[k] = inline(v, stack, `${where}.${k}`);
      } else {
        out[k] = v;
      }
    }
    return out;
  };
  const doc = structuredClone(spec);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const content = op?.responses?.["200"]?.content?.["application/json"];
      if (content?.schema) content.schema = inline(content.schema, [], `${method.toUpperCase()} ${path} 200`);
    }
  }
  return { doc, cuts };
}

/** The document without the 200 response schemas: what must be identical between copy and derived. */
export function withoutSuccessSchemas(spec) {
  const doc = structuredClone(spec);
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      const content = op?.responses?.["200"]?.content?.["application/json"];
      if (content) delete content.schema;
    }
  }
  return doc;
}
