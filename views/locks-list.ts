import type { CloudLockState } from '../src/queue/cloud-locks.js';
import { escapeMrkdwn } from './limits.js';
import { lockMessage } from './lock-message.js';

/** `/apollo locks`: who holds each cloud. */
export function renderLocks(clouds: { cloud: string; state: CloudLockState }[]): string {
  const lines = clouds.flatMap(({ cloud, state }) => {
    const out: string[] = [];
    if (state.sticky) out.push(`:lock: ${lockMessage(cloud, 'sticky', state.sticky)}`);
    if (state.run) out.push(`:gear: ${lockMessage(cloud, 'run', state.run)}`);
    if (!state.run && !state.sticky) out.push(`:white_check_mark: *${escapeMrkdwn(cloud)}* is free`);
    return out;
  });
  return lines.join('\n') || 'No clouds are configured.';
}
