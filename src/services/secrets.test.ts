import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness.js';
import { insertApiKey, insertTenant, listAppSecrets } from '../repositories/tenants.js';
import { authenticate } from './auth.js';
import {
  appSecretContext,
  decryptSecret,
  encryptStoredSecrets,
  isEncrypted,
  keyIdOf,
  loadSecretKeyring,
  parseSecretKey,
  prepareSecrets,
  rotateSecretKey,
  SecretKeyError,
  SecretKeyring,
  secretKeyId,
  secretKeyring,
  useSecretKeyring,
  writeKeyFileExclusive,
} from './secrets.js';
import { computeSignature } from './signature.js';
import { createTenant, firstEnabledKey } from './tenants.js';

/* Secrets at rest: the envelope, the key and its file, start-up over old data, rotation. */

const dir = mkdtempSync(join(tmpdir(), 'outcall-secrets-'));
const key = () => randomBytes(32);
const processKeyring = secretKeyring();
afterEach(() => useSecretKeyring(processKeyring));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the secret key', () => {
  it('is 32 bytes as 64 hex digits or base64/base64url, and a wrong one is refused without being echoed', () => {
    const k = key();
    for (const text of [k.toString('hex'), k.toString('base64'), k.toString('base64url'), ` ${k.toString('base64')}\n`])
      expect(parseSecretKey(text).equals(k)).toBe(true);
    for (const bad of [
      '',
      'abc',
      k.toString('hex').slice(2),
      randomBytes(31).toString('base64'),
      `${k.toString('hex')}00`,
    ]) {
      expect(() => parseSecretKey(bad)).toThrow(SecretKeyError);
      try {
        parseSecretKey(bad);
      } catch (e) {
        if (bad) expect((e as Error).message).not.toContain(bad);
      }
    }
  });

  it('is generated into its file on first use, owner-only, and kept: a second process reads the first one’s', () => {
    const file = join(dir, 'gen', 'secret.key');
    const first = loadSecretKeyring({ secretKeyFile: file });
    expect(first.generatedFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.warning).toBeUndefined();
    const second = loadSecretKeyring({ secretKeyFile: file });
    expect(second.generatedFile).toBeUndefined();
    expect(second.keyring.keyId).toBe(first.keyring.keyId);
    // Losing the race to create it: the file that is there wins.
    expect(writeKeyFileExclusive(file, key().toString('base64'))).toBe(false);
    expect(loadSecretKeyring({ secretKeyFile: file }).keyring.keyId).toBe(first.keyring.keyId);
  });

  it('comes from OUTCALL_SECRET_KEY before the file, and a readable file is warned about', () => {
    const k = key();
    const file = join(dir, 'loose.key');
    writeFileSync(file, key().toString('hex'), { mode: 0o644 });
    expect(loadSecretKeyring({ secretKey: k.toString('hex'), secretKeyFile: file }).keyring.keyId).toBe(secretKeyId(k));
    expect(loadSecretKeyring({ secretKeyFile: file }).warning).toContain('chmod 600');
  });
});

describe('an encrypted secret', () => {
  const ring = new SecretKeyring(key(), 'test');

  it('is a versioned envelope naming its key, different every time, and decrypts to the secret', () => {
    const a = ring.encrypt('aXSFnnZbHDemoSecret0000Mguz1Q', 'ctx');
    const b = ring.encrypt('aXSFnnZbHDemoSecret0000Mguz1Q', 'ctx');
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{11}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('DemoSecret');
    expect(keyIdOf(a)).toBe(ring.keyId);
    expect(isEncrypted(a)).toBe(true);
    expect(isEncrypted('aXSFnnZbHDemoSecret0000Mguz1Q')).toBe(false);
    expect(ring.decrypt(a, 'ctx')).toBe('aXSFnnZbHDemoSecret0000Mguz1Q');
  });

  it('does not decrypt for another row, altered, or under another key — and says which key it needs', () => {
    const a = ring.encrypt('secret', 'api_key.app_secret:A');
    expect(() => ring.decrypt(a, 'api_key.app_secret:B')).toThrow(/altered or moved/);
    const parts = a.split(':');
    parts[4] = Buffer.from('secreT').toString('base64url');
    expect(() => ring.decrypt(parts.join(':'), 'api_key.app_secret:A')).toThrow(/altered or moved/);
    const other = new SecretKeyring(key(), 'OUTCALL_SECRET_KEY');
    expect(() => other.decrypt(a, 'api_key.app_secret:A')).toThrow(
      new RegExp(`encrypted under secret key ${ring.keyId}, but this process has key ${other.keyId}`),
    );
    expect(() => ring.decrypt('plain-secret', 'x')).toThrow(/not encrypted/);
  });
});

describe('the stored app secrets', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('are stored encrypted by the services, and read back in clear where they must be (the demo)', async () => {
    const own = await createTestDatabase();
    try {
      const c = await createTenant(own.database, { name: '加密公司', tenantSign: 'encrypted' });
      const [stored] = await listAppSecrets(own.database, false);
      expect(isEncrypted(stored!.app_secret)).toBe(true);
      expect(stored!.app_secret).not.toContain(c.appSecret);
      expect(decryptSecret(stored!.app_secret, appSecretContext(c.appKey))).toBe(c.appSecret);
      expect(await firstEnabledKey(own.database, c.tenantId)).toEqual({ appKey: c.appKey, appSecret: c.appSecret });
    } finally {
      await own.drop();
    }
  });

  it('of a database from before are encrypted at start-up, once, and still sign requests', async () => {
    // As version 0006 and earlier stored them: in clear.
    const tenantId = await insertTenant(t.database, {
      name: '老公司',
      tenantSign: `old${Date.now()}`,
      timeZone: 'UTC',
      now: 0,
    });
    await insertApiKey(t.database, tenantId, 'OldKey0000000001', 'OldSecretOldSecretOldSecret00001', 0);
    await insertApiKey(t.database, tenantId, 'OldKey0000000002', 'OldSecretOldSecretOldSecret00002', 0);
    const file = join(dir, 'startup.key');
    const first = await prepareSecrets(t.database, { secretKeyFile: file });
    expect(first.generatedFile).toBe(file);
    expect(first.encrypted).toBe(2);
    const rows = await listAppSecrets(t.database, false);
    expect(rows.every((r) => keyIdOf(r.app_secret) === first.keyring.keyId)).toBe(true);
    expect((await prepareSecrets(t.database, { secretKeyFile: file })).encrypted).toBe(0);

    const timestamp = String(Date.now());
    const signature = computeSignature({
      appKey: 'OldKey0000000001',
      appSecret: 'OldSecretOldSecretOldSecret00001',
      tenantSign: (
        await t.database.db
          .selectFrom('tenant')
          .select('tenant_sign')
          .where('id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).tenant_sign,
      version: 'v1',
      timestamp,
    });
    const check = await authenticate(
      t.database,
      { appKey: 'OldKey0000000001', version: 'v1', timestamp, signature },
      Date.now(),
      300_000,
    );
    expect(check).toEqual({ caller: expect.objectContaining({ tenantId, appKey: 'OldKey0000000001' }) });
  });

  it('refuse a process whose key is not theirs, and a key file is not generated for them', async () => {
    const file = join(dir, 'startup.key');
    await expect(prepareSecrets(t.database, { secretKey: key().toString('hex'), secretKeyFile: file })).rejects.toThrow(
      /encrypted under secret key .*, but the key configured \(OUTCALL_SECRET_KEY\) is/,
    );
    const missing = join(dir, 'never-made.key');
    await expect(prepareSecrets(t.database, { secretKeyFile: missing })).rejects.toThrow(
      /does not exist, and the database's secrets are encrypted under key/,
    );
    expect(() => statSync(missing)).toThrow();
  });

  it('are re-encrypted under a new key by a rotation, all or none; the key file moves on, the old key kept', async () => {
    const file = join(dir, 'startup.key');
    await prepareSecrets(t.database, { secretKeyFile: file });
    const oldText = readFileSync(file, 'utf8');
    const before = await listAppSecrets(t.database, false);
    const plain = before.map((r) => decryptSecret(r.app_secret, appSecretContext(r.app_key)));
    const oldId = keyIdOf(before[0]!.app_secret)!;

    // A value no key here can read, last in the list: the rotation fails on it and changes nothing.
    const tenantId = await insertTenant(t.database, {
      name: '坏',
      tenantSign: `bad${Date.now()}`,
      timeZone: 'UTC',
      now: 0,
    });
    await insertApiKey(t.database, tenantId, 'BadKey0000000001', new SecretKeyring(key(), 'x').encrypt('s', 'c'), 0);
    await expect(rotateSecretKey(t.database, { secretKeyFile: file })).rejects.toThrow(SecretKeyError);
    const after = await listAppSecrets(t.database, false);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(readFileSync(file, 'utf8')).toBe(oldText);
    await t.database.db.deleteFrom('api_key').where('app_key', '=', 'BadKey0000000001').execute();

    const r = await rotateSecretKey(t.database, { secretKeyFile: file });
    expect(r).toMatchObject({
      reencrypted: before.length,
      oldKeyId: oldId,
      keyFile: file,
      retiredFile: `${file}.retired-${oldId}`,
    });
    expect(readFileSync(`${file}.retired-${oldId}`, 'utf8')).toBe(oldText);
    expect(secretKeyId(parseSecretKey(readFileSync(file, 'utf8')))).toBe(r.newKeyId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const rotated = await listAppSecrets(t.database, false);
    expect(rotated.every((row) => keyIdOf(row.app_secret) === r.newKeyId)).toBe(true);
    expect(rotated.map((row) => decryptSecret(row.app_secret, appSecretContext(row.app_key)))).toEqual(plain);

    // A process that read the old key from the file follows the rotation by itself.
    const running = new SecretKeyring(parseSecretKey(oldText), file, file);
    expect(running.decrypt(rotated[0]!.app_secret, appSecretContext(rotated[0]!.app_key))).toBe(plain[0]);
    expect(running.keyId).toBe(r.newKeyId);

    // With OUTCALL_SECRET_KEY and --new-key, nothing is written: the operator sets the new key.
    const given = key();
    const envKey = readFileSync(file, 'utf8');
    await prepareSecrets(t.database, { secretKey: envKey, secretKeyFile: file });
    const r2 = await rotateSecretKey(t.database, { secretKey: envKey, secretKeyFile: file }, given.toString('hex'));
    expect(r2).toMatchObject({ newKeyId: secretKeyId(given) });
    expect(r2.keyFile).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(envKey);
    await expect(encryptStoredSecrets(t.database)).resolves.toMatchObject({ encrypted: 0 });
    await expect(
      rotateSecretKey(t.database, { secretKey: envKey, secretKeyFile: file }, given.toString('hex')),
    ).rejects.toThrow('the new key is the current key');
  });
});
