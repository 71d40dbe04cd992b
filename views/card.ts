import type { Run } from '../src/runs/run.js';
import { renderDeployCard, type DeployCardOptions } from './deploy-card.js';
import type { Message } from './limits.js';
import { renderRunCard } from './run-card.js';

export type CardOptions = DeployCardOptions;

/** The card of any run. */
export function renderCard(run: Run, options: CardOptions = {}): Message {
  return run.kind === 'deploy' ? renderDeployCard(run, options) : renderRunCard(run, options.now);
}
