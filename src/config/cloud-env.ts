import type { Config } from './schema.js';

/** One cloud's environment as its deploy and destroy steps see it, and which of its values are secret. */
export interface ResolvedCloudEnv {
  env: Record<string, string>;
  secrets: string[];
}

/**
 * Resolves `clouds.<name>.env`: literal strings, `{value, secret}` and `{fromEnv}` (read from the
 * worker's environment when the lane starts, so credentials never have to sit in apollo.yml).
 * A `fromEnv` variable the worker does not have is left out rather than passed empty.
 */
export function resolveCloudEnv(config: Pick<Config, 'clouds'>, cloud: string, source: NodeJS.ProcessEnv = process.env): ResolvedCloudEnv {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(config.clouds[cloud]?.env ?? {})) {
    if (typeof value === 'string') {
      env[name] = value;
    } else if ('fromEnv' in value) {
      const found = source[value.fromEnv];
      if (found === undefined || found === '') continue;
      env[name] = found;
      if (value.secret) secrets.push(found);
    } else {
      env[name] = value.value;
      if (value.secret) secrets.push(value.value);
    }
  }
  return { env, secrets };
}

/**
 * Every secret value this process can know: the variables named in `secrets:` and the secret
 * values of every cloud's env. The redactor removes them (and their encodings) from all output.
 */
export function configuredSecretValues(config: Pick<Config, 'clouds' | 'secrets'>, source: NodeJS.ProcessEnv = process.env): string[] {
  const values: string[] = [];
  for (const name of config.secrets) {
    const value = source[name];
    if (value) values.push(value);
  }
  for (const cloud of Object.keys(config.clouds)) values.push(...resolveCloudEnv(config, cloud, source).secrets);
  return values;
}
