/**
 * Which terraform output values may appear in a summary. Outputs carry addresses, ids and often
 * credentials, and a summary goes to a Slack channel: a value is copied only when the config lists
 * its name in `publicOutputs` AND terraform does not mark it sensitive. Every other output is named,
 * never shown.
 */
import type { ShownOutput } from './terraform-details.js';

export interface TerraformOutput {
  name: string;
  sensitive: boolean;
  /** Absent when terraform did not print one (sensitive, or not known yet). */
  value?: unknown;
}

export interface OutputReport {
  notes: string[];
  /** Public outputs only, in terraform's order. */
  shown: ShownOutput[];
}

/** A value longer than this is clipped: it is shown in a card field of at most 2000 characters. */
const VALUE_CHARS = 500;

export function reportOutputs(outputs: readonly TerraformOutput[], publicOutputs: readonly string[] = []): OutputReport {
  const notes: string[] = [];
  const shown: ShownOutput[] = [];
  if (outputs.length === 0) return { notes, shown };

  const isPublic = new Set(publicOutputs);
  for (const output of outputs) {
    if (!isPublic.has(output.name)) continue;
    if (output.sensitive) {
      notes.push(`output ${output.name} is sensitive: its value is never shown, even though publicOutputs lists it`);
      continue;
    }
    if (output.value === undefined) continue;
    shown.push({ name: output.name, value: showable(output.value) });
  }
  const names = outputs.map((output) => output.name).join(', ');
  notes.unshift(
    shown.length > 0
      ? `${outputs.length} outputs (${names}); values shown for publicOutputs only: ${shown.map((output) => output.name).join(', ')}`
      : `${outputs.length} outputs (${names}); values hidden (none is listed in publicOutputs)`,
  );
  return { notes, shown };
}

function showable(value: unknown): string | number | boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}
