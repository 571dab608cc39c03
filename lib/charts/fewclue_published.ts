/**
 * FewCLUE's published baselines on RoBERTa-wwm-ext, kept as data in `fewclue_published.json`: each row of the
 * FewCLUE paper's Table 3 (as the FewCLUE repository's README shows it) with its accuracy per task, read from
 * the source named there, so that the kit's benchmark table can stand beside them. Rows map onto the kit's
 * registered methods where the method is the same (fine-tuning, PET, PET's zero-shot); P-tuning, LM-BFF and
 * EFL keep their published names.
 * @module
 */
import data from "./fewclue_published.json" with { type: "json" };
import { methodName } from "./palette.ts";

/** A published mean accuracy over FewCLUE's splits and its std, as fractions (the JSON holds percentages). */
export interface PublishedAccuracy {
  mean: number;
  std: number | null;
}

/** One published baseline row. */
export interface PublishedBaseline {
  /** The row's name in the source table ("FineTuningR", "P-tuningR"). */
  published: string;
  /** The kit's display name where the method is the kit's ("fine-tuning", "PET (zero-shot)"), else `published`'s own. */
  name: string;
  /** The kit's registry name of the same method; null for a method the kit does not have. */
  method: string | null;
  zeroShot: boolean;
  /** The table's own score (over all nine tasks, CHID included), a fraction. */
  score: number;
  /** Accuracy per task, keyed by the kit's dataset name (`cluewsc` for the table's WSC). */
  accuracy: Readonly<Record<string, PublishedAccuracy>>;
}

/** Names for the published rows without a kit counterpart: the source's own, without its model letter. */
const OWN_NAMES: Readonly<Record<string, string>> = { "P-tuningR": "P-tuning (v1)" };

/** Where the published numbers come from, in one line for captions and Markdown. */
export const PUBLISHED_SOURCE = `${data.source.citation}, as shown in ${data.source.repository} ` +
  `(commit ${data.source.commit.slice(0, 7)}, README.md's results section, ${data.source.file})`;

/** The base model of every published row. */
export const PUBLISHED_MODEL = "RoBERTa-wwm-ext";

/** The published baselines on {@link PUBLISHED_MODEL}, in the source table's order. */
export const publishedBaselines: readonly PublishedBaseline[] = data.rows.map((r) => ({
  published: r.published,
  name: r.method === null ? OWN_NAMES[r.published] ?? r.published : methodName({ method: r.method, label: r.method, zeroShot: r.zeroShot }),
  method: r.method,
  zeroShot: r.zeroShot,
  score: r.score / 100,
  accuracy: Object.fromEntries(
    Object.entries(r.accuracy).map(([task, a]) => [task, { mean: a.mean / 100, std: a.std === null ? null : a.std / 100 }]),
  ),
}));
