import { describe, expect, it } from 'vitest';
import * as enums from '../../src/domain/enums.js';
import { ENUM_NAMES, label, locale, setLocale, t } from './i18n.js';

/* The console speaks Chinese first and English on the switch, with the platform's enum labels. */

describe('i18n', () => {
  it('is Chinese by default, English on the switch, with placeholders filled', () => {
    expect(locale.value).toBe('zh');
    expect(t('import.preview', { n: 10, total: 1200 })).toBe('预览 (前 10 行，共 1200 行)');
    setLocale('en');
    expect(t('import.preview', { n: 10, total: 1200 })).toBe('Preview (first 10 of 1200 rows)');
    expect(label('JobStatus', 'IN_PROCESS')).toBe('Running');
    setLocale('zh');
    expect(label('JobStatus', 'IN_PROCESS')).toBe('进行中');
    expect(label('JobStatus', 'SOMETHING_NEW')).toBe('SOMETHING_NEW');
  });

  it('labels every value of the server enums the console shows, as the platform labels them', () => {
    const server: Record<string, { names: readonly string[]; label(name: string): string }> = {
      JobStatus: enums.JobStatus as never,
      ResultStatus: enums.ResultStatus as never,
      FollowStatus: enums.FollowStatus as never,
      PhoneType: enums.PhoneType as never,
      IntentLevel: enums.IntentLevel as never,
      HangupBy: enums.HangupBy as never,
      ReadStatus: enums.ReadStatus as never,
    };
    for (const [name, e] of Object.entries(server)) {
      expect([...ENUM_NAMES[name as keyof typeof ENUM_NAMES]].sort(), name).toEqual([...e.names].sort());
      if (name !== 'IntentLevel') for (const value of e.names) expect(label(name, value), value).toBe(e.label(value));
    }
  });
});
