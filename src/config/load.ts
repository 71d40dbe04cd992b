import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ApolloError, ErrorCode } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { formatIssues, requiredErrorMap } from './issues.js';

/** Validates already-parsed YAML; throws ApolloError(ConfigInvalid) listing every problem by path. */
export function parseConfig(raw: unknown, source = 'apollo.yml'): Config {
  const result = ConfigSchema.safeParse(raw ?? {}, { error: requiredErrorMap });
  if (!result.success) {
    throw new ApolloError(ErrorCode.ConfigInvalid, `${source} is invalid:`, { details: formatIssues(result.error) });
  }
  const config = result.data;
  const problems: string[] = [];
  const clouds = Object.keys(config.clouds);
  if (config.deploy && clouds.length === 0) problems.push('clouds: required when deploy is set (at least one cloud)');
  if (config.deploy?.ephemeral && config.deploy.keep !== undefined) problems.push('deploy.keep: a deploy is either ephemeral or kept for a time, not both');
  if (config.deploy && (config.deploy.ephemeral || config.deploy.keep !== undefined) && !config.destroy) {
    problems.push(`deploy.${config.deploy.ephemeral ? 'ephemeral' : 'keep'}: needs destroy.steps, which tear the deploy down`);
  }
  if (config.deploy?.keep !== undefined && config.deploy.keep > config.deploy.maxKeep) problems.push('deploy.keep: longer than deploy.maxKeep');
  for (const cloud of clouds) {
    if (cloud === 'all') problems.push("clouds.all: 'all' is reserved for deploying to every cloud");
  }
  if (problems.length > 0) throw new ApolloError(ErrorCode.ConfigInvalid, `${source} is invalid:`, { details: problems });
  return config;
}

/** Parses YAML text: syntax errors name line and column, schema errors name the path. */
export function parseConfigText(text: string, source = 'apollo.yml'): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ApolloError(ErrorCode.ConfigInvalid, `${source} is not valid YAML:`, {
      details: doc.errors.map((e) => e.message.split('\n')[0] ?? e.message),
    });
  }
  return parseConfig(doc.toJS(), source);
}

export function loadConfigFile(path: string): Config {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new ApolloError(ErrorCode.ConfigMissing, `config file not found: ${absolute}`, {
      details: ['Copy examples/apollo.yml to ./apollo.yml or set APOLLO_CONFIG.'],
    });
  }
  return parseConfigText(readFileSync(absolute, 'utf8'), path);
}
