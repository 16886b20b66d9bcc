/**
 * The trust policy: ordered rules saying which signers are accepted for which repositories.
 *
 * Format (version 1), documented in policy/trust-policy.schema.json:
 *
 *   version: 1
 *   rules:
 *     - name: our components              # optional, shown in messages and stored with results
 *       match: ["ghcr.io/acme/*"]         # globs over "registry/repository" or "oci:/abs/path"
 *       keyless:                          # exactly one of keyless / keys / unsigned
 *         - identity: dev@acme.com        # exactly one of identity / identity-regexp / github
 *           issuer: https://accounts.google.com
 *         - github: acme/tools@refs/heads/main
 *     - match: ["registry.internal:5000/**"]
 *       keys: [./keys/cosign.pub]         # file relative to the policy file, or inline PEM
 *     - match: ["localhost:*\/**"]
 *       unsigned: allow
 *
 * Globs: `*` is any run of characters except "/", `**` is any run of characters, `?` is one
 * character except "/". The registry host (before the first "/") matches case-insensitively, the
 * repository case-sensitively. The first rule whose globs match wins; no match means "no rule".
 *
 * Which files make the policy (the caller decides, this module only concatenates):
 *   - `--policy FILE` given: that file alone; it replaces both the user file and the default.
 *   - otherwise: the user file in the config dir (optional) first, then the shipped default policy
 *     (defaultTrustPolicyPath()). User rules therefore win over default rules.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Document,
  LineCounter,
  Scalar,
  YAMLSeq,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type YAMLMap,
} from 'yaml';
import {
  TrustError,
  describeError,
  packageRoot,
  sha256,
  withFileLock,
  writeFileAtomic,
} from '../core/index.js';
// The verifier's type, used as is so a parsed rule's signers go to verify() unchanged.
import type { SignerRequirement } from './verify.js';

export interface TrustRule {
  name?: string;
  /** globs over "registry/repository", e.g. "ghcr.io/microsoft/*", "localhost:5000/**", "oci:**" (for OCI layout refs) */
  match: string[];
  require: { signers: SignerRequirement[] } | { unsigned: 'allow' };
  /** where it came from: file path, line and rule index, for messages */
  origin: string;
}

export interface TrustPolicy {
  rules: TrustRule[];
  sources: string[];
  /** sha256 of the normalised rules (origins excluded): callers re-verify cached results when it changes */
  fingerprint: string;
}

/** The OIDC issuer of GitHub Actions tokens, implied by the `github:` shorthand. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

const TOP_KEYS = ['version', 'rules'] as const;
const RULE_KEYS = ['name', 'match', 'keyless', 'keys', 'unsigned'] as const;
const REQUIRE_KEYS = ['keyless', 'keys', 'unsigned'] as const;
const KEYLESS_KEYS = ['identity', 'identity-regexp', 'github', 'issuer'] as const;
const IDENTITY_KEYS = ['identity', 'identity-regexp', 'github'] as const;
/** Alias expansion budget: a policy is small; this stops "billion laughs" documents. */
const MAX_NODES = 1_000_000;
const MAX_KEY_FILE_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Parsing

export function parseTrustPolicy(
  yamlText: string,
  source: string,
  options: { baseDir?: string } = {},
): TrustPolicy {
  const baseDir = options.baseDir ?? (path.isAbsolute(source) ? path.dirname(source) : undefined);
  const rules = new PolicyReader(yamlText, source, baseDir).read();
  return { rules, sources: [source], fingerprint: policyFingerprint(rules) };
}

/**
 * Reads and concatenates policy files in the order given (first match wins across all of them):
 * pass `[policyFlag]` for `--policy FILE`, else `[userFile, defaultTrustPolicyPath()]` with the user
 * file listed in `optional` (it need not exist). Any other missing file is POLICY_INVALID.
 */
export async function loadTrustPolicy(
  files: string[],
  options: { optional?: readonly string[] } = {},
): Promise<TrustPolicy> {
  const rules: TrustRule[] = [];
  const sources: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.optional?.includes(file)) continue;
      throw new TrustError('POLICY_INVALID', `cannot read trust policy ${file}: ${describeError(err)}`, {
        cause: err,
        details: { source: file },
      });
    }
    const policy = parseTrustPolicy(text, file, { baseDir: path.dirname(path.resolve(file)) });
    rules.push(...policy.rules);
    sources.push(file);
  }
  return { rules, sources, fingerprint: policyFingerprint(rules) };
}

/**
 * The default policy shipped with the package (policy/default-trust.yaml), found by walking up from
 * this module, so it works from the sources, the compiled library and the bundled CLI alike.
 */
export function defaultTrustPolicyPath(): string {
  const candidate = path.join(packageRoot(), 'policy', 'default-trust.yaml');
  if (existsSync(candidate)) return candidate;
  throw new TrustError(
    'POLICY_INVALID',
    'the default trust policy policy/default-trust.yaml was not found beside the wtools package; reinstall wtools or pass --policy FILE',
  );
}

interface Entry {
  key: unknown;
  value: unknown;
}

class PolicyReader {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;
  private visited = 0;
  private readonly anchors = new Map<Alias, unknown>();
  /** Keys already read and checked, by resolved path or inline text (aliases may repeat an entry). */
  private readonly keyCache = new Map<string, string>();

  constructor(
    text: string,
    private readonly source: string,
    private readonly baseDir: string | undefined,
  ) {
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    });
    // Each alias refers to the latest anchor of its name before it (document order). Resolved once
    // here: yaml's Alias.resolve() walks the whole document on every call.
    const latest = new Map<string, unknown>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = latest.get(node.source);
          if (target !== undefined) this.anchors.set(node, target);
        } else if (node.anchor) {
          latest.set(node.anchor, node);
        }
      },
    });
  }

  read(): TrustRule[] {
    const problem = this.doc.errors[0] ?? this.doc.warnings[0];
    if (problem) {
      throw this.errorAt(problem.pos[0], '(document)', `not valid YAML: ${problem.message.split('\n')[0]}`);
    }
    const top = this.deref(this.doc.contents);
    // A document holding only comments allows nothing, like an empty rule list.
    if (top === null || top === undefined || (isScalar(top) && top.value === null)) return [];
    const fields = this.map(top, '(top level)', TOP_KEYS, 'a mapping with "version: 1" and "rules"');
    const version = fields.get('version');
    if (!version) {
      throw this.fail(top, '(top level)', 'expected "version: 1", found no version key');
    }
    const v = this.deref(version.value);
    if (!isScalar(v) || v.value !== 1) {
      throw this.fail(
        v ?? version.key,
        'version',
        `expected 1 (the only version this wtools reads), found ${describe(v)}`,
      );
    }
    const rulesEntry = fields.get('rules');
    if (!rulesEntry) return [];
    const rulesNode = this.deref(rulesEntry.value);
    if (rulesNode === null || (isScalar(rulesNode) && rulesNode.value === null)) return [];
    if (!isSeq(rulesNode)) {
      throw this.fail(
        rulesNode ?? rulesEntry.key,
        'rules',
        `expected a list of rules, found ${describe(rulesNode)}`,
      );
    }
    return rulesNode.items.map((item, i) => this.rule(this.deref(item), i));
  }

  private rule(node: unknown, index: number): TrustRule {
    const where = `rules[${index}]`;
    const fields = this.map(
      node,
      where,
      RULE_KEYS,
      'a rule (a mapping with "match" and one of keyless, keys, unsigned)',
    );
    const line = this.lineOf(node);
    const origin = `${this.source}:${line} rules[${index}]`;

    let name: string | undefined;
    const nameEntry = fields.get('name');
    if (nameEntry) name = this.string(nameEntry, `${where}.name`);

    const matchEntry = fields.get('match');
    if (!matchEntry) {
      throw this.fail(node, where, `expected a "match" list of globs, found no match key`);
    }
    const match = this.list(matchEntry, `${where}.match`, 'globs').map((item, i) => {
      const at = `${where}.match[${i}]`;
      const glob = this.stringNode(item, at);
      const problem = globProblem(glob);
      if (problem) throw this.fail(item, at, problem);
      return glob;
    });

    const present = REQUIRE_KEYS.filter((k) => fields.has(k));
    if (present.length !== 1) {
      const found = present.length === 0 ? 'none of them' : `${present.join(' and ')}`;
      throw this.fail(node, where, `expected exactly one of keyless, keys, unsigned; found ${found}`);
    }
    const kind = present[0];
    let require: TrustRule['require'];
    if (kind === 'unsigned') {
      const entry = fields.get('unsigned') as Entry;
      const value = this.deref(entry.value);
      if (!isScalar(value) || value.value !== 'allow') {
        throw this.fail(
          value ?? entry.key,
          `${where}.unsigned`,
          `expected "allow", found ${describe(value)}`,
        );
      }
      require = { unsigned: 'allow' };
    } else if (kind === 'keys') {
      const entry = fields.get('keys') as Entry;
      require = {
        signers: this.list(entry, `${where}.keys`, 'public keys').map((item, i) =>
          this.key(item, `${where}.keys[${i}]`),
        ),
      };
    } else {
      const entry = fields.get('keyless') as Entry;
      require = {
        signers: this.list(entry, `${where}.keyless`, 'identities').map((item, i) =>
          this.keyless(item, `${where}.keyless[${i}]`),
        ),
      };
    }
    return { ...(name === undefined ? {} : { name }), match, require, origin };
  }

  private keyless(node: unknown, where: string): SignerRequirement {
    const fields = this.map(
      node,
      where,
      KEYLESS_KEYS,
      'a keyless identity (identity or identity-regexp, and issuer)',
    );
    const present = IDENTITY_KEYS.filter((k) => fields.has(k));
    if (present.length !== 1) {
      const found = present.length === 0 ? 'none of them' : present.join(' and ');
      throw this.fail(
        node,
        where,
        `expected exactly one of identity, identity-regexp, github; found ${found}`,
      );
    }
    const issuerEntry = fields.get('issuer');
    const issuer = issuerEntry ? this.string(issuerEntry, `${where}.issuer`) : undefined;
    if (issuerEntry && issuer !== undefined && !isUrl(issuer)) {
      throw this.fail(
        issuerEntry.value,
        `${where}.issuer`,
        `expected the OIDC issuer URL (e.g. https://accounts.google.com), found ${JSON.stringify(issuer)}`,
      );
    }
    const which = present[0];
    if (which === 'github') {
      const entry = fields.get('github') as Entry;
      const spec = this.string(entry, `${where}.github`);
      let signer: SignerRequirement;
      try {
        signer = githubIdentity(spec);
      } catch (err) {
        throw this.fail(entry.value, `${where}.github`, (err as Error).message);
      }
      if (issuerEntry && issuer !== GITHUB_ACTIONS_ISSUER) {
        throw this.fail(
          issuerEntry.value,
          `${where}.issuer`,
          `"github:" implies issuer ${GITHUB_ACTIONS_ISSUER}; remove issuer or use identity-regexp, found ${JSON.stringify(issuer)}`,
        );
      }
      return signer;
    }
    if (!issuerEntry || issuer === undefined) {
      throw this.fail(node, where, `expected an "issuer" (the OIDC issuer URL) beside ${which}, found none`);
    }
    if (which === 'identity') {
      const identity = this.string(fields.get('identity') as Entry, `${where}.identity`);
      return { kind: 'keyless', identity, issuer };
    }
    const entry = fields.get('identity-regexp') as Entry;
    const identityRegexp = this.string(entry, `${where}.identity-regexp`);
    try {
      new RegExp(identityRegexp);
    } catch (err) {
      throw this.fail(
        entry.value,
        `${where}.identity-regexp`,
        `expected a JavaScript regular expression, found ${JSON.stringify(identityRegexp)} (${(err as Error).message})`,
      );
    }
    return { kind: 'keyless', identityRegexp, issuer };
  }

  private key(node: unknown, where: string): SignerRequirement {
    const value = this.stringNode(node, where);
    if (value.trimStart().startsWith('-----BEGIN')) {
      const publicKeyPem = this.keyCache.get(value) ?? this.pem(value, node, where, 'the inline key');
      this.keyCache.set(value, publicKeyPem);
      return { kind: 'key', publicKeyPem };
    }
    const file = path.isAbsolute(value)
      ? value
      : this.baseDir
        ? path.resolve(this.baseDir, value)
        : undefined;
    if (file === undefined) {
      throw this.fail(
        node,
        where,
        `a relative key path needs the policy file's directory, found ${JSON.stringify(value)} in a policy read without one`,
      );
    }
    const cached = this.keyCache.get(`file:${file}`);
    if (cached !== undefined) return { kind: 'key', publicKeyPem: cached, name: value };
    let text: string;
    try {
      const bytes = readFileSync(file);
      if (bytes.byteLength > MAX_KEY_FILE_BYTES) {
        throw new Error(`${bytes.byteLength} bytes, more than a public key PEM (${MAX_KEY_FILE_BYTES})`);
      }
      text = bytes.toString('utf8');
    } catch (err) {
      throw this.fail(
        node,
        where,
        `cannot read key file ${JSON.stringify(value)} (${file}): ${describeError(err)}; paths are relative to the policy file`,
      );
    }
    const publicKeyPem = this.pem(text, node, where, `key file ${JSON.stringify(value)}`);
    this.keyCache.set(`file:${file}`, publicKeyPem);
    return { kind: 'key', publicKeyPem, name: value };
  }

  /** A public key PEM, normalised to SPKI PEM; private keys and certificates are refused. */
  private pem(text: string, node: unknown, where: string, what: string): string {
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      throw this.fail(
        node,
        where,
        `expected a public key, found a PRIVATE key in ${what}; never put private keys in a policy`,
      );
    }
    const blocks = text.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? [];
    if (blocks.length !== 1 || !/^-----BEGIN [A-Z0-9 ]*PUBLIC KEY-----$/.test(blocks[0] ?? '')) {
      const found = blocks.length === 0 ? 'no PEM block' : blocks.join(', ');
      throw this.fail(
        node,
        where,
        `expected one PEM public key ("-----BEGIN PUBLIC KEY-----") in ${what}, found ${found}`,
      );
    }
    try {
      return createPublicKey({ key: text, format: 'pem' }).export({ type: 'spki', format: 'pem' }).toString();
    } catch (err) {
      throw this.fail(
        node,
        where,
        `expected a valid public key PEM in ${what}, found one that does not parse: ${describeError(err)}`,
      );
    }
  }

  // --- node helpers ------------------------------------------------------------------------------

  private deref(node: unknown): unknown {
    if (++this.visited > MAX_NODES) {
      throw this.fail(
        node,
        '(document)',
        `expected a small policy, found more than ${MAX_NODES} nodes after alias expansion`,
      );
    }
    if (!isAlias(node)) return node;
    const target = this.anchors.get(node);
    if (target === undefined) {
      throw this.fail(node, '(document)', `expected alias *${node.source} to follow its anchor, found none`);
    }
    return target;
  }

  private map(
    node: unknown,
    where: string,
    allowed: readonly string[],
    expected: string,
  ): Map<string, Entry> {
    if (!isMap(node)) throw this.fail(node, where, `expected ${expected}, found ${describe(node)}`);
    const fields = new Map<string, Entry>();
    for (const pair of node.items) {
      const key = this.deref(pair.key);
      if (!isScalar(key) || typeof key.value !== 'string') {
        throw this.fail(key ?? node, where, `expected a key (${allowed.join(', ')}), found ${describe(key)}`);
      }
      if (!allowed.includes(key.value)) {
        throw this.fail(
          key,
          where,
          `unknown key ${JSON.stringify(key.value)}; expected one of ${allowed.join(', ')}`,
        );
      }
      fields.set(key.value, { key, value: pair.value });
    }
    return fields;
  }

  private list(entry: Entry, where: string, what: string): unknown[] {
    const node = this.deref(entry.value);
    if (!isSeq(node))
      throw this.fail(node ?? entry.key, where, `expected a list of ${what}, found ${describe(node)}`);
    if (node.items.length === 0)
      throw this.fail(node, where, `expected at least one of ${what}, found an empty list`);
    return node.items.map((item) => this.deref(item));
  }

  private string(entry: Entry, where: string): string {
    const node = this.deref(entry.value);
    return this.stringNode(node ?? entry.key, where);
  }

  private stringNode(node: unknown, where: string): string {
    if (!isScalar(node) || typeof node.value !== 'string') {
      throw this.fail(node, where, `expected a string, found ${describe(node)}`);
    }
    if (node.value.trim() === '')
      throw this.fail(node, where, 'expected a non-empty string, found an empty one');
    return node.value;
  }

  private offsetOf(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? range[0] : 0;
  }

  private lineOf(node: unknown): number {
    return this.lines.linePos(this.offsetOf(node)).line;
  }

  private fail(node: unknown, where: string, message: string): TrustError {
    return this.errorAt(this.offsetOf(node), where, message);
  }

  private errorAt(offset: number, where: string, message: string): TrustError {
    const { line, col } = this.lines.linePos(offset);
    return new TrustError('POLICY_INVALID', `${this.source}:${line}:${col}: ${where}: ${message}`, {
      details: { source: this.source, line, column: col, path: where },
    });
  }
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing (null)';
    if (typeof v === 'string')
      return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
    if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
    if (typeof v === 'boolean') return `the boolean ${String(v)}`;
    return `a ${typeof v}`;
  }
  return 'an unexpected YAML node';
}

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Globs and rule lookup

/** Why a match glob is unusable, or undefined when it is fine. */
function globProblem(glob: string): string | undefined {
  if (/\s/.test(glob)) return `expected a glob without spaces, found ${JSON.stringify(glob)}`;
  if (glob.startsWith('oci:')) {
    const rest = glob.slice(4);
    if (!rest.startsWith('/') && !rest.startsWith('**')) {
      return `expected "oci:" followed by an absolute path glob (e.g. "oci:/absolute/dir/**") or "oci:**", found ${JSON.stringify(glob)} ("*" never matches "/", so it cannot match an OCI layout path)`;
    }
    return undefined;
  }
  if (glob === '**') return undefined;
  const slash = glob.indexOf('/');
  if (slash <= 0 || slash === glob.length - 1) {
    return `expected "registry/repository" (e.g. "ghcr.io/acme/*" or "localhost:5000/**"), found ${JSON.stringify(glob)}`;
  }
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        while (glob[i + 1] === '*') i++;
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/** Lower-cases the registry host (the part before the first "/"); OCI layout paths are left alone. */
function normaliseHost(value: string): string {
  if (value.startsWith('oci:')) return value;
  const slash = value.indexOf('/');
  return slash < 0 ? value.toLowerCase() : value.slice(0, slash).toLowerCase() + value.slice(slash);
}

/** Whether a match glob matches a subject ("registry/repository" or "oci:/abs/path"). */
export function matchGlob(glob: string, subject: string): boolean {
  return globToRegExp(normaliseHost(glob)).test(normaliseHost(subject));
}

const compiled = new WeakMap<TrustRule, RegExp[]>();

function matchersOf(rule: TrustRule): RegExp[] {
  let res = compiled.get(rule);
  if (!res) {
    res = rule.match.map((glob) => globToRegExp(normaliseHost(glob)));
    compiled.set(rule, res);
  }
  return res;
}

/** The first rule one of whose globs matches the subject ("registry/repository" or "oci:/abs/path"). */
export function findRule(policy: TrustPolicy, subject: string): TrustRule | undefined {
  const normalised = normaliseHost(subject);
  return policy.rules.find((rule) => matchersOf(rule).some((re) => re.test(normalised)));
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions shorthand

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `org/repo[@ref]` → the Fulcio identity of any workflow of that repository run at that ref:
 * `^https://github\.com/org/repo/\.github/workflows/[^@]+@REF$` with issuer GitHub Actions. REF:
 * omitted → any branch or tag (`refs/heads/.+` or `refs/tags/.+`; pull-request refs are NOT
 * accepted); `refs/...` → exactly that ref; a bare name (`main`, `v1.2.0`) → that branch or tag.
 */
export function githubIdentity(spec: string): SignerRequirement {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})(?:@(.+))?$/.exec(spec.trim());
  const org = m?.[1];
  const repo = m?.[2];
  if (!m || org === undefined || repo === undefined || repo === '.' || repo === '..') {
    throw new TrustError(
      'INVALID_ARGUMENT',
      `expected a GitHub repository "org/repo" or "org/repo@ref" (e.g. "acme/tools@refs/heads/main"), found ${JSON.stringify(spec)}`,
    );
  }
  const ref = m[3];
  if (ref !== undefined && (/\s/.test(ref) || ref.includes('@') || ref.endsWith('/'))) {
    throw new TrustError(
      'INVALID_ARGUMENT',
      `expected a git ref after "@" (e.g. "refs/heads/main", "refs/tags/v1.0.0" or "main"), found ${JSON.stringify(ref)}`,
    );
  }
  const refPattern =
    ref === undefined
      ? '(?:refs/heads/.+|refs/tags/.+)'
      : ref.startsWith('refs/')
        ? escapeRegExp(ref)
        : `refs/(?:heads|tags)/${escapeRegExp(ref)}`;
  return {
    kind: 'keyless',
    identityRegexp: `^https://github\\.com/${escapeRegExp(org)}/${escapeRegExp(repo)}/\\.github/workflows/[^@]+@${refPattern}$`,
    issuer: GITHUB_ACTIONS_ISSUER,
  };
}

/** The `github:` shorthand that githubIdentity() expands to exactly this requirement, if any. */
function githubSpecOf(signer: SignerRequirement): string | undefined {
  if (signer.kind !== 'keyless' || signer.issuer !== GITHUB_ACTIONS_ISSUER || signer.identity !== undefined) {
    return undefined;
  }
  const m = /^\^https:\/\/github\\\.com\/(.+?)\/\\\.github\/workflows\/\[\^@\]\+@(.+)\$$/.exec(
    signer.identityRegexp ?? '',
  );
  if (!m?.[1] || !m[2]) return undefined;
  const unescape = (v: string) => v.replace(/\\(.)/g, '$1');
  const repo = unescape(m[1]);
  const ref = m[2];
  const candidates = [
    repo,
    `${repo}@${unescape(ref)}`,
    `${repo}@${unescape(ref.replace(/^refs\/\(\?:heads\|tags\)\//, ''))}`,
  ];
  for (const spec of candidates) {
    try {
      const expanded = githubIdentity(spec);
      if (expanded.kind === 'keyless' && expanded.identityRegexp === signer.identityRegexp) return spec;
    } catch {
      // not this form
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

/** JSON with object keys sorted, so equal rules always hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 over the rules in order without their origins: comments, layout and file names do not count. */
export function policyFingerprint(rules: readonly TrustRule[]): string {
  const normalised = rules.map((rule) => ({ name: rule.name, match: rule.match, require: rule.require }));
  return sha256(`wtools-trust-policy/1\n${canonicalJson(normalised)}`);
}

// ---------------------------------------------------------------------------------------------
// Writing ("trust always")

const HEADER = [
  ' wtools trust policy: your rules. They are checked before the default policy; first match wins.',
  ' wtools appends a rule here when you answer "trust always"; edit freely (comments are kept).',
  ' Format: policy/trust-policy.schema.json in the wtools package.',
].join('\n');

function ruleToYaml(doc: Document, rule: Omit<TrustRule, 'origin'>): YAMLMap {
  const plain: Record<string, unknown> = {};
  if (rule.name !== undefined) plain.name = rule.name;
  plain.match = [...rule.match];
  if ('unsigned' in rule.require) {
    plain.unsigned = 'allow';
  } else {
    const signers = rule.require.signers;
    const keys = signers.filter((s) => s.kind === 'key');
    const keyless = signers.filter((s) => s.kind === 'keyless');
    if (keys.length > 0 && keyless.length > 0) {
      throw new TrustError(
        'INVALID_ARGUMENT',
        'expected a rule whose signers are all keyless or all keys, found both; write two rules',
      );
    }
    if (keys.length > 0) {
      plain.keys = keys.map((key) => {
        const scalar = new Scalar(
          key.publicKeyPem.endsWith('\n') ? key.publicKeyPem : `${key.publicKeyPem}\n`,
        );
        scalar.type = Scalar.BLOCK_LITERAL;
        if (key.name !== undefined) scalar.commentBefore = ` ${key.name.replace(/\s+/g, ' ')}`;
        return scalar;
      });
    } else {
      plain.keyless = keyless.map((s) => {
        const github = githubSpecOf(s);
        if (github !== undefined) return { github };
        return {
          ...(s.identity === undefined ? {} : { identity: s.identity }),
          ...(s.identityRegexp === undefined ? {} : { 'identity-regexp': s.identityRegexp }),
          issuer: s.issuer,
        };
      });
    }
  }
  const node = doc.createNode(plain);
  const match = node.get('match', true);
  if (isSeq(match)) match.flow = true;
  return node;
}

async function resolveTarget(file: string): Promise<string> {
  try {
    return await fs.realpath(file); // write through a symlink instead of replacing it
  } catch {
    return path.resolve(file);
  }
}

/**
 * Appends a rule to a policy file (the user's, for "trust always"). Read-modify-write under a lock
 * beside the file, atomic replace, mode 0600; existing content and comments are kept. A missing
 * file is created with a header comment. An invalid existing file is refused, never overwritten;
 * a rule equal to an existing one is not added twice.
 */
export async function appendRule(file: string, rule: Omit<TrustRule, 'origin'>): Promise<void> {
  const target = await resolveTarget(file);
  const baseDir = path.dirname(target);
  await withFileLock(`${target}.lock`, async () => {
    let text: string | undefined;
    try {
      text = await fs.readFile(target, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TrustError('IO', `cannot read trust policy ${file}: ${describeError(err)}`, { cause: err });
      }
    }
    let doc: Document;
    if (text === undefined) {
      doc = new Document({ version: 1 });
      doc.commentBefore = HEADER;
    } else {
      const existing = parseTrustPolicy(text, file, { baseDir });
      const wanted = policyFingerprint([{ ...rule, origin: '' }]);
      if (existing.rules.some((r) => policyFingerprint([r]) === wanted)) return;
      doc = parseDocument(text);
      if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
        const comment = doc.commentBefore;
        doc.contents = doc.createNode({ version: 1 });
        doc.commentBefore = comment;
      }
    }
    const found = doc.get('rules', true);
    const rules = isSeq(found) ? found : new YAMLSeq();
    if (rules !== found) doc.set('rules', rules);
    rules.add(ruleToYaml(doc, rule));
    rules.flow = false;
    const out = doc.toString({ lineWidth: 0 });
    // Never write a policy this module would refuse to read.
    parseTrustPolicy(out, file, { baseDir });
    await writeFileAtomic(target, out, { mode: 0o600 });
  });
}
