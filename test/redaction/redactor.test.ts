import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, secretValues } from '../../src/redaction/redactor.js';

const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

describe('redactor', () => {
  const redactor = new Redactor(['s3cr3t-value', 'abc']);

  it.each([
    ['configured values', 'token is s3cr3t-value!', 's3cr3t-value'],
    ['AWS access key ids', `id=${AWS_ID}`, AWS_ID],
    ['AWS secret keys', `export AWS_SECRET_ACCESS_KEY="${AWS_SECRET}"`, AWS_SECRET],
    ['bare AWS secret keys', `key ${AWS_SECRET} end`, AWS_SECRET],
    ['Slack bot tokens', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp', 'xoxb-123456789012'],
    ['Slack user tokens', 'xoxp-1-2-3-abcdef', 'xoxp-1-2-3-abcdef'],
    ['private keys', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA'],
    ['unterminated private keys', 'x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA', 'b3BlbnNzaC1rZXktdjEAAAA'],
    ['password= pairs', 'mysql -u root password=hunter2 -h db', 'hunter2'],
    ['quoted pairs', 'api_key: "kd83kd9"', 'kd83kd9'],
  ])('removes %s', (_what, input, secret) => {
    const out = redactor.redact(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('finds configured values after views escaped them for mrkdwn', () => {
    const r = new Redactor(['Pa&ss<w0rd>Xy']);
    expect(r.redact('tail: Pa&amp;ss&lt;w0rd&gt;Xy end')).toBe(`tail: ${REDACTED} end`);
    expect(r.redact('raw: Pa&ss<w0rd>Xy')).toBe(`raw: ${REDACTED}`);
  });

  it('removes credentials in URLs and GitHub tokens', () => {
    expect(redactor.redact('clone https://x-access-token:s3@github.com/a/b.git failed')).toBe(`clone https://${REDACTED}@github.com/a/b.git failed`);
    expect(redactor.redact('token ghp_abcdefghijklmnopqrstuvwxyz0123456789')).toBe(`token ${REDACTED}`);
    expect(redactor.redact('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
  });

  it('keeps git SHAs, ordinary words and short values readable', () => {
    const text = `commit ${SHA} passed; abc is too short to redact; Terraform Apply complete!`;
    expect(redactor.redact(text)).toBe(text);
  });

  it('walks blocks and attachments', () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: `x ${AWS_ID}` } }, { elements: [`s3cr3t-value`] }];
    expect(JSON.stringify(redactor.redactDeep(blocks))).not.toMatch(/AKIA|s3cr3t/);
  });

  it('collects secret values from `secrets:` env names and secret cloud env entries', () => {
    const values = secretValues(
      { secrets: ['DO_TOKEN', 'UNSET'], clouds: { aws: { env: { A: 'plain', B: { value: 'cloud-secret', secret: true }, C: { value: 'visible', secret: false } } } } },
      { DO_TOKEN: 'do-token-value' },
    );
    expect(values.sort()).toEqual(['cloud-secret', 'do-token-value']);
  });
});
