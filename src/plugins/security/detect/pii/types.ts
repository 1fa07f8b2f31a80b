// The PII types: one list, the config keys of Gatekit's `pii_types`.

/** The PII types, with the config keys of Gatekit's `pii_types` (iban is ours). */
export const PII_TYPES = ['email', 'phone', 'credit_card', 'ip_address', 'national_id', 'iban'] as const;
export type PiiType = (typeof PII_TYPES)[number];
