import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '@slack/bolt';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registerListeners } from '../../src/slack/app.js';
import type { Services } from '../../src/services.js';
import { FEATURE_SCOPES, WEB_API_SCOPES, requiredScopes } from '../../src/slack/scopes.js';
import { ACTION } from '../../views/actions.js';

/** What the code registers with Bolt, recorded by an App that only listens. */
interface Registrations {
  commands: string[];
  actions: string[];
  events: string[];
  /** Modal submissions (view_submission callback ids): they arrive through interactivity. */
  views: string[];
  /** Shortcuts, options: none today; the manifest must declare them if the code adds one. */
  other: string[];
}

function recordRegistrations(): Registrations {
  const found: Registrations = { commands: [], actions: [], events: [], views: [], other: [] };
  const id = (c: unknown): string | undefined => (typeof c === 'string' ? c : typeof (c as { action_id?: unknown })?.action_id === 'string' ? String((c as { action_id: string }).action_id) : undefined);
  const recorder = {
    command: (name: unknown) => found.commands.push(String(name)),
    // A RegExp (the catch-all for unknown buttons) is not a button the views can show.
    action: (constraint: unknown) => {
      const name = id(constraint);
      if (name) found.actions.push(name);
    },
    event: (name: unknown) => found.events.push(String(name)),
    shortcut: (name: unknown) => found.other.push(`shortcut ${String(id(name))}`),
    view: (name: unknown) => found.views.push(String(typeof name === 'string' ? name : (name as { callback_id?: unknown })?.callback_id)),
    options: (name: unknown) => found.other.push(`options ${String(id(name))}`),
    message: () => found.events.push('message'),
    use: () => undefined,
    error: () => undefined,
  };
  registerListeners(recorder as unknown as App, {} as Services);
  return found;
}

const SOURCE_DIRS = ['src', 'commands', 'views'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? (path.includes('playground') ? [] : sources(path)) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every Web API method the source calls: `client.chat.postMessage(`, `client.auth.test(`, `filesUploadV2(`. */
function webApiCallsInSource(): Map<string, string> {
  const calls = new Map<string, string>();
  for (const file of SOURCE_DIRS.flatMap(sources)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bclient\.((?:[a-z][A-Za-z]*\.)+[a-z][A-Za-z]*)\(/g)) calls.set(m[1]!, file);
    if (/\.filesUploadV2\(/.test(text)) {
      calls.set('files.getUploadURLExternal', file);
      calls.set('files.completeUploadExternal', file);
    }
  }
  return calls;
}

interface Manifest {
  features?: { slash_commands?: { command: string; url?: string }[]; shortcuts?: unknown[] };
  oauth_config?: { scopes?: { bot?: string[] } };
  settings?: { interactivity?: { is_enabled?: boolean; request_url?: string }; event_subscriptions?: { bot_events?: string[]; request_url?: string }; socket_mode_enabled?: boolean };
}

function readManifest(name: string): Manifest {
  return parse(readFileSync(join('slack', name), 'utf8')) as Manifest;
}

const missing = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

/** Each way the manifest and the code disagree, in words; empty when they agree. */
function disagreements(manifest: Manifest, code: Registrations, scopes: readonly string[]): string[] {
  const problems: string[] = [];
  const declaredScopes = manifest.oauth_config?.scopes?.bot ?? [];
  for (const s of missing(scopes, declaredScopes)) problems.push(`scope ${s}: the code needs it, the manifest does not ask for it`);
  for (const s of missing(declaredScopes, scopes)) problems.push(`scope ${s}: the manifest asks for it, no code needs it`);
  const declaredCommands = (manifest.features?.slash_commands ?? []).map((c) => c.command);
  for (const c of missing(code.commands, declaredCommands)) problems.push(`command ${c}: registered in the code, not in the manifest`);
  for (const c of missing(declaredCommands, code.commands)) problems.push(`command ${c}: in the manifest, no listener in the code`);
  const declaredEvents = manifest.settings?.event_subscriptions?.bot_events ?? [];
  for (const e of missing(code.events, declaredEvents)) problems.push(`event ${e}: listened for in the code, not subscribed in the manifest`);
  for (const e of missing(declaredEvents, code.events)) problems.push(`event ${e}: subscribed in the manifest, no listener in the code`);
  const interactive = manifest.settings?.interactivity?.is_enabled === true;
  if (code.actions.length > 0 && !interactive) problems.push(`actions ${code.actions.join(', ')}: handled in the code, but the manifest turns interactivity off`);
  if (code.actions.length === 0 && interactive) problems.push('interactivity: on in the manifest, no action handled in the code');
  if (code.views.length > 0 && !interactive) problems.push(`views ${code.views.join(', ')}: submitted to the code, but the manifest turns interactivity off`);
  for (const a of missing(Object.values(ACTION), code.actions)) problems.push(`action ${a}: a button the views show, no handler in the code`);
  for (const a of missing(code.actions, Object.values(ACTION))) problems.push(`action ${a}: handled in the code, no view shows it`);
  for (const o of code.other) problems.push(`${o}: registered in the code; declare it in the manifest and teach this test`);
  if ((manifest.features?.shortcuts ?? []).length > 0) problems.push('shortcuts: in the manifest, no listener in the code');
  return problems;
}

describe('slack/manifest.yml and the code agree', () => {
  const code = recordRegistrations();

  it('knows the scope of every Web API method the source calls, and calls every method it lists', () => {
    const calls = webApiCallsInSource();
    const unknown = [...calls].filter(([method]) => !(method in WEB_API_SCOPES)).map(([method, file]) => `${method} (${file})`);
    expect(unknown, 'add these methods and their scopes to src/slack/scopes.ts').toEqual([]);
    expect(missing(Object.keys(WEB_API_SCOPES), [...calls.keys()]), 'no code calls these any more: remove them from src/slack/scopes.ts').toEqual([]);
    expect(Object.keys(FEATURE_SCOPES)).toContain('commands');
  });

  it('records the registrations it compares', () => {
    expect(code.commands).toEqual(['/apollo']);
    expect(code.actions.length).toBeGreaterThan(0);
  });

  for (const file of ['manifest.yml', 'manifest.socket-mode.yml']) {
    it(`${file}: scopes, command, events and actions match`, () => {
      expect(disagreements(readManifest(file), code, requiredScopes())).toEqual([]);
    });
  }

  it('HTTP mode sends commands and interactions to /slack/events; Socket Mode names no URL', () => {
    const http = readManifest('manifest.yml');
    expect(http.settings?.socket_mode_enabled).toBe(false);
    expect(http.settings?.interactivity?.request_url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    for (const c of http.features?.slash_commands ?? []) expect(c.url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    const socket = readManifest('manifest.socket-mode.yml');
    expect(socket.settings?.socket_mode_enabled).toBe(true);
    expect(socket.settings?.interactivity?.request_url).toBeUndefined();
    for (const c of socket.features?.slash_commands ?? []) expect(c.url).toBeUndefined();
  });

  it('fails when either side is missing a scope, a command, an event or an action', () => {
    const manifest = readManifest('manifest.yml');
    const withoutScope: Manifest = { ...manifest, oauth_config: { scopes: { bot: (manifest.oauth_config?.scopes?.bot ?? []).filter((s) => s !== 'users:read') } } };
    expect(disagreements(withoutScope, code, requiredScopes())).toEqual(['scope users:read: the code needs it, the manifest does not ask for it']);
    expect(disagreements(manifest, code, requiredScopes().filter((s) => s !== 'files:write'))).toEqual(['scope files:write: the manifest asks for it, no code needs it']);
    expect(disagreements(manifest, { ...code, commands: [...code.commands, '/deploy'] }, requiredScopes())).toEqual(['command /deploy: registered in the code, not in the manifest']);
    expect(disagreements({ ...manifest, features: { ...manifest.features, slash_commands: [] } }, code, requiredScopes())).toEqual(['command /apollo: registered in the code, not in the manifest']);
    expect(disagreements(manifest, { ...code, events: [...code.events, 'app_mention'] }, requiredScopes())).toEqual(['event app_mention: listened for in the code, not subscribed in the manifest']);
    expect(disagreements({ ...manifest, settings: { ...manifest.settings, event_subscriptions: { bot_events: ['app_home_opened', 'app_mention'] } } }, code, requiredScopes())).toEqual([
      'event app_mention: subscribed in the manifest, no listener in the code',
    ]);
    expect(disagreements({ ...manifest, settings: { ...manifest.settings, event_subscriptions: { bot_events: [] } } }, code, requiredScopes())).toEqual([
      'event app_home_opened: listened for in the code, not subscribed in the manifest',
    ]);
    expect(disagreements(manifest, { ...code, actions: code.actions.filter((a) => a !== ACTION.destroy) }, requiredScopes())).toEqual([
      `action ${ACTION.destroy}: a button the views show, no handler in the code`,
    ]);
    expect(disagreements({ ...manifest, settings: { ...manifest.settings, interactivity: { is_enabled: false } } }, code, requiredScopes())[0]).toMatch(/^actions .*interactivity off$/);
  });
});
