/** Flags several commands share, declared once. */

/** `--mirror DIR`: where registered datasets are read from. */
export const MIRROR_FLAG = { type: "string", value: "DIR", help: "data mirror (else PROMPTLAB_DATA_MIRROR)" } as const;
