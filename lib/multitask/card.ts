/** The model card (README.md) of a model made by multitask prompted training: its mixture, held-out task and objective. */
import type { ObjectiveCard } from "./objective.ts";
import type { MixtureRecord } from "./record.ts";

/** What a finished run records in `multitask.json` (see `train.ts`). */
export interface MultitaskRun {
  mixture: MixtureRecord;
  /** The mixture file as given to the command. */
  mixtureFile: string;
  model: { name: string; fingerprint: string };
  /** The objective its backbone took (`MultitaskArch.objective`): `pet-mlm` or the text-to-text method's name. */
  objective: string;
  steps: number;
  seconds: number;
  threads: number;
  rows: { task: string; used: number; read: number; decontaminated: number; duplicates: number; probability: number }[];
  /** Each step's `{ step, loss, tokens }` (tokens seen so far). */
  log: Record<string, number>[];
}

const words = (w: Readonly<Record<string, readonly string[]>>) => {
  const entries = Object.entries(w);
  const shown = entries.slice(0, 4).map(([label, ws]) => `${label}: ${ws.join("/")}`).join("; ");
  return entries.length > 4 ? `${shown}; … (${entries.length} classes)` : shown;
};

/** The card of model `name` trained by `run` with the objective `objective` describes. */
export function multitaskCard(name: string, objective: ObjectiveCard, run: MultitaskRun): string {
  const m = run.mixture;
  const tail = run.log.slice(-50);
  return `# ${name}

${objective.model} trained by promptlab's multitask prompted training (\`deno task cli multitask\`, ZeroPrompt
style) on the mixture **${m.name}** (\`${run.mixtureFile}\`), starting from \`${run.model.name}\` (fingerprint ${run.model.fingerprint}).
${objective.sizes}; Hugging Face layout, loadable
by ${objective.methods} (\`--model\`).

**Held-out task: \`${m.heldout.task}\`.** Nothing of it was trained on: none of its rows, and no row of another task
holding one of its sentences; nor any sentence of any task's evaluation splits. Score it zero-shot with the
${m.heldout.wordings.length} wordings below, which no mixture task uses.

## Mixture

Every step draws a task with probability ∝ n^(1/T), T = ${m.temperature}, then ${m.batchSize} of its rows, each rendered
with one of its templates drawn at random; ${objective.loss}.

| task | rows used | rows read | left out (evaluation or held-out text) | duplicates | probability | templates | label words |
| --- | --- | --- | --- | --- | --- | --- | --- |
${
    run.rows.map((r, i) =>
      `| ${r.task} | ${r.used} | ${r.read} | ${r.decontaminated} | ${r.duplicates} | ${r.probability} | ${
        m.tasks[i].templates.map((t) => `\`${t}\``).join("<br>")
      } | ${words(m.tasks[i].words)} |`
    ).join("\n")
  }

Held-out wordings of \`${m.heldout.task}\`:

${m.heldout.wordings.map((w) => `- \`${w.template}\` with ${words(w.words)}`).join("\n")}

## Training

${run.steps} steps of batch ${m.batchSize}, AdamW (lr ${m.lr}, weight decay 0.01), ${m.warmupSteps} warmup steps then linear
decay, gradient clipping 1.0, dropout 0.1, seed ${m.seed}, prompts cut to ${m.maxLength} tokens, at most
${m.examplesPerTask} rows per task; ${(run.seconds / 60).toFixed(1)} minutes on ${run.threads} onnxruntime thread(s), mean
training loss over the last ${tail.length} steps ${(tail.reduce((s, e) => s + e.loss, 0) / tail.length).toFixed(4)}. Each step's loss is in
\`multitask.json\`.
`;
}
