/**
 * What webhooks need from the configuration, built once per configuration object: the allowlist of
 * the SSRF guard and the resolver. Tests may swap the resolver of their bank (setWebhookResolver).
 */
import type { Config } from '../../platform/config.js';
import { parseAllowlist, systemResolver, type Allowlist, type Resolver } from './ssrf.js';

export interface WebhookRuntime {
  readonly allowlist: Allowlist;
  resolve: Resolver;
}

const runtimes = new WeakMap<object, WebhookRuntime>();

export function webhookRuntime(config: Config): WebhookRuntime {
  let runtime = runtimes.get(config);
  if (runtime === undefined) {
    runtime = { allowlist: parseAllowlist(config.WEBHOOK_ALLOWED_HOSTS), resolve: systemResolver(config.WEBHOOK_TIMEOUT_MS) };
    runtimes.set(config, runtime);
  }
  return runtime;
}

/** Replaces the resolver used for one configuration (tests of DNS answers that change). */
export function setWebhookResolver(config: Config, resolve: Resolver): void {
  webhookRuntime(config).resolve = resolve;
}
