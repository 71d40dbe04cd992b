import type { RunStatus, StepStatus } from '../src/runs/run.js';

export const STATUS_ICON: Record<StepStatus | RunStatus, string> = {
  queued: '⏳',
  running: '🔄',
  passed: '✅',
  failed: '❌',
  skipped: '⏭️',
  interrupted: '⚠️',
  cancelled: '🚫',
};

export const STATUS_WORD: Record<StepStatus | RunStatus, string> = {
  queued: 'queued',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
  cancelled: 'cancelled',
};
