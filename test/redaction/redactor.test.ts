import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/redaction/redactor.js';
import { sensitiveTerraformValues } from '../../src/redaction/terraform-sensitive.js';
import { CANARIES, CONFIGURED_SECRET, assertNoCanary, canaryScript } from '../helpers/canaries.js';

const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'reports');

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

});

/** Each shape on its own, in a line where no other rule (no secret-sounding key) would catch it. */
describe('credential shapes', () => {
  const redactor = new Redactor();
  const HEX64 = '0123456789abcdef'.repeat(4);

  it.each([
    ['AWS access key id (AKIA)', `user ${AWS_ID} denied`, AWS_ID],
    ['AWS temporary key id (ASIA)', 'ASIA2EXAMPLE0000XYZW\t2026-11-26', 'ASIA2EXAMPLE0000XYZW'],
    ['AWS role id (AROA)', 'assumed AROA1234567890ABCDEF:ci', 'AROA1234567890ABCDEF'],
    ['AWS user id (AIDA)', 'owner AIDAJQABLZS4A3QDU576 ok', 'AIDAJQABLZS4A3QDU576'],
    ['AWS secret access key', `CREDENTIALS\t${AWS_SECRET}\tend`, AWS_SECRET],
    ['AWS session token (FwoG)', 'session FwoGZXIvYXdzEJr//////////wEaDExampleExampleExampleExampleExample+/== ok', 'FwoGZXIvYXdzEJr'],
    ['AWS session token (IQoJ)', 'session IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJGMEQCIExampleExampleExample= ok', 'IQoJb3JpZ2luX2VjEHoaCXVz'],
    ['DigitalOcean personal token', `doctl auth init -t dop_v1_${HEX64}`, `dop_v1_${HEX64}`],
    ['DigitalOcean OAuth token', `bearer-less doo_v1_${HEX64}`, `doo_v1_${HEX64}`],
    ['DigitalOcean refresh token', `got dor_v1_${HEX64}`, `dor_v1_${HEX64}`],
    ['GitHub classic token', 'use ghp_ABCDEFghijkl0123456789mnopqrSTUVWXyz', 'ghp_ABCDEFghijkl0123456789mnopqrSTUVWXyz'],
    ['GitHub OAuth token', 'use gho_ABCDEFghijkl0123456789mnopqrSTUVWXyz', 'gho_ABCDEF'],
    ['GitHub user-to-server token', 'use ghu_ABCDEFghijkl0123456789mnopqrSTUVWXyz', 'ghu_ABCDEF'],
    ['GitHub server-to-server token', 'use ghs_ABCDEFghijkl0123456789mnopqrSTUVWXyz', 'ghs_ABCDEF'],
    ['GitHub refresh token', 'use ghr_ABCDEFghijkl0123456789mnopqrSTUVWXyz', 'ghr_ABCDEF'],
    ['GitHub fine-grained token', 'use github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg', 'github_pat_11ABCDEFG0'],
    ['Slack bot token', 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy', 'pdFZKVeTuE8sk7oOcBrzbqgy'],
    ['Slack user token', 'xoxp-17653672481-19874698323-19874698324-4b4f8c0d2c6e', '4b4f8c0d2c6e'],
    ['Slack legacy workspace token', 'xoxa-2-17653672481-19874698323-abcdef012345', 'abcdef012345'],
    ['Slack refresh token (xoxr)', 'xoxr-17653672481-abcdef012345', 'abcdef012345'],
    ['Slack session token (xoxs)', 'xoxs-17653672481-abcdef012345', 'abcdef012345'],
    ['Slack rotating token (xoxe.xoxp)', 'xoxe.xoxp-1-Mi0yLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz', 'Mi0yLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz'],
    ['Slack refresh token (xoxe-)', 'xoxe-1-My0xLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz', 'My0xLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz'],
    ['Slack app token', 'SLACK_APP=xapp-1-A0123456789-1234567890123-0123456789abcdef', '0123456789abcdef'],
    ['Slack incoming webhook', 'posting to https://hooks.slack.com/services/T0000AAAA/B0000BBBB/XXXXxxxxXXXXxxxxXXXXxxxx', 'XXXXxxxxXXXXxxxxXXXXxxxx'],
    ['JWT', 'id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dGhpcy1pcy1hLWZha2Utc2lnbmF0dXJl end', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0'],
    ['unsigned JWT', 'id eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. end', 'eyJzdWIiOiJ4In0'],
    ['npm token', 'using npm_abcdefghijklmnopqrstuvwxyz0123456789 for publish', 'npm_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['GitLab token', 'using glpat-AbCdEf0123456789xYzW to clone', 'glpat-AbCdEf0123456789xYzW'],
    ['Google API key', 'maps AIzaSyA-abcdefghijklmnopqrstuvwxyz01234 ok', 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234'],
    ['Stripe live secret key', 'charge with sk_live_51HabcdefGHIJKLmnopQRSTuv', 'sk_live_51HabcdefGHIJKLmnopQRSTuv'],
    ['Stripe restricted key', 'report with rk_live_51HabcdefGHIJKLmnopQRSTuv', 'rk_live_51HabcdefGHIJKLmnopQRSTuv'],
    ['SendGrid key', 'mail 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 end', 'TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr'],
    ['Vault token', 'vault token hvs.CAESIJlU9JMYEhOPYv4igdhm9PnZDrabYTobQ4Ymnlq1qY-LGh4KHGh2cy5', 'hvs.CAESIJlU9JMYEhOPYv4igdhm9PnZDrabYTobQ4Ymnlq1qY'],
    ['Terraform Cloud token', 'tfc abcdefghijklmn.atlasv1.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-ABCD end', 'atlasv1.ABCDEF'],
    ['Docker Hub token', 'login dckr_pat_abcdefghijklmnopqrstuvwx0 ok', 'dckr_pat_abcdefghijklmnopqrstuvwx0'],
    ['credentials in an https URL', 'remote https://deploy:p4ssw0rd@git.example.test/a.git', 'p4ssw0rd'],
    ['password with @ in a URL', 'db postgres://app:p@ss@db.internal:5432/app', 'p@ss'],
    ['password-only Redis URL', 'redis at redis://:r3d1s-pass@cache:6379/0', 'r3d1s-pass'],
  ])('removes a %s', (_what, input, secret) => {
    const out = redactor.redact(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('keeps what says what kind of credential went', () => {
    expect(redactor.redact('via https://hooks.slack.com/services/T0000AAAA/B0000BBBB/XXXXxxxxXXXXxxxxXXXXxxxx')).toBe(`via https://hooks.slack.com/services/${REDACTED}`);
    expect(redactor.redact('at redis://:r3d1s-pass@cache:6379/0')).toBe(`at redis://${REDACTED}@cache:6379/0`);
  });
});

describe('Authorization headers', () => {
  const redactor = new Redactor();

  it.each([
    ['Bearer', 'Authorization: Bearer abc.DEF-123_xyz', 'Authorization: Bearer [REDACTED]'],
    ['Basic', 'authorization: basic dXNlcjpwYXNzd29yZA==', 'authorization: basic [REDACTED]'],
    ['token', 'AUTHORIZATION: token 0123456789abcdef', 'AUTHORIZATION: token [REDACTED]'],
    ['no scheme', 'Authorization: s3cr3tvalue', 'Authorization: [REDACTED]'],
    ['curl -H', "+ curl -H 'Authorization: Bearer abc123' https://x", "+ curl -H 'Authorization: Bearer [REDACTED]' https://x"],
    ['curl -H, double quotes', '+ curl -H "authorization: Bearer abc123" https://x', '+ curl -H "authorization: Bearer [REDACTED]" https://x'],
    ['JSON headers', '{"Authorization": "Bearer abc123"}', '{"Authorization": "Bearer [REDACTED]"}'],
    ['proxy', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic [REDACTED]'],
    ['bearer in another header', 'X-Upstream-Auth: Bearer 9f8e7d6c5b4a', 'X-Upstream-Auth: Bearer [REDACTED]'],
  ])('%s', (_what, input, expected) => {
    expect(redactor.redact(input)).toBe(expected);
  });
});

describe('secret-named pairs', () => {
  const redactor = new Redactor();

  it.each([
    ['AWS_SECRET_ACCESS_KEY=', 'AWS_SECRET_ACCESS_KEY=notshapedlikeaws', 'AWS_SECRET_ACCESS_KEY=[REDACTED]'],
    ['aws_session_token (ini)', 'aws_session_token = anything-at-all-1', 'aws_session_token = [REDACTED]'],
    ['AWS_SESSION_TOKEN=', 'AWS_SESSION_TOKEN=anything-at-all-1', 'AWS_SESSION_TOKEN=[REDACTED]'],
    ['db_password: (YAML)', '  db_password: hunter2', '  db_password: [REDACTED]'],
    ['GITHUB_TOKEN=', 'GITHUB_TOKEN=whatever123', 'GITHUB_TOKEN=[REDACTED]'],
    ['export KEY="value"', 'export API_KEY="with spaces inside"', 'export API_KEY="[REDACTED]"'],
    ["export KEY='value'", "export DEPLOY_SECRET='x y z'", "export DEPLOY_SECRET='[REDACTED]'"],
    ['"client_secret": "…"', '{"client_secret": "abc\\"def", "name": "apollo"}', '{"client_secret": "[REDACTED]", "name": "apollo"}'],
    ['JSON inside a JSON string', '{"log":"{\\"password\\":\\"hunter2\\"}"}', '{"log":"{\\"password\\":\\"[REDACTED]\\"}"}'],
    ['Azure AccountKey', 'AccountName=x;AccountKey=abc+def/ghi==;EndpointSuffix=core.windows.net', 'AccountName=x;AccountKey=[REDACTED];EndpointSuffix=core.windows.net'],
    ['contains SECRET', 'SECRET_ARN_VALUE=arn-123', 'SECRET_ARN_VALUE=[REDACTED]'],
    ['contains PASSWORD', 'password_for_admin: admin123', 'password_for_admin: [REDACTED]'],
    ['PASSWD', 'MYSQL_ROOT_PASSWD=toor1', 'MYSQL_ROOT_PASSWD=[REDACTED]'],
    ['query string', 'GET /cb?access_token=abc123&state=ok', 'GET /cb?access_token=[REDACTED]&state=ok'],
    ['command-line flag', 'mysql --password=hunter2 -h db', 'mysql --password=[REDACTED] -h db'],
    ['header-style key', 'X-Api-Key: abcdef123', 'X-Api-Key: [REDACTED]'],
    ['lower-case token:', 'token: abcdef123', 'token: [REDACTED]'],
  ])('%s', (_what, input, expected) => {
    expect(redactor.redact(input)).toBe(expected);
  });

  it.each([
    ['empty KEY=', 'PASSWORD='],
    ['empty KEY: ', 'db_password: '],
    ['empty quoted', 'export API_KEY=""'],
    ['terraform plan mask', '  + password = (sensitive value)'],
    ['JSON null', '{"resource_key":null}'],
    ["terraform's id_key", '{"id_key":"id","id_value":"4da4c6b5"}'],
    ['a token of a parser', 'SyntaxError: Unexpected token: }'],
    ['YAML block scalar', 'private_key: |'],
    ['prose "configuration key"', "* unknown configuration key: 'iso_checksum_type'"],
    ['public keys', 'ssh_public_key = ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'],
    ['keys that only contain KEY', 'KEY_ID=12345 keyboard=us'],
  ])('keeps %s', (_what, input) => {
    expect(redactor.redact(input)).toBe(input);
  });
});

describe('private keys', () => {
  const redactor = new Redactor();

  it.each(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PGP PRIVATE KEY BLOCK'])('hides the whole body of a %s block', (type) => {
    const text = `before\n-----BEGIN ${type}-----\nProc-Type: 4,ENCRYPTED\n\nline1AAAA\nline2BBBB\n=CCCC\n-----END ${type}-----\nafter`;
    expect(redactor.redact(text)).toBe(`before\n-----BEGIN ${type}-----\n${REDACTED}\n-----END ${type}-----\nafter`);
  });

  it('hides everything after a BEGIN line whose END never came (cut output)', () => {
    const out = redactor.redact('step 1\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nsecondline\nthirdline');
    expect(out).toBe(`step 1\n-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n`);
  });

  it('hides a key inside a JSON string (escaped newlines) and in SSH2 format', () => {
    expect(redactor.redact('{"k":"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n","n":1}')).toBe(`{"k":"-----BEGIN PRIVATE KEY----- ${REDACTED} -----END PRIVATE KEY-----\\n","n":1}`);
    expect(redactor.redact('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/56wAAAi4AAAA3\n---- END SSH2 ENCRYPTED PRIVATE KEY ----')).not.toContain('P2/56wAAAi4AAAA3');
  });

  it('keeps certificates, public keys, and scripts that only mention the marker', () => {
    const text = [
      '-----BEGIN CERTIFICATE-----',
      'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ',
      '-----END CERTIFICATE-----',
      "+ grep -q -- '-----BEGIN OPENSSH PRIVATE KEY-----' ~/.ssh/id_ed25519",
      'still shown',
    ].join('\n');
    expect(redactor.redact(text)).toBe(text);
  });
});

describe('configured values', () => {
  const value = 'Sup3r"Secret\\Value';
  const redactor = new Redactor([value]);

  it.each([
    ['raw', value],
    ['JSON-escaped', JSON.stringify(value).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(value)],
    ['base64', Buffer.from(value).toString('base64')],
    ['base64 without padding', Buffer.from(value).toString('base64').replace(/=+$/, '')],
    ['url-safe base64', Buffer.from(value).toString('base64url')],
    ['mrkdwn-escaped', 'Pa&ss<w0rd>'],
  ])('finds the %s form', (_form, spelled) => {
    const r = spelled === 'Pa&ss<w0rd>' ? new Redactor(['Pa&ss<w0rd>']) : redactor;
    const shown = spelled === 'Pa&ss<w0rd>' ? 'Pa&amp;ss&lt;w0rd&gt;' : spelled;
    expect(r.redact(`before ${shown} after`)).toBe(`before ${REDACTED} after`);
  });

  it('finds base64 of a value inside a larger blob, at every byte offset', () => {
    for (const prefix of ['', 'u:', 'us:', 'user:']) {
      const blob = Buffer.from(`${prefix}${value}\n`).toString('base64');
      const out = redactor.redact(`auth ${blob}`);
      expect(out).toContain(REDACTED);
      // Left around the placeholder: the prefix's own characters, and at most one 4-character group
      // on each side that mixes the value's bytes with its neighbours'.
      const left = out.slice('auth '.length).replace(REDACTED, '');
      expect(left.length).toBeLessThanOrEqual(Math.ceil((prefix.length * 4) / 3) + 8);
    }
  });

  it('finds a multi-line value line by line, and its JSON spelling in one piece', () => {
    const multi = 'first-line-secret\nsecond-line-secret';
    const r = new Redactor([multi]);
    expect(r.redact(`x ${multi} y`)).toBe(`x ${REDACTED}\n${REDACTED} y`);
    expect(r.redact(`{"v":${JSON.stringify(multi)}}`)).toBe(`{"v":"${REDACTED}"}`);
  });

  it('looks for a multi-line value without its indentation, and not for its blank or BEGIN/END lines', () => {
    const r = new Redactor(['{\n        "type": "service_account",\n        \n}', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAconfigured\n-----END RSA PRIVATE KEY-----']);
    expect(r.redact('  "type": "service_account",')).toBe(`  ${REDACTED}`);
    expect(r.redact('a        b')).toBe('a        b');
    expect(r.redact('-----BEGIN RSA PRIVATE KEY-----\nMIIEother\n-----END RSA PRIVATE KEY-----')).toBe(`-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n-----END RSA PRIVATE KEY-----`);
    expect(r.redact('line MIIEowIBAAKCAQEAconfigured')).toBe(`line ${REDACTED}`);
  });

  it('ignores values shorter than 6 characters', () => {
    expect(new Redactor(['abcde']).redact('abcde')).toBe('abcde');
  });

  it('learns more values with withValues, leaving the original as it was', () => {
    const base = new Redactor(['first-secret']);
    const more = base.withValues(['learned-secret']);
    expect(more.redact('first-secret learned-secret')).toBe(`${REDACTED} ${REDACTED}`);
    expect(base.redact('learned-secret')).toBe('learned-secret');
  });
});

describe('terraform sensitive outputs', () => {
  const redactor = new Redactor();
  const fixture = readFileSync(join(FIXTURES, 'terraform-output.json'), 'utf8');

  it('keeps every terraform fixture (no sensitive output in them) as it is', () => {
    for (const name of readdirSync(FIXTURES).filter((f) => f.startsWith('terraform-'))) {
      const text = readFileSync(join(FIXTURES, name), 'utf8');
      expect(redactor.redact(text), name).toBe(text);
    }
  });

  it('redacts the value of a sensitive output of `terraform output -json`, and only that', () => {
    const text = fixture.replace('"sensitive": false,\n    "type": "string",\n    "value": "10.0.0.1', '"sensitive": true,\n    "type": "string",\n    "value": "10.0.0.1');
    const out = redactor.redact(text);
    expect(out).not.toContain('10.0.0.1');
    expect(out).toContain('"value": "c82b5973-fe97-dd34-866c-fc7deb47b882"');
    expect(out).toContain(`"value": "${REDACTED}"\n  }\n}`);
    expect(JSON.parse(out)).toMatchObject({ master_ips: { sensitive: true, value: REDACTED } });
  });

  it.each([
    ['a number', '5432'],
    ['a bool', 'true'],
    ['a list', '[\n      "a-secret",\n      "b-secret"\n    ]'],
    ['a nested object', '{\n      "user": "admin",\n      "pass": {\n        "inner": ["x}y", 1]\n      }\n    }'],
    ['a string with escapes', '"quote \\" and brace } inside"'],
  ])('redacts a sensitive value that is %s, however many lines it spans', (_what, value) => {
    const text = `{\n  "db": {\n    "sensitive": true,\n    "type": [\n      "object",\n      {\n        "a": "string"\n      }\n    ],\n    "value": ${value}\n  },\n  "region": {\n    "sensitive": false,\n    "type": "string",\n    "value": "eu-west-1"\n  }\n}\n`;
    const out = redactor.redact(text);
    expect(JSON.parse(out)).toEqual({ db: { sensitive: true, type: ['object', { a: 'string' }], value: REDACTED }, region: { sensitive: false, type: 'string', value: 'eu-west-1' } });
  });

  it('redacts sensitive values in one-line JSON and JSON lines', () => {
    const line = '{"a":{"sensitive":true,"type":"string","value":"s3cret-a"},"b":{"sensitive":false,"type":"string","value":"shown"},"c":{"sensitive":true,"value":{"k":"s3cret-c"},"type":"object"}}';
    expect(JSON.parse(redactor.redact(line))).toEqual({ a: { sensitive: true, type: 'string', value: REDACTED }, b: { sensitive: false, type: 'string', value: 'shown' }, c: { sensitive: true, value: REDACTED, type: 'object' } });
    // terraform's -json UI omits sensitive values; nothing to do, and nothing is swallowed.
    const ui = '{"outputs":{"db":{"sensitive":true,"type":"string","action":"create"}},"type":"outputs"}';
    expect(redactor.redact(ui)).toBe(ui);
  });

  it('hides what there is of a value the output cut off', () => {
    const out = redactor.redact('{\n  "db": {\n    "sensitive": true,\n    "type": "string",\n    "value": "s3cret-cut');
    expect(out).toBe(`{\n  "db": {\n    "sensitive": true,\n    "type": "string",\n    "value": "${REDACTED}"`);
  });

  it('leaves a "sensitive": true that is not followed by JSON alone', () => {
    const text = 'docs say "sensitive": true marks an output; value: shown';
    expect(redactor.redact(text)).toBe(text);
  });

  it('lists the sensitive values (strings and numbers, nested ones too) for the rest of the run', () => {
    const text = '{"a":{"sensitive":true,"type":"string","value":"s3cret-a"},"b":{"sensitive":false,"type":"string","value":"shown"},"c":{"sensitive":true,"type":"object","value":{"k":["s3cret-c",1234567,true,null]}}}';
    expect(sensitiveTerraformValues(text).sort()).toEqual(['1234567', 's3cret-a', 's3cret-c']);
    expect(sensitiveTerraformValues(fixture)).toEqual([]);
    expect(sensitiveTerraformValues('not json "sensitive": true')).toEqual([]);
    const learned = new Redactor().withValues(sensitiveTerraformValues(text));
    expect(learned.redact('echo s3cret-c')).toBe(`echo ${REDACTED}`);
  });
});

describe('ordinary output stays readable', () => {
  const redactor = new Redactor(['s3cr3t-value']);

  it.each([
    ['a git SHA', `HEAD is now at ${SHA} Deploy`],
    ['an upper-case SHA', `commit ${SHA.toUpperCase()}`],
    ['a run id', 'run d12: deploy aws-public of 4d124eb (main) requested by U0REQUEST'],
    ['terraform apply', 'terraform apply: 1 added, 0 changed, 0 destroyed'],
    ['terraform apply summary', 'Apply complete! Resources: 1 added, 0 changed, 0 destroyed.'],
    ['a UUID', 'cluster_id = "c82b5973-fe97-dd34-866c-fc7deb47b882"'],
    ['an image digest', 'sha256:9b2a1f0c8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3'],
    ['a URL without credentials', 'GET https://api.example.test/v1/deploys?page=2 200'],
    ['an scp-style git remote', 'git@github.com:apollo/apollo.git'],
    ['an e-mail', 'requested by ada@example.test'],
    ['a bearer token type', '"token_type": "Bearer"'],
    ['a docker build step', 'Step 3/12 : RUN apt-get update && apt-get install -y curl'],
    ['an npm warning', 'npm warn deprecated inflight@1.0.6: This module is not supported'],
    ['a bats line', 'ok 12 apollo bootstrap installs consul'],
    ['a Java class name', 'at org.example.deploy.SomeVeryLongClassNameForTests.run(Main.java:42)'],
    ['an ssh public key', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7example+examplekeybodyexampleexampleexample ci@apollo'],
    ['a base64 line of a certificate', 'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ'],
  ])('keeps %s', (_what, line) => {
    expect(redactor.redact(line)).toBe(line);
  });

  it('is idempotent', () => {
    const text = CANARIES.map((c) => c.line).join('\n');
    const once = new Redactor([CONFIGURED_SECRET]).redact(text);
    expect(new Redactor([CONFIGURED_SECRET]).redact(once)).toBe(once);
  });
});

describe('canaries', () => {
  const redactor = new Redactor([CONFIGURED_SECRET]);

  it('has one canary per shape, at least 24', () => {
    expect(CANARIES.length).toBeGreaterThanOrEqual(24);
    expect(new Set(CANARIES.map((c) => c.shape)).size).toBe(CANARIES.length);
    for (const c of CANARIES) expect(c.line, c.shape).toContain(c.secret);
  });

  it.each(CANARIES.map((c) => [c.shape, c] as const))('hides the %s canary', (_shape, canary) => {
    const out = redactor.redact(canary.line);
    expect(out).not.toContain(canary.secret);
    expect(out).toContain(REDACTED);
  });

  it('finds canaries in a text, and none once it is redacted', () => {
    const all = CANARIES.map((c) => c.line).join('\n');
    expect(assertNoCanary(all)).toEqual([...new Set(CANARIES.map((c) => c.secret))]);
    expect(assertNoCanary(redactor.redact(all))).toEqual([]);
    expect(assertNoCanary(JSON.stringify({ text: `x ${CONFIGURED_SECRET}` }))).toContain(CONFIGURED_SECRET);
  });

  it('prints every canary line with printf and single quotes', () => {
    const script = canaryScript();
    expect(script.split('\n').filter((l) => l.startsWith("printf '%s\\n' '"))).toHaveLength(CANARIES.length);
    expect(script).toContain(`'\\''Authorization: Bearer`);
  });

  it('finds 40-character AWS secrets exactly where the lookaround expression they replace does', () => {
    // The expression the probe-and-measure scan replaced (faster, same matches): the oracle here.
    const expression = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
    const plain = new Redactor();
    // Letters no other shape starts with, so only this rule can act; runs of 38 to 42, near the edge.
    const keyChars = 'aBqZ7/+';
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let redactedRuns = 0;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let runs = random(5); runs >= 0; runs--) {
        const length = 38 + random(5);
        for (let c = 0; c < length; c++) text += random(60) === 0 ? '=' : keyChars[random(keyChars.length)];
        text += [' ', '\n', '\t', ',', '-', '"', ''][random(7)];
      }
      const expected = text.replace(expression, REDACTED);
      if (expected !== text) redactedRuns++;
      expect(plain.redact(text), JSON.stringify(text)).toBe(expected);
    }
    expect(redactedRuns).toBeGreaterThan(100);
    // At the very start and end of the text, and a git SHA beside one.
    expect(plain.redact(AWS_SECRET)).toBe(REDACTED);
    expect(plain.redact(`${SHA} ${AWS_SECRET}`)).toBe(`${SHA} ${REDACTED}`);
  });
});
