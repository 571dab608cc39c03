/**
 * Multitask training on an encoder with a masked-LM head (capability `mlm`, BERT): every row is rendered with
 * one of its task's PET templates and the whole backbone trains with PET's loss, one cross-entropy over the class
 * scores of the task's label words at [MASK] (`patternScores`, as PET reads them).
 * @module
 */
import { crossEntropy } from "../engine/layers.ts";
import { GradientStep } from "../engine/gradient_step.ts";
import type { Graph } from "../engine/graph.ts";
import { packBatch, tokenFeeds } from "../model/batch.ts";
import { bertBackbone } from "../model/bert/backbone.ts";
import { bertConfigText, readBertConfig } from "../model/bert/config.ts";
import { loadModelFolder, saveModelFolder } from "../model/folder.ts";
import { GraphParams } from "../model/params.ts";
import { type BertTokenizer, loadTokenizer } from "../model/tokenizers/tokenizer.ts";
import { patternScores } from "../methods/pet/pattern_scores.ts";
import { encodePrompts, maskRows, resolveTemplate, templateOverhead } from "../methods/pet/template.ts";
import { buildVerbalizer } from "../methods/pet/verbalizer.ts";
import { inMixture, type Mixture } from "./mixture.ts";
import type { MultitaskArch, MultitaskObjective } from "./objective.ts";

/** Templates and verbalizers of the mixture checked against the tokenizer, before any data is read. */
function checkPrompts(mixture: Mixture, tok: BertTokenizer, maxLength: number) {
  return mixture.tasks.map(({ task, templates, words }) => {
    const verbalizer = inMixture(mixture, `tasks.${task.name}.words`, () => buildVerbalizer(tok, task.labels, words));
    const parsed = templates.map((t, i) =>
      inMixture(mixture, `tasks.${task.name}.templates[${i}]`, () => {
        const template = resolveTemplate(t);
        templateOverhead(tok, template, { maskCount: verbalizer.maskCount, maxLength });
        return template;
      })
    );
    return { templates: parsed, verbalizer };
  });
}

/** PET's loss on a BERT. */
export const petMultitask: MultitaskArch = {
  objective: "pet-mlm",
  async start(dir, mixture) {
    const base = await loadModelFolder(dir);
    // Refused before the folder is started: nothing is written for a mixture the model cannot read.
    checkPrompts(mixture, base.tokenizer, Math.min(mixture.maxLength, base.config.max_position_embeddings));
    // A pooler the base model lacked is never trained here: left out, loaders initialise it as HF does.
    const weights = new Map([...base.weights].filter(([n]) => !(base.poolerInitialized && n.startsWith("bert.pooler."))));
    return { files: { ...base.tokenizer.files, "config.json": bertConfigText(base.config) }, weights };
  },
  async open(out, mixture, rows, weights): Promise<MultitaskObjective> {
    // Read back from the folder, so a resumed run trains with exactly what the first one wrote.
    const config = await readBertConfig(`${out}/config.json`);
    const backbone = bertBackbone(config);
    const tokenizer = await loadTokenizer(out);
    const maxLength = Math.min(mixture.maxLength, config.max_position_embeddings);
    const tasks = checkPrompts(mixture, tokenizer, maxLength).map((p, i) => ({
      ...p,
      rows: rows[i].rows,
      gold: rows[i].rows.map((row) => rows[i].task.labels.indexOf(row.label)),
    }));
    const steps = new Map<string, Promise<GradientStep>>();
    const stepFor = (t: number, batch: number, seqLen: number) => {
      const key = `${t}:${batch}:${seqLen}`;
      if (!steps.has(key)) {
        steps.set(
          key,
          GradientStep.build((g: Graph) => {
            const params = new GraphParams(g, weights, () => true);
            const scores = patternScores(g, backbone, params, tasks[t].verbalizer, { batch, seqLen, train: true });
            return { loss: crossEntropy(scores, g.input("labels", [batch], "int64")), params };
          }),
        );
      }
      return steps.get(key)!;
    };
    return {
      async step(draw, dropoutSeed) {
        const t = tasks[draw.task];
        const seqs = draw.picks.flatMap((p) =>
          encodePrompts(tokenizer, t.templates[p.template], [t.rows[p.row]], { maskCount: t.verbalizer.maskCount, maxLength }).seqs
        );
        const b = packBatch(seqs, { maxLength });
        const run = await stepFor(draw.task, b.batch, b.seqLen);
        const r = await run.run(weights, {
          ...tokenFeeds(b),
          mask_rows: maskRows(b, tokenizer.specialIds.mask, t.verbalizer.maskCount),
          labels: BigInt64Array.from(draw.picks.map((p) => BigInt(t.gold[p.row]))),
          dropout_seed: dropoutSeed,
        });
        return { loss: r.loss, grads: r.grads, tokens: seqs.reduce((s, q) => s + q.ids.length, 0) };
      },
      save: () => saveModelFolder(out, { backbone, weights, tokenizerFiles: tokenizer.files }),
      card: {
        model: "A Chinese BERT (masked LM)",
        sizes: `${config.num_hidden_layers} layers, hidden ${config.hidden_size}, vocabulary ${config.vocab_size}`,
        methods: "every method of the kit",
        loss: "the loss is PET's cross-entropy over the task's label words at [MASK],\nand the whole backbone trains",
      },
      async release() {
        for (const s of steps.values()) await (await s).release();
      },
    };
  },
};
