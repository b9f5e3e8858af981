import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../common/errors.js';
import { loadConfig } from '../../gateway/config.js';

const KEYS = 'system:system-key-0123456789abcdef,agent:agent-key-0123456789abcdef';

function secret(content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'secret-')), 'value');
  writeFileSync(file, content);
  return file;
}

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('secrets from files (*_FILE)', () => {
  it('reads API_KEYS, SMPP_PASSWORD and REDIS_URL from the files named, without the trailing line break', () => {
    const config = loadConfig({
      API_KEYS_FILE: secret(`${KEYS}\n`),
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD_FILE: secret('s3cret\n'),
      REDIS_URL_FILE: secret('redis://:pw@redis.internal:6379'),
    });
    expect(config.apiKeys.map((k) => k.role)).toEqual(['system', 'agent']);
    expect(config.carriers[0]?.binds[0]?.password).toBe('s3cret');
    expect(config.redis.url).toBe('redis://:pw@redis.internal:6379');
  });

  it('refuses a variable set both ways, and a file it cannot read, naming the variable and never the secret', () => {
    const both = failure({
      API_KEYS: KEYS,
      API_KEYS_FILE: secret(KEYS),
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD: 'x',
    });
    expect(both).toContain('API_KEYS and API_KEYS_FILE are both set');
    expect(both).not.toContain('key-0123');
    const unreadable = failure({
      API_KEYS_FILE: '/nonexistent/api_keys',
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD: 'x',
    });
    expect(unreadable).toContain('API_KEYS_FILE /nonexistent/api_keys cannot be read (ENOENT)');
  });

  it('validates what a file holds like the variable itself', () => {
    const message = failure({
      API_KEYS_FILE: secret('system:short'),
      SMPP_SYSTEM_ID: 'gw',
      SMPP_PASSWORD: 'x',
    });
    expect(message).toContain('API_KEYS');
    expect(message).not.toContain('short');
  });
});

describe('METRICS_PORT', () => {
  it('puts /metrics on a port of its own, on HTTP_HOST unless METRICS_HOST says otherwise', () => {
    const base = { API_KEYS: KEYS, SMPP_SYSTEM_ID: 'gw', SMPP_PASSWORD: 'x', HTTP_HOST: '0.0.0.0' };
    expect(loadConfig(base).metrics).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics).toEqual({
      host: '10.0.0.5',
      port: 9464,
    });
    expect(failure({ ...base, METRICS_PORT: 'x' })).toContain('METRICS_PORT');
  });
});
