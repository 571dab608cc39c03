/**
 * Multitask training on an encoder-decoder (capability `text-to-text`, T5), text to text: every row is rendered
 * with one of its task's templates, `[MASK]` replaced by the sentinel `<extra_id_0>` as the text-to-text method
 * reads a task's PET prompt (`taskPrompt`), and every weight trains with the teacher-forced cross-entropy of the
 * gold label's target, `<extra_id_0>` + its first label word: what that method's zero-shot scoring ranks and its
 * fine-tuning learns.
 * @module
 */
import type { GradientStep } from "../engine/gradient_step.ts";
import { loadTextToTextTokenizer, readBackbone, type TextToTextConfig } from "../model/backbones.ts";
import { isTextToText, loadAnyModelFolder, saveModelFolder } from "../model/folder.ts";
import type { TextToTextTokenizer } from "../model/text_to_text.ts";
import { encodePrompts, parseText2TextTemplate, targetStrings, taskPrompt } from "../methods/text2text/prompt.ts";
import { teacherForcedBatch } from "../methods/text2text/teacher_forcing.ts";
import { text2text } from "../methods/text2text/text2text.ts";
import { InputError } from "../util/errors.ts";
import { readJsonFile } from "../util/json_file.ts";
import { inMixture, type Mixture } from "./mixture.ts";
import type { MultitaskArch, MultitaskObjective } from "./objective.ts";

/** Each task's templates (in the text-to-text method's terms) and its labels' target ids, checked against the tokenizer. */
function checkPrompts(mixture: Mixture, tok: TextToTextTokenizer, maxLength: number) {
  return mixture.tasks.map(({ task, templates, words }) => {
    const prompts = templates.map((template) => taskPrompt({ template, words }));
    const targets = inMixture(mixture, `tasks.${task.name}.words`, () => targetStrings(tok, task.labels, prompts[0].targets))
      .map((t) => tok.encode(t));
    const parsed = prompts.map((p, i) =>
      inMixture(mixture, `tasks.${task.name}.templates[${i}]`, () => {
        const template = parseText2TextTemplate(p.template);
        encodePrompts(tok, template, [], maxLength); // the template alone must leave room for the text
        return template;
      })
    );
    return { templates: parsed, targets };
  });
}

/** Longest prompt of a mixture on a backbone reading at most `maxPositions` tokens. */
const promptLength = (mixture: Mixture, maxPositions: number) => Math.min(mixture.maxLength, maxPositions);

/** Text-to-text on a T5. */
export const text2textMultitask: MultitaskArch = {
  objective: text2text.name,
  async start(dir, mixture) {
    const base = await loadAnyModelFolder(dir);
    if (!isTextToText(base)) throw new InputError("not a text-to-text model", { file: `${base.dir}/config.json`, field: "model_type" });
    // Refused before the folder is started: nothing is written for a mixture the model cannot read.
    checkPrompts(mixture, base.tokenizer, promptLength(mixture, base.backbone.sizes.maxPositions));
    const config = JSON.stringify(base.backbone.configJson(), null, 2) + "\n";
    return { files: { ...base.tokenizer.files, "config.json": config }, weights: base.weights };
  },
  async open(out, mixture, rows, weights): Promise<MultitaskObjective> {
    // Read back from the folder, so a resumed run trains with exactly what the first one wrote.
    const file = `${out}/config.json`;
    const backbone = readBackbone(await readJsonFile(file), file);
    const t2t = backbone.textToText;
    if (!t2t) throw new InputError("not a text-to-text model", { file, field: "model_type" });
    const tokenizer = await loadTextToTextTokenizer(out);
    const maxLength = promptLength(mixture, backbone.sizes.maxPositions);
    const tasks = checkPrompts(mixture, tokenizer, maxLength).map((p, i) => ({
      ...p,
      rows: rows[i].rows,
      gold: rows[i].rows.map((row) => rows[i].task.labels.indexOf(row.label)),
      // One target length per task, its longest label's: fewer compiled shapes.
      tgtLen: Math.max(...p.targets.map((t) => t.length)),
    }));
    const steps = new Map<string, Promise<GradientStep>>();
    // The backbone has text-to-text, so its config is a text-to-text one.
    const { d_model, num_layers, num_decoder_layers, vocab_size } = backbone.config as TextToTextConfig;
    return {
      async step(draw, dropoutSeed) {
        const t = tasks[draw.task];
        const prompts = draw.picks.map((p) => encodePrompts(tokenizer, t.templates[p.template], [t.rows[p.row]], maxLength)[0]);
        const targets = draw.picks.map((p) => t.targets[t.gold[p.row]]);
        const { shape, feeds } = teacherForcedBatch(t2t, tokenizer, prompts, targets, t.tgtLen);
        const key = `${shape.batch}x${shape.srcLen}x${shape.tgtLen}`;
        if (!steps.has(key)) steps.set(key, t2t.trainStep(weights, () => true, shape));
        const r = await (await steps.get(key)!).run(weights, { ...feeds, dropout_seed: dropoutSeed });
        return { loss: r.loss, grads: r.grads, tokens: prompts.reduce((s, ids) => s + ids.length, 0) };
      },
      save: () => saveModelFolder(out, { backbone, weights, tokenizerFiles: tokenizer.files }),
      card: {
        model: "A Chinese T5 (encoder-decoder, text to text)",
        sizes: `${num_layers} encoder and ${num_decoder_layers} decoder blocks, d_model ${d_model}, vocabulary ${vocab_size}`,
        methods: `the text-to-text method (\`--method ${text2text.name}\`)`,
        loss:
          "[MASK] is replaced by the sentinel `<extra_id_0>` (as\nthe text2text method reads a PET template), and the loss is the teacher-forced cross-entropy of the gold label's\n" +
          "target, `<extra_id_0>` followed by its first label word (what text2text ranks zero-shot); every weight trains",
      },
      async release() {
        for (const s of steps.values()) await (await s).release();
      },
    };
  },
};
