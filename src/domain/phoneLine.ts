/** A caller line's settings and their bounds (docs/lines.md): one place for the API schemas, the service and the console. */

export const LINE_ENGINES = ['simulated', 'external'] as const;
export type LineEngine = (typeof LINE_ENGINES)[number];

/** The phone types a caller line can have (the platform's others are not lines outcall dials). */
export const LINE_PHONE_TYPES = ['MOBILE', 'LANDLINE'] as const;

export const SIP_TRANSPORTS = ['udp', 'tcp'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

export const SIP_CODECS = ['PCMA', 'PCMU'] as const;
export type SipCodec = (typeof SIP_CODECS)[number];

export const LINE_LIMITS = {
  nameLength: 64,
  channels: { min: 1, max: 100_000 },
  callsPerSecond: { max: 10_000 },
  ringTimeoutSeconds: { min: 5, max: 300, default: 60 },
  maxCallSeconds: { min: 10, max: 14_400, default: 600 },
  dailyCapPerNumber: { min: 1, max: 10_000 },
  sipUriLength: 500,
  sipUsernameLength: 128,
  sipPasswordLength: 256,
} as const;

/** A SIP or SIPS URI: the scheme, then something without white space. */
export const isSipUri = (text: string): boolean => /^sips?:[^\s]+$/i.test(text);

/** Why outcall disabled a line that kept failing. */
export const failuresReason = (count: number) => `${count} failures in a row`;
