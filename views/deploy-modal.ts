import type { KnownBlock, ModalView, Option } from '@slack/types';
import { capBlocks, clamp, LIMITS, plain } from './limits.js';

/** The deploy form's callback id and its inputs (block id = action id), as the listener reads them back. */
export const DEPLOY_MODAL = { callbackId: 'deploy_request', clouds: 'clouds', ref: 'ref', tests: 'tests', lifetime: 'lifetime', keep: 'keep', reason: 'reason' } as const;

/** Slack's checkboxes and radio buttons take at most 10 options. */
const MAX_OPTIONS = 10;

/** What the form carries back on submit: where the request was made (its card goes there). */
export interface DeployModalMetadata {
  channel: string;
}

export interface DeployModalOptions {
  clouds: string[];
  suites: string[];
  channel: string;
  /** Whether deploys may have a lifetime (a destroy pipeline is configured). */
  lifetimes: boolean;
}

const option = (value: string, text: string): Option => ({ text: plain(text, 75), value: clamp(value, 150) });

/**
 * `/apollo deploy` without arguments (or the App Home's button): a form with the clouds as
 * checkboxes, a commit or branch, the test suites, the lifetime and a reason. Submitting it is
 * asking with the command.
 */
export function renderDeployModal({ clouds, suites, channel, lifetimes }: DeployModalOptions): ModalView {
  const blocks: KnownBlock[] = [
    { type: 'input', block_id: DEPLOY_MODAL.clouds, label: plain('Clouds', 2000), element: { type: 'checkboxes', action_id: DEPLOY_MODAL.clouds, options: clouds.slice(0, MAX_OPTIONS).map((c) => option(c, c)) } },
    { type: 'input', block_id: DEPLOY_MODAL.ref, label: plain('Commit, branch or tag', 2000), element: { type: 'plain_text_input', action_id: DEPLOY_MODAL.ref, max_length: 255, placeholder: plain('e.g. main or 4d124eb', 150) } },
  ];
  if (suites.length > 0) {
    const options = suites.slice(0, MAX_OPTIONS).map((s) => option(s, s));
    blocks.push({ type: 'input', block_id: DEPLOY_MODAL.tests, optional: true, label: plain('Test suites (none ticked: no tests)', 2000), element: { type: 'checkboxes', action_id: DEPLOY_MODAL.tests, options, initial_options: options } });
  }
  if (lifetimes) {
    const stays = option('stays', 'Stays until destroyed (or the configured default)');
    blocks.push(
      { type: 'input', block_id: DEPLOY_MODAL.lifetime, label: plain('Lifetime', 2000), element: { type: 'radio_buttons', action_id: DEPLOY_MODAL.lifetime, options: [stays, option('ephemeral', 'Ephemeral: torn down after its tests'), option('keep', 'Kept for the time below, then destroyed')], initial_option: stays } },
      { type: 'input', block_id: DEPLOY_MODAL.keep, optional: true, label: plain('Keep for (with "Kept"), e.g. 4h', 2000), element: { type: 'plain_text_input', action_id: DEPLOY_MODAL.keep, max_length: 20 } },
    );
  }
  blocks.push({ type: 'input', block_id: DEPLOY_MODAL.reason, optional: true, label: plain('Reason', 2000), element: { type: 'plain_text_input', action_id: DEPLOY_MODAL.reason, max_length: 300, multiline: true } });
  const metadata: DeployModalMetadata = { channel };
  return {
    type: 'modal',
    callback_id: DEPLOY_MODAL.callbackId,
    private_metadata: clamp(JSON.stringify(metadata), LIMITS.privateMetadata),
    title: plain('Request a deploy', LIMITS.viewTitle),
    submit: plain('Request', LIMITS.viewButton),
    close: plain('Cancel', LIMITS.viewButton),
    blocks: capBlocks(blocks, LIMITS.blocksPerView),
  };
}
