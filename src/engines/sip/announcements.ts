import { type Announcement, fingerprintG711 } from './fingerprint.js';
import { speak } from './tts.js';

/*
 * The announcement library the engine starts with, until a tenant's own clips (recorded from its
 * carriers) are stored: the usual wording of China's carrier announcements, spoken by espeak-ng at
 * run time. The test carrier (examples/carrier/) plays the same texts, so its early media classify.
 */
export const DEFAULT_ANNOUNCEMENTS: Record<string, string> = {
  vacant_number: '您拨打的号码是空号，请查证后再拨。',
  power_off: '您拨打的电话已关机。',
  out_of_service: '您拨打的电话已停机。',
  busy: '您拨打的电话正在通话中，请稍后再拨。',
};

/** The default library, made (or read from the speech cache) under `dataDir`. */
export async function defaultLibrary(dataDir: string): Promise<Announcement[]> {
  return Promise.all(
    Object.entries(DEFAULT_ANNOUNCEMENTS).map(async ([name, text]) => ({
      class: name,
      name,
      fingerprint: fingerprintG711('PCMA', await speak(text, { dataDir, codec: 'PCMA' })),
    })),
  );
}
