import type { ConfirmationDialog } from '@slack/types';
import { plainText } from './limits.js';

/** Action ids of the buttons on cards; the listeners register one handler each. */
export const ACTION = {
  approve: 'deploy_approve',
  reject: 'deploy_reject',
  destroy: 'deploy_destroy',
  redeploy: 'deploy_redeploy',
  logs: 'deploy_logs',
  cancel: 'run_cancel',
  extend: 'deploy_extend',
  buildNow: 'gate_build_now',
  deployForm: 'home_deploy_form',
} as const;

/** A Slack confirm dialog for a dangerous button; its texts are raw (plain text, see plainText). */
export function confirmDialog(title: string, text: string, confirm: string): ConfirmationDialog {
  return {
    title: { type: 'plain_text', text: plainText(title).slice(0, 100) },
    text: { type: 'plain_text', text: plainText(text).slice(0, 300) },
    confirm: { type: 'plain_text', text: plainText(confirm).slice(0, 30) },
    deny: { type: 'plain_text', text: 'Keep it' },
    style: 'danger',
  };
}
