/**
 * Fake credentials, one per shape the redactor knows, each inside a line a tool or script might
 * really print. The values are shaped like the real thing (prefix, alphabet, length) so that they
 * exercise the same rules, and say FAKE/canary so nobody mistakes them for a leak.
 */

export interface Canary {
  shape: string;
  /** What a step prints (may span lines: key blocks, pretty JSON). */
  line: string;
  /** What must never be seen after redaction. */
  secret: string;
}

/**
 * A configured secret (add it to `secrets:` through an env var). The quote and backslash make its
 * JSON-escaped spelling differ from the raw one.
 */
export const CONFIGURED_SECRET = 'canary-configured-7f3a"x\\9';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

const CONFIGURED_BASE64 = b64(CONFIGURED_SECRET);
const CONFIGURED_JSON = JSON.stringify(CONFIGURED_SECRET).slice(1, -1);
const CONFIGURED_URL = encodeURIComponent(CONFIGURED_SECRET);

const JWT = [b64url('{"alg":"HS256","typ":"JWT"}'), b64url('{"sub":"fake-canary-user","iat":1700000000}'), b64url('fake-canary-jwt-signature')].join('.');
const BASIC = b64('fake-canary-user:FakeCanaryBasicPass0');
const HEX64 = 'c0ffee00'.repeat(8);

function pem(type: string, body: string, end = true): string {
  return [`-----BEGIN ${type}-----`, ...body.split('\n'), ...(end ? [`-----END ${type}-----`] : [])].join('\n');
}

const TERRAFORM_OUTPUT = `{
  "cluster_id": {
    "sensitive": false,
    "type": "string",
    "value": "c82b5973-fe97-dd34-866c-fc7deb47b882"
  },
  "db": {
    "sensitive": true,
    "type": [
      "object",
      {
        "password": "string",
        "port": "number"
      }
    ],
    "value": {
      "password": "FakeCanaryTfNestedPass0",
      "port": 5432
    }
  },
  "db_password": {
    "sensitive": true,
    "type": "string",
    "value": "FakeCanaryTfOutputValue0"
  }
}`;

export const CANARIES: Canary[] = [
  { shape: 'aws access key id', line: 'Using AWS access key AKIAFAKECANARY000001 for profile ci', secret: 'AKIAFAKECANARY000001' },
  { shape: 'aws temporary access key id', line: 'CREDENTIALS\tASIAFAKECANARY000002\t2026-11-26T07:03:54Z', secret: 'ASIAFAKECANARY000002' },
  { shape: 'aws secret access key', line: '+ aws configure set default.aws_secret_access_key fAKE/CanaryAwsSecretKey+0000000000000000', secret: 'fAKE/CanaryAwsSecretKey+0000000000000000' },
  {
    shape: 'aws session token (FwoG)',
    line: `CREDENTIALS\t2026-11-26T07:03:54Z\tFwoGZXIvYXdzEFAKEcanarySessionToken0000000000000000000000000000+/00==`,
    secret: 'FwoGZXIvYXdzEFAKEcanarySessionToken0000000000000000000000000000+/00==',
  },
  { shape: 'aws session token (IQoJ)', line: 'assumed role apollo-deploy, session IQoJb3JpZ2luX2VjEFAKEcanarySessionToken000000000000000000000000000=', secret: 'IQoJb3JpZ2luX2VjEFAKEcanarySessionToken000000000000000000000000000=' },
  { shape: 'aws_session_token pair', line: 'aws_session_token = FakeCanaryIniSessionToken0', secret: 'FakeCanaryIniSessionToken0' },
  { shape: 'digitalocean personal token', line: `+ doctl auth init --access-token dop_v1_${HEX64}`, secret: `dop_v1_${HEX64}` },
  { shape: 'digitalocean refresh token', line: `refreshed: dor_v1_${HEX64.replaceAll('c0', 'd1')}`, secret: `dor_v1_${HEX64.replaceAll('c0', 'd1')}` },
  { shape: 'github classic token', line: 'Using ghp_FAKEcanary00000000000000000000000000 to publish the release', secret: 'ghp_FAKEcanary00000000000000000000000000' },
  { shape: 'github app installation token', line: 'x-access token ghs_FAKEcanaryInstall000000000000000000000 expires in 1h', secret: 'ghs_FAKEcanaryInstall000000000000000000000' },
  {
    shape: 'github fine-grained token',
    line: 'gh auth status: token github_pat_11FAKECANARY0000000000_fakeCanaryFineGrained00000000000000000000000000000000000000',
    secret: 'github_pat_11FAKECANARY0000000000_fakeCanaryFineGrained00000000000000000000000000000000000000',
  },
  { shape: 'slack bot token', line: 'posting with xoxb-000000000000-000000000000-FAKEcanaryBotToken00000', secret: 'xoxb-000000000000-000000000000-FAKEcanaryBotToken00000' },
  { shape: 'slack user token', line: 'user token xoxp-000000000000-000000000000-000000000000-fakecanaryusertoken00000', secret: 'xoxp-000000000000-000000000000-000000000000-fakecanaryusertoken00000' },
  { shape: 'slack rotating token', line: 'rotated to xoxe.xoxp-1-FAKEcanaryRotatingUserToken0000000000', secret: 'xoxe.xoxp-1-FAKEcanaryRotatingUserToken0000000000' },
  { shape: 'slack refresh token', line: 'refresh with xoxe-1-FAKEcanaryRefreshToken000000000000', secret: 'xoxe-1-FAKEcanaryRefreshToken000000000000' },
  { shape: 'slack app token', line: 'socket mode app xapp-1-A00FAKE0000-0000000000000-fakecanaryapptoken000000000000', secret: 'xapp-1-A00FAKE0000-0000000000000-fakecanaryapptoken000000000000' },
  { shape: 'slack incoming webhook', line: 'notify via https://hooks.slack.com/services/T00000000/B00000000/FAKEcanaryWebhook0000000', secret: 'FAKEcanaryWebhook0000000' },
  { shape: 'jwt', line: `got id_token ${JWT} from the OIDC provider`, secret: JWT },
  { shape: 'authorization bearer header', line: "+ curl -sf -H 'Authorization: Bearer FakeCanaryBearer0000' https://api.example.test/deploy", secret: 'FakeCanaryBearer0000' },
  { shape: 'authorization basic header', line: `> authorization: basic ${BASIC}`, secret: BASIC },
  { shape: 'authorization token header', line: '> Authorization: token FakeCanaryTokenScheme0000', secret: 'FakeCanaryTokenScheme0000' },
  {
    shape: 'credentials in an https url',
    line: "fatal: unable to access 'https://deploy:FakeCanaryUrlPass0@git.example.test/apollo.git/': 403",
    secret: 'FakeCanaryUrlPass0',
  },
  { shape: 'password in a redis url', line: 'connecting to redis://:FakeCanaryRedisPass0@redis.example.test:6379/0', secret: 'FakeCanaryRedisPass0' },
  {
    shape: 'rsa private key',
    line: pem('RSA PRIVATE KEY', 'MIIEpAIBAAKCAQEAfakeCanaryRsaBodyLine00000000000000000000000000\nQ2FuYXJ5UnNhU2Vjb25kTGluZQ=='),
    secret: 'MIIEpAIBAAKCAQEAfakeCanaryRsaBodyLine00000000000000000000000000',
  },
  {
    shape: 'openssh private key',
    line: pem('OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEAAAAAfakeCanaryOpenSshBody000000000000000000'),
    secret: 'b3BlbnNzaC1rZXktdjEAAAAAfakeCanaryOpenSshBody000000000000000000',
  },
  { shape: 'ec private key', line: pem('EC PRIVATE KEY', 'MHcCAQEEIFakeCanaryEcBody0000000000000000000000000000000'), secret: 'MHcCAQEEIFakeCanaryEcBody0000000000000000000000000000000' },
  {
    shape: 'encrypted private key',
    line: pem('ENCRYPTED PRIVATE KEY', 'MIIFHDBOBgkqhkiG9w0BBQ0wfakeCanaryEncryptedBody000000000000'),
    secret: 'MIIFHDBOBgkqhkiG9w0BBQ0wfakeCanaryEncryptedBody000000000000',
  },
  {
    shape: 'pgp private key block',
    line: pem('PGP PRIVATE KEY BLOCK', '\nlQOYBGfakeCanaryPgpBody00000000000000000000\n=FAKE'),
    secret: 'lQOYBGfakeCanaryPgpBody00000000000000000000',
  },
  {
    shape: 'private key inside a json string',
    line: `{"type": "service_account", "private_key": "${pem('PRIVATE KEY', 'MIIEvQIBADANfakeCanaryJsonKeyBody0000').replaceAll('\n', '\\n')}\\n"}`,
    secret: 'MIIEvQIBADANfakeCanaryJsonKeyBody0000',
  },
  { shape: 'AWS_SECRET_ACCESS_KEY= pair', line: 'AWS_SECRET_ACCESS_KEY=FakeCanaryEnvAwsSecret0', secret: 'FakeCanaryEnvAwsSecret0' },
  { shape: 'GITHUB_TOKEN= pair', line: 'GITHUB_TOKEN=FakeCanaryEnvGithubToken0', secret: 'FakeCanaryEnvGithubToken0' },
  { shape: 'yaml password pair', line: '  db_password: FakeCanaryYamlPassword0', secret: 'FakeCanaryYamlPassword0' },
  { shape: 'export KEY="value"', line: '+ export API_KEY="FakeCanaryExportedKey0"', secret: 'FakeCanaryExportedKey0' },
  { shape: 'json client_secret', line: '{"client_id": "apollo", "client_secret": "FakeCanaryClientSecret0"}', secret: 'FakeCanaryClientSecret0' },
  {
    shape: 'azure connection string',
    line: 'DefaultEndpointsProtocol=https;AccountName=apollofake;AccountKey=FakeCanaryAzureKey0000+/0000==;EndpointSuffix=core.windows.net',
    secret: 'FakeCanaryAzureKey0000+/0000==',
  },
  { shape: '--password= flag', line: '+ mysql --password=FakeCanaryMysqlPass0 -h db.internal', secret: 'FakeCanaryMysqlPass0' },
  { shape: 'npm token', line: '//registry.npmjs.org/:_authToken=npm_FAKEcanaryNpmToken000000000000000000', secret: 'npm_FAKEcanaryNpmToken000000000000000000' },
  { shape: 'gitlab token', line: 'PRIVATE-TOKEN glpat-FAKEcanaryGitlab0000 accepted', secret: 'glpat-FAKEcanaryGitlab0000' },
  { shape: 'google api key', line: 'maps client configured with AIzaFAKEcanaryGoogleApiKey0000000000000', secret: 'AIzaFAKEcanaryGoogleApiKey0000000000000' },
  { shape: 'stripe secret key', line: 'billing configured with sk_live_FAKEcanaryStripe00000000000', secret: 'sk_live_FAKEcanaryStripe00000000000' },
  { shape: 'stripe restricted key', line: 'reporting uses rk_live_FAKEcanaryStripe00000000000', secret: 'rk_live_FAKEcanaryStripe00000000000' },
  {
    shape: 'sendgrid key',
    line: 'mailer: SG.FAKEcanarySendgrid0000.FAKEcanarySendgridSecret000000000000000000',
    secret: 'SG.FAKEcanarySendgrid0000.FAKEcanarySendgridSecret000000000000000000',
  },
  { shape: 'vault token', line: 'vault login ok, token hvs.FAKEcanaryVaultToken000000000000', secret: 'hvs.FAKEcanaryVaultToken000000000000' },
  {
    shape: 'terraform cloud token',
    line: 'credentials app.terraform.io FAKEcanary0000.atlasv1.FAKEcanaryTerraformCloudToken000000000000000000000000000000000000',
    secret: 'FAKEcanary0000.atlasv1.FAKEcanaryTerraformCloudToken000000000000000000000000000000000000',
  },
  { shape: 'docker hub token', line: 'docker login -u apollo --password-stdin <<< dckr_pat_FAKEcanaryDocker00000000', secret: 'dckr_pat_FAKEcanaryDocker00000000' },
  { shape: 'terraform output -json (string)', line: TERRAFORM_OUTPUT, secret: 'FakeCanaryTfOutputValue0' },
  { shape: 'terraform output -json (nested object)', line: TERRAFORM_OUTPUT, secret: 'FakeCanaryTfNestedPass0' },
  {
    shape: 'terraform output -json (one line)',
    line: '{"db_password":{"sensitive":true,"type":"string","value":"FakeCanaryTfOneLine0"},"region":{"sensitive":false,"type":"string","value":"eu-west-1"}}',
    secret: 'FakeCanaryTfOneLine0',
  },
  { shape: 'configured secret', line: `deploy credential in use: ${CONFIGURED_SECRET}`, secret: CONFIGURED_SECRET },
  { shape: 'configured secret, base64', line: `auth blob ${CONFIGURED_BASE64}`, secret: CONFIGURED_BASE64 },
  { shape: 'configured secret, JSON-escaped', line: `{"event":"login","detail":"${CONFIGURED_JSON}"}`, secret: CONFIGURED_JSON },
  { shape: 'configured secret, URL-encoded', line: `GET /callback?state=${CONFIGURED_URL} HTTP/1.1`, secret: CONFIGURED_URL },
  // Last: a key block that is cut off hides everything after it, other canaries included.
  {
    shape: 'private key without its END line',
    line: pem('RSA PRIVATE KEY', 'MIIEowIBAAKCAQEAfakeCanaryCutKeyBody000000000000\nfakeCanaryCutKeySecondLine00000', false),
    secret: 'fakeCanaryCutKeySecondLine00000',
  },
];

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A bash snippet that prints every canary line, verbatim (no expansion, no printf escapes). The last
 * canary is a key block cut off before its END line, so whatever the step prints after this snippet
 * is hidden as well (as it must be): print what a test needs to see before it.
 */
export function canaryScript(): string {
  return CANARIES.map((c) => `printf '%s\\n' ${shellQuote(c.line)}`).join('\n') + '\n';
}

/**
 * The canary secrets present in a text (empty when redaction did its job), also when the text is
 * JSON (Slack API payloads) and a secret in it is spelled JSON-escaped.
 */
export function assertNoCanary(text: string): string[] {
  const found = CANARIES.map((c) => c.secret).filter((secret) => text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1)));
  return [...new Set(found)];
}
