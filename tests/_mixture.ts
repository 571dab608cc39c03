/** A small mixture file as JSON, for the multitask tests to edit (two pair tasks, EPRSTMT held out). */

/** A mixture file's JSON as the tests edit it. */
export interface MixtureJson {
  tasks: Record<string, { templates?: string[]; words?: Record<string, string[]> }>;
  heldout: { task: string; wordings: { template: string; words: Record<string, string[]> }[] };
  [field: string]: unknown;
}

/** A small valid mixture (two pair tasks, EPRSTMT held out); `edit` changes its JSON before the check. */
export function mixtureJson(edit: (m: MixtureJson) => void = () => {}): MixtureJson {
  const m: MixtureJson = {
    name: "tiny",
    tasks: {
      bustm: { templates: ["{text}？[MASK]，{text_b}", "{text}和{text_b}意思[MASK]同。"], words: { Same: ["是"], Different: ["不"] } },
      cluewsc: { templates: ["{text}？[MASK]，{text_b}", "{text}这里{text_b}吗？[MASK]。"], words: { True: ["是"], False: ["不"] } },
    },
    heldout: {
      task: "eprstmt",
      wordings: [{ template: "{text}总之很[MASK]。", words: { Positive: ["好"], Negative: ["差"] } }],
    },
    examplesPerTask: 40,
    temperature: 2,
    seed: 7,
    steps: 6,
    batchSize: 4,
    lr: 1e-3,
    warmupSteps: 1,
    maxLength: 32,
  };
  edit(m);
  return m;
}
