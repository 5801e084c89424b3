import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from '../db/database.js';
import { listCallbackSecrets, updateCallbackSecret } from '../repositories/callbacks.js';
import { listEngineKeySecrets, updateEngineKeySecret } from '../repositories/engineKeys.js';
import { listSipPasswords, updateSipPassword } from '../repositories/phoneLines.js';
import { listAppSecrets, updateAppSecret } from '../repositories/tenants.js';

/*
 * Secrets at rest. Every secret the service stores (today the app secrets of the API keys) is kept
 * encrypted with AES-256-GCM under one server key, as a versioned envelope:
 *
 *   v1:<keyId>:<iv>:<tag>:<ciphertext>          (each part base64url, no padding)
 *
 * keyId names the key (an HMAC of a fixed text under it: it identifies the key and reveals nothing
 * of it), so a value tells which key encrypted it: rotation, start-up and error messages can tell
 * old from new. The row a value belongs to is bound in as additional authenticated data (e.g.
 * `api_key.app_secret:<appKey>`), so a ciphertext copied onto another row does not decrypt.
 *
 * The key: OUTCALL_SECRET_KEY (32 bytes, as 64 hex digits or base64/base64url), or else the key
 * file SECRET_KEY_FILE (default data/secret.key), generated on first start. It is held in this
 * module for the process: services call encryptSecret/decryptSecret; start-up (server.ts, the CLI)
 * calls prepareSecrets, which also encrypts secrets stored before this version.
 */

export const DEFAULT_SECRET_KEY_FILE = 'data/secret.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE = /^v1:([A-Za-z0-9_-]{11}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;

/** A failure to read or use the secret key: the message says what the operator must do; it never holds a secret. */
export class SecretKeyError extends Error {}

/** Where the key comes from. */
export interface SecretKeySettings {
  /** OUTCALL_SECRET_KEY, when set. */
  readonly secretKey?: string;
  /** SECRET_KEY_FILE: read (or generated) when secretKey is not set. */
  readonly secretKeyFile: string;
}

/** 32 bytes from 64 hex digits or base64/base64url (padding and surrounding white space allowed). */
export function parseSecretKey(text: string, name = 'OUTCALL_SECRET_KEY'): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== KEY_BYTES)
    throw new SecretKeyError(
      `${name} must be 32 bytes written as 64 hex digits or 44 base64 characters (e.g. \`openssl rand -base64 32\`)`,
    );
  return key;
}

/** The id a key's envelopes carry: 8 bytes of HMAC-SHA256(key, fixed text), base64url. */
export function secretKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('outcall secret key id').digest().subarray(0, 8).toString('base64url');
}

/** A new random key, written as base64. */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Whether a stored value is in the encrypted form (any key). */
export function isEncrypted(value: string): boolean {
  return ENVELOPE.test(value);
}

/** The id of the key a stored value was encrypted under; undefined for a value not encrypted. */
export function keyIdOf(value: string): string | undefined {
  return ENVELOPE.exec(value)?.[1];
}

/** Decrypted secrets kept per process (one per API key in use; the oldest goes first). */
const DECRYPTED_KEPT = 10_000;

/** What tells a changed key file: its inode, size and modification time (a rotation renames a new file into place). */
function fileStamp(file: string): string | undefined {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * The keys of this process: the current one (encrypts) and any others it learned (decrypt only).
 * When the key came from the key file, `outcall secret-key rotate` beside a running server needs
 * no restart: before each encryption the file is looked at (one stat) and, when it changed, its
 * key becomes the current one, so a secret made after a rotation is under the new key; and a value
 * under a key this process does not know makes it read the file (its `.next`, and the retired key
 * a rotation left beside it).
 */

export class SecretKeyring {
  private current: { id: string; key: Buffer };
  private readonly known = new Map<string, Buffer>();
  private lastReload = 0;
  /** The key file's stamp when its key was last read. */
  private stamp: string | undefined;
  /**
   * Plain texts already decrypted, by context and stored value: a signed request decrypts its key's
   * secret, and AES-GCM on every request costs more than the rest of the check. A stored value
   * (its key id, nonce, tag and ciphertext) decrypts to one text only, so an entry never goes stale;
   * a changed or re-encrypted secret is a different stored value.
   */
  private readonly decrypted = new Map<string, string>();

  constructor(
    key: Buffer,
    /** Where the key came from, for messages: `OUTCALL_SECRET_KEY` or the key file's path. */
    readonly source: string,
    /** The key file to re-read when an unknown key id is met (only when the key came from it). */
    private readonly file?: string,
  ) {
    this.current = { id: secretKeyId(key), key };
    this.known.set(this.current.id, key);
    if (file) this.stamp = fileStamp(file);
  }

  get keyId(): string {
    this.followKeyFile();
    return this.current.id;
  }

  /** The key file's key becomes the current one when the file changed since it was read (a rotation). */
  private followKeyFile(): void {
    if (!this.file) return;
    const stamp = fileStamp(this.file);
    if (stamp === undefined || stamp === this.stamp) return;
    let key: Buffer;
    try {
      key = parseSecretKey(readFileSync(this.file, 'utf8'), this.file);
    } catch {
      // Being written, or damaged: the key in hand stays current, and the file is looked at again next time.
      return;
    }
    this.stamp = stamp;
    this.current = { id: secretKeyId(key), key };
    this.known.set(this.current.id, key);
  }

  encrypt(plain: string, context: string): string {
    this.followKeyFile();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const b = (x: Buffer) => x.toString('base64url');
    return `v1:${this.current.id}:${b(iv)}:${b(tag)}:${b(ciphertext)}`;
  }

  decrypt(stored: string, context: string): string {
    const memo = `${context}\n${stored}`;
    const known = this.decrypted.get(memo);
    if (known !== undefined) return known;
    const plain = this.decryptOnce(stored, context);
    if (this.decrypted.size >= DECRYPTED_KEPT) this.decrypted.delete(this.decrypted.keys().next().value!);
    this.decrypted.set(memo, plain);
    return plain;
  }

  private decryptOnce(stored: string, context: string): string {
    const m = ENVELOPE.exec(stored);
    if (!m) throw new SecretKeyError(`the stored ${context} is not encrypted (run \`outcall migrate\`)`);
    const [, id, iv, tag, ciphertext] = m as unknown as [string, string, string, string, string];
    const key = this.known.get(id) ?? this.reloadFor(id);
    if (!key)
      throw new SecretKeyError(
        `the stored ${context} is encrypted under secret key ${id}, but this process has key ${this.current.id} (${this.source}): ` +
          'give it the key the secrets are encrypted under (OUTCALL_SECRET_KEY or SECRET_KEY_FILE) and restart it',
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`the stored ${context} does not decrypt under key ${id}: it was altered or moved`);
    }
  }

  /**
   * A value under a key this process does not know: after a rotation through the key file its new
   * key (or the one a rotation left in `.next`) becomes current; a value written under the retired
   * key by a process that had not yet seen the rotation is read with the key kept beside the file.
   */
  private reloadFor(id: string): Buffer | undefined {
    if (!this.file) return undefined;
    this.followKeyFile();
    if (this.known.has(id)) return this.known.get(id);
    if (Date.now() - this.lastReload < 1000) return undefined;
    this.lastReload = Date.now();
    for (const file of [this.file, `${this.file}.next`, `${this.file}.retired-${id}`]) {
      let key: Buffer;
      try {
        key = parseSecretKey(readFileSync(file, 'utf8'), file);
      } catch {
        continue;
      }
      const keyId = secretKeyId(key);
      this.known.set(keyId, key);
      if (keyId === id) {
        // A retired key only reads; the others are newer than the one in hand.
        if (!file.includes('.retired-')) this.current = { id: keyId, key };
        return key;
      }
    }
    return undefined;
  }
}

/** The keyring from the settings; the key file is generated when missing and `generate` allows it. */
export function loadSecretKeyring(
  settings: SecretKeySettings,
  options: { generate: boolean } = { generate: true },
): { keyring: SecretKeyring; generatedFile?: string; warning?: string } {
  if (settings.secretKey)
    return { keyring: new SecretKeyring(parseSecretKey(settings.secretKey), 'OUTCALL_SECRET_KEY') };
  const file = resolve(settings.secretKeyFile);
  let generatedFile: string | undefined;
  if (!existsSync(file)) {
    if (!options.generate)
      throw new SecretKeyError(`no secret key: OUTCALL_SECRET_KEY is not set and ${file} does not exist`);
    if (writeKeyFileExclusive(file, generateSecretKey())) generatedFile = file;
  }
  const key = parseSecretKey(readFileSync(file, 'utf8'), file);
  // Readable by others is worth a word: the key opens every stored secret.
  const mode = statSync(file).mode & 0o077;
  const warning = mode
    ? `${file} can be read by other users (mode ${(statSync(file).mode & 0o777).toString(8)}): chmod 600 it`
    : undefined;
  return { keyring: new SecretKeyring(key, file, file), generatedFile, warning };
}

/**
 * Writes a new key file unless one exists, atomically: the content goes to a temporary file first,
 * which is then hard-linked into place (fails if another process got there first, whose key wins).
 * Returns whether this call created it.
 */
export function writeKeyFileExclusive(file: string, keyText: string): boolean {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileDurably(tmp, `${keyText}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Writes a file readable by its owner only and flushes it to disk. */
function writeFileDurably(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// ---- the process's keyring ---------------------------------------------------------------------

let active: SecretKeyring | undefined;

/** Makes `keyring` the one encryptSecret/decryptSecret use in this process. */
export function useSecretKeyring(keyring: SecretKeyring): void {
  active = keyring;
}

/**
 * The process's keyring. Start-up sets it (prepareSecrets); code that uses the services without
 * start-up (tests, the benchmark's data set) gets the one the environment names, as serve would.
 */
export function secretKeyring(): SecretKeyring {
  active ??= loadSecretKeyring({
    secretKey: process.env.OUTCALL_SECRET_KEY || undefined,
    secretKeyFile: process.env.SECRET_KEY_FILE || DEFAULT_SECRET_KEY_FILE,
  }).keyring;
  return active;
}

export function encryptSecret(plain: string, context: string): string {
  return secretKeyring().encrypt(plain, context);
}

export function decryptSecret(stored: string, context: string): string {
  return secretKeyring().decrypt(stored, context);
}

// ---- the stored secrets ------------------------------------------------------------------------

/** The context (additional authenticated data) of an API key's app secret. */
export const appSecretContext = (appKey: string) => `api_key.app_secret:${appKey}`;

/** One stored secret, whatever its table: rotation and start-up walk them all. */
interface StoredSecret {
  context: string;
  value: string;
  /** Replaces the value if it is still `from`; false when another process changed it first. */
  replace(db: Database, to: string): Promise<boolean>;
}

/** Every secret column of the schema. A later secret (e.g. a callback secret) adds its reader here. */
const SECRET_SOURCES: ((db: Database, lock: boolean) => Promise<StoredSecret[]>)[] = [
  async (db, lock) =>
    (await listAppSecrets(db, lock)).map((row) => ({
      context: appSecretContext(row.app_key),
      value: row.app_secret,
      replace: (trx, to) => updateAppSecret(trx, row.id, row.app_secret, to),
    })),
  // The tenants' callback signing secrets (services/callbacks.ts; the context is spelled there too).
  async (db, lock) =>
    (await listCallbackSecrets(db, lock)).map((row) => ({
      context: `tenant.callback_secret:${row.id}`,
      value: row.callback_secret,
      replace: (trx, to) => updateCallbackSecret(trx, row.id, row.callback_secret, to),
    })),
  // The engine keys' app secrets (services/engineKeys.ts; the context is spelled there too).
  async (db, lock) =>
    (await listEngineKeySecrets(db, lock)).map((row) => ({
      context: `engine_key.app_secret:${row.app_key}`,
      value: row.app_secret,
      replace: (trx, to) => updateEngineKeySecret(trx, row.id, row.app_secret, to),
    })),
  // The caller lines' SIP trunk passwords (services/phoneLines.ts spells the context too).
  async (db, lock) =>
    (await listSipPasswords(db, lock)).map((row) => ({
      context: `phone_line.sip_password:${row.id}`,
      value: row.sip_password,
      replace: (trx, to) => updateSipPassword(trx, row.tenant_id, row.id, row.sip_password, to),
    })),
];

async function allSecrets(db: Database, lock: boolean): Promise<StoredSecret[]> {
  const out: StoredSecret[] = [];
  for (const source of SECRET_SOURCES) out.push(...(await source(db, lock)));
  return out;
}

/** How many stored secrets are under each key id ('' for not encrypted). */
export async function secretKeyCensus(db: Database): Promise<Map<string, number>> {
  const census = new Map<string, number>();
  for (const s of await allSecrets(db, false)) {
    const id = keyIdOf(s.value) ?? '';
    census.set(id, (census.get(id) ?? 0) + 1);
  }
  return census;
}

/**
 * Encrypts every stored secret not yet encrypted (those of a database from before this version),
 * under the process's key, and re-encrypts those it can read under an older key; idempotent. Refuses when a stored secret is under another key: this
 * process could not read it, and a second key in one database is a mistake to stop at once.
 * Runs in one transaction; on PostgreSQL the rows are locked, so processes starting together
 * encrypt each secret once.
 */
export async function encryptStoredSecrets(db: Database): Promise<{ encrypted: number; total: number }> {
  const keyring = secretKeyring();
  return db.transaction(async (trx) => {
    const secrets = await allSecrets(trx, true);
    const foreign = secrets.filter((s) => isEncrypted(s.value) && keyIdOf(s.value) !== keyring.keyId);
    const unreadable = foreign.filter((s) => {
      try {
        keyring.decrypt(s.value, s.context);
        return false;
      } catch {
        return true;
      }
    });
    if (unreadable.length > 0) throw mismatch(keyring, unreadable);
    let encrypted = 0;
    for (const s of secrets) {
      if (isEncrypted(s.value)) continue;
      if (await s.replace(trx, keyring.encrypt(s.value, s.context))) encrypted++;
    }
    // Readable, but under a retired key (written by a process during a rotation): brought under the current one.
    for (const s of foreign) await s.replace(trx, keyring.encrypt(keyring.decrypt(s.value, s.context), s.context));
    return { encrypted, total: secrets.length };
  });
}

function mismatch(keyring: SecretKeyring, unreadable: StoredSecret[]): SecretKeyError {
  const ids = [...new Set(unreadable.map((s) => keyIdOf(s.value)))].join(', ');
  return new SecretKeyError(
    `${unreadable.length} stored secret(s) are encrypted under secret key ${ids}, but the key configured ` +
      `(${keyring.source}) is ${keyring.keyId}. Set OUTCALL_SECRET_KEY (or SECRET_KEY_FILE) to the key they were ` +
      'encrypted under (after an interrupted rotation, it is in the key file followed by `.next`).',
  );
}

/**
 * Start-up: the process's key, then the stored secrets encrypted under it. Without
 * OUTCALL_SECRET_KEY the key file is used, and generated when missing — but only for a database
 * that holds no encrypted secret yet: generating a key for secrets made under another one would
 * strand them.
 */
export async function prepareSecrets(
  db: Database,
  settings: SecretKeySettings,
  /** false for a database not migrated at all (`serve --no-migrate` on an empty one): it holds no secret yet. */
  options: { schema: boolean } = { schema: true },
): Promise<{ keyring: SecretKeyring; generatedFile?: string; warning?: string; encrypted: number }> {
  if (!options.schema) {
    const loaded = loadSecretKeyring(settings);
    useSecretKeyring(loaded.keyring);
    return { ...loaded, encrypted: 0 };
  }
  let loaded: ReturnType<typeof loadSecretKeyring>;
  try {
    loaded = loadSecretKeyring(settings, { generate: false });
  } catch (error) {
    if (!(error instanceof SecretKeyError) || settings.secretKey) throw error;
    const encryptedIds = [...(await secretKeyCensus(db)).keys()].filter(Boolean);
    if (encryptedIds.length > 0)
      throw new SecretKeyError(
        `${error.message}, and the database's secrets are encrypted under key ${encryptedIds.join(', ')}: ` +
          'set OUTCALL_SECRET_KEY or SECRET_KEY_FILE to that key (a new key could not read them)',
      );
    loaded = loadSecretKeyring(settings, { generate: true });
  }
  useSecretKeyring(loaded.keyring);
  const { encrypted } = await encryptStoredSecrets(db);
  return { ...loaded, encrypted };
}

/**
 * Re-encrypts every stored secret under `newKey`, in one transaction (all or none). Values not yet
 * encrypted are encrypted too. The caller makes the new key the configured one afterwards.
 */
export async function reencryptStoredSecrets(db: Database, newKey: Buffer): Promise<number> {
  const old = secretKeyring();
  const next = new SecretKeyring(newKey, 'the new key');
  return db.transaction(async (trx) => {
    let count = 0;
    for (const s of await allSecrets(trx, true)) {
      const plain = isEncrypted(s.value) ? old.decrypt(s.value, s.context) : s.value;
      if (!(await s.replace(trx, next.encrypt(plain, s.context))))
        throw new SecretKeyError(`the stored ${s.context} changed during the rotation: run it again`);
      count++;
    }
    return count;
  });
}

export interface RotationResult {
  reencrypted: number;
  oldKeyId: string;
  newKeyId: string;
  /** Where the new key was written, when it was. */
  keyFile?: string;
  /** Where the old key was kept (next to the key file), when it came from there. */
  retiredFile?: string;
}

/**
 * `outcall secret-key rotate`: the current key is the configured one (prepareSecrets ran); the new
 * one is given, or generated. A new key goes to the key file when the current key came from it, or
 * when none was given: first as `<file>.next` (so a crash after the commit loses nothing), then,
 * once the secrets are re-encrypted, moved into place, the old key kept as `<file>.retired-<id>`.
 */
export async function rotateSecretKey(
  db: Database,
  settings: SecretKeySettings,
  newKeyText?: string,
): Promise<RotationResult> {
  const old = secretKeyring();
  const newKey =
    newKeyText === undefined ? Buffer.from(generateSecretKey(), 'base64') : parseSecretKey(newKeyText, 'the new key');
  const newKeyId = secretKeyId(newKey);
  if (newKeyId === old.keyId) throw new SecretKeyError('the new key is the current key');
  const writeFile = !settings.secretKey || newKeyText === undefined;
  const file = resolve(settings.secretKeyFile);
  const nextFile = `${file}.next`;
  if (writeFile) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileDurably(nextFile, `${newKey.toString('base64')}\n`);
  }
  let reencrypted: number;
  try {
    reencrypted = await reencryptStoredSecrets(db, newKey);
  } catch (error) {
    if (writeFile) rmSync(nextFile, { force: true });
    throw error;
  }
  const result: RotationResult = { reencrypted, oldKeyId: old.keyId, newKeyId };
  if (writeFile) {
    // The key the file held stays beside it: backups made before now can only be read with it.
    if (existsSync(file)) {
      let retiredId = old.keyId;
      try {
        retiredId = secretKeyId(parseSecretKey(readFileSync(file, 'utf8'), file));
      } catch {
        // Not a key: it is kept all the same, under the current key's id.
      }
      result.retiredFile = `${file}.retired-${retiredId}`;
      rmSync(result.retiredFile, { force: true });
      linkSync(file, result.retiredFile);
    }
    renameSync(nextFile, file);
    result.keyFile = file;
  }
  useSecretKeyring(new SecretKeyring(newKey, writeFile ? file : 'the new key', writeFile ? file : undefined));
  return result;
}
