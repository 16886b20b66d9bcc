/**
 * `wtools secret set|ls|rm` and `wtools config set|ls|rm`: what a human sets for one component
 * (by identity, as grants are), and what a starting component is given from it. Values are written
 * once and never read back out to anyone but the component: listings carry names only, and the
 * audit log records names only.
 */
import { type SettingKind, checkSetting, injectedVariables } from '../grants/index.js';
import { appendAudit } from '../store/index.js';
import type { WtoolsContext } from './context.js';
import { identityOfInput, openSettingsStore } from './permissions.js';

const FIELD = { secret: 'secrets', config: 'config' } as const;

export interface SettingChange {
  identity: string;
  kind: SettingKind;
  key: string;
  changed: boolean;
}

export async function setSetting(
  context: WtoolsContext,
  kind: SettingKind,
  component: string,
  key: string,
  value: string,
): Promise<SettingChange> {
  checkSetting(kind, key, value);
  const identity = await identityOfInput(component);
  await openSettingsStore(context).update((state) => {
    const entry = (state.components[identity] ??= { secrets: {}, config: {} });
    entry[FIELD[kind]][key] = value;
  });
  await appendAudit(context.paths, { event: `${kind}-set`, subject: identity, detail: { key } });
  return { identity, kind, key, changed: true };
}

export async function removeSetting(
  context: WtoolsContext,
  kind: SettingKind,
  component: string,
  key: string,
): Promise<SettingChange> {
  const identity = await identityOfInput(component);
  let changed = false;
  await openSettingsStore(context).update((state) => {
    const map = state.components[identity]?.[FIELD[kind]];
    if (!map || !(key in map)) return false;
    delete map[key];
    changed = true;
  });
  if (changed)
    await appendAudit(context.paths, { event: `${kind}-removed`, subject: identity, detail: { key } });
  return { identity, kind, key, changed };
}

/** Names only for secrets; configuration values are not secret and are shown. */
export async function listSettings(
  context: WtoolsContext,
  component: string,
): Promise<{ identity: string; secrets: string[]; config: Record<string, string> }> {
  const identity = await identityOfInput(component);
  const settings = await openSettingsStore(context).settingsOf(identity);
  return { identity, secrets: Object.keys(settings.secrets).sort(), config: settings.config };
}

/** What a component with this identity starts with: its variables, and the values to redact. */
export async function injectedSettings(
  context: WtoolsContext,
  identity: string,
): Promise<{ injected: [string, string][]; redact: string[] }> {
  const settings = await openSettingsStore(context).settingsOf(identity);
  return { injected: injectedVariables(settings), redact: Object.values(settings.secrets) };
}
