import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

const refName = (ref: string) => ref.split('/').pop() ?? ref;

function typeName(s: JsonSchema): string {
  if (s.$ref) return `[${refName(s.$ref)}](#${refName(s.$ref)})`;
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeName).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeName(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
    return `map of ${typeName(s.additionalProperties)}`;
  }
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const required = schema.required?.includes(key) && child.default === undefined ? 'yes' : '';
    const def = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
    const meaning = (child.description ?? '').replaceAll('|', '\\|');
    out.push(`| \`${path}\` | ${typeName(child)} | ${required} | ${def} | ${meaning} |`);
    if (child.properties) rows(child, path, out);
    if (child.type === 'array' && child.items?.properties) rows(child.items, `${path}[]`, out);
    const values = child.additionalProperties;
    if (values && typeof values === 'object' && values.properties) rows(values, `${path}.<name>`, out);
  }
}

/** The README's config reference, made from the schema so the two never disagree. */
export function configReference(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const head = ['| key | type | required | default | meaning |', '| --- | --- | --- | --- | --- |'];
  const out = [...head];
  rows(schema, '', out);
  for (const [name, def] of Object.entries(schema.$defs ?? {})) {
    out.push('', `#### ${name}`, '', ...head);
    rows(def, `<${name}>`, out);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${configReference()}\n`);
}
