import { shortSha } from '../src/git/ref.js';
import { ACTION } from './actions.js';
import { button, context, escapeMrkdwn, section, type Message } from './limits.js';

/** What the gate knows of a refused deploy: its commit, and what the person typed. */
export interface BuildRequired {
  sha: string;
  ref: string;
}

/**
 * The private answer to a deploy refused by `deploy.requireGreenBuild`: why, and a **Build it now**
 * button that asks for `/apollo build` of that exact commit (builders only, checked on click).
 */
export function renderBuildRequired({ sha, ref }: BuildRequired): Message {
  const named = ref !== sha && !sha.startsWith(ref) ? ` (${escapeMrkdwn(ref)})` : '';
  const text = `:no_entry: \`${shortSha(sha)}\`${named} has no passed build: \`deploy.requireGreenBuild\` is on. Build it, or wait for CI to pass, then ask again.`;
  return {
    text,
    blocks: [
      section(text),
      context(['An approver may deploy it anyway with `--force`; that is audited and shown on the card.']),
      { type: 'actions', block_id: `gate:${sha.slice(0, 40)}`, elements: [button('Build it now', ACTION.buildNow, sha, 'primary')] },
    ],
  };
}
