import { describe, expect, it } from 'vitest';
import { WorkflowRunEvent } from '../../../src/webhooks/github/schemas.js';
import { fixture } from '../webhook-client.js';

describe('workflow_run', () => {
  it('refuses a payload whose fields have the wrong shape, by path', () => {
    const payload = fixture('workflow_run.completed.success.json');
    delete payload.workflow_run.head_sha;
    payload.workflow_run.run_number = 'five';
    const result = WorkflowRunEvent.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['workflow_run.head_sha', 'workflow_run.run_number']);
  });
});
