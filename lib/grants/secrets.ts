/**
 * Secrets and configuration a human set for a component: API keys and settings it is given at run
 * time, as environment variables (and through wasi:config/store), and nothing of the host's. A secret
 * counts as a grant: a component gets only what was set for its identity. Values live in one 0600
 * JSON file in the config folder; they are never printed, logged, audited or returned (names only),
 * and a secret's value that shows up in a component's output is redacted before it leaves wtools.
 */
import { GrantError, StateFile, parseComponentState } from '../core/index.js';

export const SETTINGS_STORE_VERSION = 1;

/** Names a component reads as environment variables, so the names environment variables have. */
export const SETTING_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Shorter secrets cannot be redacted without mangling ordinary output, so none are accepted. */
export const MIN_SECRET_LENGTH = 4;
export const MAX_VALUE_BYTES = 64 * 1024;

export interface ComponentSettings {
  secrets: Record<string, string>;
  config: Record<string, string>;
}

export interface SettingsFile {
  version: typeof SETTINGS_STORE_VERSION;
  revision: number;
  components: Record<string, ComponentSettings>;
}

export type SettingKind = 'secret' | 'config';

function corrupt(file: string, why: string): GrantError {
  return new GrantError(
    'SECRETS_CORRUPT',
    `the secret store ${file} is not valid: ${why}. Nothing runs until it is repaired or removed ` +
      '(removing it forgets every secret and setting)',
  );
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => SETTING_KEY_PATTERN.test(k) && typeof v === 'string')
  );
}

export function parseSettingsFile(text: string, file: string): SettingsFile {
  const state = parseComponentState<SettingsFile['components'][string]>(
    text,
    SETTINGS_STORE_VERSION,
    (why) => corrupt(file, why),
    { secret: true },
  );
  for (const [identity, entry] of Object.entries(state.components)) {
    // Only where and which key: a message must never carry a value.
    if (!entry || !isStringMap(entry.secrets) || !isStringMap(entry.config)) {
      throw corrupt(
        file,
        `components[${JSON.stringify(identity)}] needs "secrets" and "config" maps of KEY to text`,
      );
    }
  }
  return state as SettingsFile;
}

export class SettingsStore extends StateFile<SettingsFile> {
  constructor(file: string) {
    super(file, {
      what: 'the secret store',
      empty: () => ({ version: SETTINGS_STORE_VERSION, revision: 0, components: {} }),
      parse: parseSettingsFile,
      error: (code, message, cause) =>
        new GrantError(code === 'CONFLICT' ? 'SECRETS_CONFLICT' : 'IO', message, cause ? { cause } : {}),
    });
  }

  /** What one component is given (empty maps when nothing was set). */
  async settingsOf(identity: string): Promise<ComponentSettings> {
    const entry = (await this.read()).components[identity];
    return { secrets: { ...entry?.secrets }, config: { ...entry?.config } };
  }
}

/** Checks a key and a value before anything is stored; the message never repeats a secret's value. */
export function checkSetting(kind: SettingKind, key: string, value: string): void {
  if (!SETTING_KEY_PATTERN.test(key)) {
    throw new GrantError(
      'INVALID_ARGUMENT',
      `expected a ${kind} name like API_KEY (letters, digits and _, not starting with a digit), found "${key}"`,
    );
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new GrantError(
      'INVALID_ARGUMENT',
      `the ${kind} ${key} is ${bytes} bytes; expected at most ${MAX_VALUE_BYTES}`,
    );
  }
  if (kind === 'secret' && value.length < MIN_SECRET_LENGTH) {
    throw new GrantError(
      'INVALID_ARGUMENT',
      `the secret ${key} is shorter than ${MIN_SECRET_LENGTH} characters: too short to redact from output reliably`,
    );
  }
}

/** The variables a component sees: its configuration, then its secrets (a secret wins a clash). */
export function injectedVariables(settings: ComponentSettings): [string, string][] {
  const merged = { ...settings.config, ...settings.secrets };
  return Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
