/**
 * The FewCLUE benchmark (`grids/fewclue_benchmark-<task>.json`): every method over each task's five official
 * splits, drawn two ways. The table gives each method's mean accuracy per task beside the task's majority-class
 * share, FewCLUE's score (the mean over tasks) and FewCLUE's published RoBERTa-wwm-ext baselines; the difficulty chart reads the article's last claim, that on hard tasks few-shot prompting falls far
 * below fine-tuning on a few labels, as each method's gap to fine-tuning with the tasks ordered from the one
 * fine-tuning finds easiest to the one it finds hardest.
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { finetune } from "../methods/classifier/finetune.ts";
import { methods } from "../methods/registry.ts";
import { majorityTest } from "../eval/chance.ts";
import { degenerateCounts, marksLegends, marksText } from "../eval/marks.ts";
import { percent } from "../util/format.ts";
import type { Caption } from "./caption.ts";
import { chartContext, chartRows, formatRange, knownTask, meansWithBand } from "./context.ts";
import { CHANCE_RING, chanceRingLayer, degenerateFlags } from "./degenerate.ts";
import {
  PUBLISHED_MODEL,
  PUBLISHED_SOURCE,
  type PublishedAccuracy,
  type PublishedBaseline,
  publishedBaselines,
} from "./fewclue_published.ts";
import { methodColourEncoding, methodName, ZERO_SHOT_SUFFIX } from "./palette.ts";
import { type ChartSpec, onlyPart, tagParts, topLevel } from "./spec.ts";

/**
 * One method on one task: mean accuracy (± sample std) over its runs, how many of them collapsed and how many
 * others sit at chance.
 */
export interface BenchmarkCell {
  task: string;
  method: string;
  mean: number;
  std: number | null;
  n: number;
  collapsed: number;
  atChance: number;
  /** Wall seconds of its runs together (`ResultRow.wallSeconds`: loading, training, selection, test prediction). */
  wallSeconds: number;
}

/**
 * A task of the benchmark: its test set, classes, majority-class share and fine-tuning's chance-normalised
 * accuracy on it.
 */
export interface BenchmarkTask {
  task: string;
  /** Test rows each run scores (the largest `n` of its rows). */
  testRows: number;
  /**
   * Classes, or a multiple-choice task's candidates per row (CHID: 7), from the registry, else from the rows'
   * recorded labels; null when neither says.
   */
  classes: number | null;
  /** Whether the task is multiple choice (`Task.choices`): its "classes" are candidates per row. */
  multipleChoice: boolean;
  /** Accuracy of always answering the test set's most frequent class (from the runs' confusion matrices). */
  majority: number;
  /**
   * (fine-tuning's mean − majority) / (1 − majority): 1 when fine-tuning is perfect, 0 when it does no better
   * than the majority answer; null when the task has no fine-tuning runs. Tasks are ordered by it, easiest first.
   */
  headroom: number | null;
}

/** Cells and tasks of the benchmark, tasks easiest first, methods zero-shot first and fine-tuning last. */
export interface Benchmark {
  tasks: BenchmarkTask[];
  methods: string[];
  cells: BenchmarkCell[];
}

/** The accuracy of always answering a row's most frequent gold class; null without a confusion matrix. */
function majorityShare(r: ResultRow): number | null {
  return (r.confusion && majorityTest(r.confusion)?.majority) ?? null;
}

/** {@link BenchmarkTask.classes} and {@link BenchmarkTask.multipleChoice} of `task`, whose rows are `rows`. */
function classesOf(task: string, rows: readonly ResultRow[]): Pick<BenchmarkTask, "classes" | "multipleChoice"> {
  const known = knownTask(task);
  const recorded = Math.max(0, ...rows.map((r) => r.labels?.length ?? 0));
  return { classes: known?.choices ?? known?.labels.length ?? (recorded || null), multipleChoice: known?.choices !== undefined };
}

/** Order of a method name: zero-shot series first, then registration order, fine-tuning (the reference) last. */
function methodRank(name: string, registered: readonly string[]): number {
  const base = name.endsWith(ZERO_SHOT_SUFFIX) ? name.slice(0, -ZERO_SHOT_SUFFIX.length) : name;
  const i = registered.indexOf(base);
  const order = i < 0 ? registered.length : i;
  if (base === finetune.display.name) return 2 * registered.length + 2;
  return name.endsWith(ZERO_SHOT_SUFFIX) ? order : registered.length + 1 + order;
}

/** Summarise benchmark rows (several tasks, one or more methods each) per task and method. */
export function benchmarkOf(allRows: readonly ResultRow[]): Benchmark {
  const rows = chartRows(allRows);
  const cells = meansWithBand(
    rows.map((r) => ({ task: r.dataset, method: methodName(r), accuracy: r.accuracy })),
    ["task", "method"],
    "accuracy",
  ).map(({ task, method, mean, std, n }) => {
    const runs = rows.filter((r) => r.dataset === task && methodName(r) === method);
    return { task, method, mean, std, n, ...degenerateCounts(runs), wallSeconds: runs.reduce((s, r) => s + r.wallSeconds, 0) };
  });
  const ft = finetune.display.name;
  const tasks = [...new Set(rows.map((r) => r.dataset))].map((task) => {
    const runs = rows.filter((r) => r.dataset === task);
    const shares = runs.map(majorityShare).filter((s): s is number => s !== null);
    const majority = shares.length ? Math.max(...shares) : 0;
    const tuned = cells.find((c) => c.task === task && c.method === ft);
    return {
      task,
      testRows: Math.max(...runs.map((r) => r.n)),
      ...classesOf(task, runs),
      majority,
      headroom: tuned ? (tuned.mean - majority) / (1 - majority) : null,
    };
  }).sort((a, b) => (b.headroom ?? -Infinity) - (a.headroom ?? -Infinity));
  const registered = [...methods.values()].map((m) => m.display.name);
  const names = [...new Set(cells.map((c) => c.method))].sort((a, b) => methodRank(a, registered) - methodRank(b, registered));
  return { tasks, methods: names, cells };
}

/** "71.3 ± 2.1 ⚠2": a cell's text in the table (⚠n collapsed runs, ≈n runs at chance). */
function cellText(c: BenchmarkCell): string {
  return `${percent(c.mean)}${c.std !== null ? ` ± ${percent(c.std)}` : ""}${marksText(c)}`;
}

/** Runs per cell and what they are: "5 FewCLUE splits (0–4) per cell". */
function runsLine(rows: readonly ResultRow[], b: Benchmark): string {
  const ctx = chartContext(rows);
  const ns = [...new Set(b.cells.map((c) => c.n))].sort((x, y) => x - y);
  return `${ns.length > 1 ? `${ns[0]}–${ns[ns.length - 1]}` : ns[0]} run(s) per cell: ${ctx.seedKind}s ${formatRange(ctx.seeds)}` +
    " (zero-shot: one run, nothing sampled or trained)";
}

/** The data line both charts share: tasks, model(s), test split. */
function dataText(rows: readonly ResultRow[], b: Benchmark): string {
  const ctx = chartContext(rows);
  return `FewCLUE ${b.tasks.map((t) => t.task).join(", ")}; each run scored on its task's test_public; model${
    ctx.models.length > 1 ? "s" : ""
  } ${ctx.models.join(", ")}`;
}

/** The caption notes both charts carry for collapsed runs and runs at chance. */
function flagsOf(rows: readonly ResultRow[]): string[] {
  return degenerateFlags(chartRows(rows), (r) => `${r.dataset} · ${methodName(r)}`);
}

/**
 * FewCLUE's score of one row: the plain mean of its accuracy over `tasks`; null when it lacks any of them (a
 * mean over fewer tasks would not compare with the other rows') or when there are none.
 */
export function fewclueScore(tasks: readonly string[], accuracyOf: (task: string) => number | undefined): number | null {
  const means = tasks.map(accuracyOf);
  if (!means.length || !means.every((m): m is number => m !== undefined)) return null;
  return means.reduce((a, b) => a + b, 0) / means.length;
}

/** The table's first row. */
const MAJORITY_ROW = "majority class";

/** The score column's header. */
const SCORE_COLUMN = "score";

/** A published row's name in the table, kept apart from the kit's rows of the same method: "RoBERTa-wwm-ext · PET". */
function publishedName(p: PublishedBaseline): string {
  return `${PUBLISHED_MODEL} · ${p.name}`;
}

/** "86.7 ± 1.0": a published cell as the source gives it (no ⚠: the source reports no predictions). */
function publishedText(a: PublishedAccuracy): string {
  return a.std === null ? percent(a.mean) : `${percent(a.mean)} ± ${percent(a.std)}`;
}

/** A row of the table: its cells over the tasks shown (text and mean accuracy) and FewCLUE's score over them. */
interface TableRow {
  name: string;
  published: boolean;
  cells: { task: string; mean: number; text: string }[];
  score: number | null;
}

/**
 * The table's rows: the majority-class share, the kit's methods, then the published baselines on the tasks shown
 * (a task the kit has no rows for is left out, so every score averages the same tasks).
 */
function tableRows(b: Benchmark): TableRow[] {
  const tasks = b.tasks.map((t) => t.task);
  const row = (name: string, published: boolean, cells: TableRow["cells"]): TableRow => {
    const means = new Map(cells.map((c) => [c.task, c.mean]));
    return { name, published, cells, score: fewclueScore(tasks, (t) => means.get(t)) };
  };
  return [
    row(MAJORITY_ROW, false, b.tasks.map((t) => ({ task: t.task, mean: t.majority, text: percent(t.majority) }))),
    ...b.methods.map((m) =>
      row(m, false, b.cells.filter((c) => c.method === m).map((c) => ({ task: c.task, mean: c.mean, text: cellText(c) })))
    ),
    ...publishedBaselines.map((p) =>
      row(
        publishedName(p),
        true,
        tasks.filter((t) => p.accuracy[t]).map((t) => ({ task: t, mean: p.accuracy[t].mean, text: publishedText(p.accuracy[t]) })),
      )
    ),
  ];
}

/** What the score column and the published rows are, for the caption and (with their source) under the Markdown table. */
function scoreText(b: Benchmark): string {
  return `Score: FewCLUE's score, the plain mean of a row's accuracies over the ${b.tasks.length} task(s) shown here only ` +
    "(not FewCLUE's nine), blank where the row lacks one of them. " +
    `${PUBLISHED_MODEL} rows: FewCLUE's published baselines on ${PUBLISHED_MODEL}, accuracy on test_public ± ` +
    "the std the source gives in brackets; their score is recomputed over the tasks shown (the source's averages all nine); " +
    "P-tuning (v1) is not the kit's P-tuning v2.";
}

const CELL = { width: 92, height: 30, charWidth: 7.5 };

/**
 * The benchmark as a table: one column per task (easiest for fine-tuning first) and a last one with FewCLUE's
 * score, one row per method, a first row with the task's majority-class share and, under the kit's rows, FewCLUE's
 * published baselines in grey; each cell the mean accuracy ± sample std over splits, ⚠n where n runs collapsed
 * onto one class, ≈n where n others are at chance, coloured by its distance from the majority share (grey: no better).
 */
export function benchmarkTable(allRows: readonly ResultRow[]): ChartSpec {
  const rows = chartRows(allRows);
  const b = benchmarkOf(rows);
  const table = tableRows(b);
  const majority = new Map([...b.tasks.map((t) => [t.task, t.majority] as const), [SCORE_COLUMN, table[0].score ?? 0]]);
  // Published cells are not coloured: their distance from this kit's majority share would mean nothing.
  const value = (r: TableRow, task: string, mean: number | null, text: string) => ({
    task,
    method: r.name,
    published: r.published,
    above: r.published || mean === null ? null : mean - majority.get(task)!,
    text,
  });
  const values = table.flatMap((r) => [
    ...r.cells.map((c) => value(r, c.task, c.mean, c.text)),
    value(r, SCORE_COLUMN, r.score, r.score === null ? "" : percent(r.score)),
  ]);
  const columns = [...b.tasks.map((t) => t.task), SCORE_COLUMN];
  const x = { field: "task", type: "nominal", sort: columns, title: null, axis: { orient: "top", labelAngle: 0 } };
  const y = { field: "method", type: "nominal", sort: table.map((r) => r.name), title: null, axis: { labelLimit: 260 } };
  const caption: Caption = {
    what: "FewCLUE benchmark: mean test accuracy (%) ± sample std over the official splits, per task (columns, ordered by " +
      "fine-tuning's chance-normalised accuracy, easiest first) and method (rows). The first row is the accuracy of always " +
      "answering the task's most frequent test class; a cell's colour is its distance above (green) or below (red) that share. " +
      [...marksLegends(b.cells), scoreText(b)].join(" ") +
      " In the chart the score is coloured by its distance from the majority row's score; published cells are grey.",
    data: `${dataText(rows, b)}; published rows: ${PUBLISHED_SOURCE}.`,
    perPoint: `${runsLine(rows, b)}.`,
    band: "± is the sample standard deviation (n − 1) over the runs of a cell.",
    flags: flagsOf(rows),
  };
  return {
    ...topLevel({
      title: {
        text: "FewCLUE benchmark: accuracy per task and method",
        subtitle: [dataText(rows, b), runsLine(rows, b), `grey: FewCLUE's published ${PUBLISHED_MODEL} baselines (caption)`],
      },
      caption,
    }),
    data: { values },
    // A cell with both marks ("49.6 ± 0.2 ⚠1 ≈4") is wider than the default cell: widen every column to the longest text.
    width: Math.max(CELL.width, Math.ceil(Math.max(...values.map((v) => v.text.length)) * CELL.charWidth) + 12) * columns.length,
    height: CELL.height * table.length,
    encoding: { x, y },
    layer: [
      {
        transform: [{ filter: "!datum.published" }],
        mark: { type: "rect", stroke: "white" },
        encoding: {
          color: {
            field: "above",
            type: "quantitative",
            title: "above majority",
            scale: { scheme: "redyellowgreen", domainMid: 0, domain: [-0.3, 0.3], clamp: true },
            legend: { format: "+.0%" },
          },
        },
      },
      { transform: [{ filter: "datum.published" }], mark: { type: "rect", stroke: "white", color: "#ececec" } },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: { text: { field: "text" }, color: { condition: { test: "datum.published", value: "#666" }, value: "black" } },
      },
    ],
  } as unknown as ChartSpec; // hand-built layers, checked by compiling it in the tests
}

/**
 * A task as the difficulty chart's x axis names it: its classes (candidates of a multiple-choice task) and
 * fine-tuning's headroom, "csl (2 classes; FT 3 %)".
 */
export function difficultyLabel(t: BenchmarkTask): string {
  const classes = t.classes === null ? "" : `${t.classes} ${t.multipleChoice ? "candidates" : "classes"}; `;
  return `${t.task} (${classes}FT ${t.headroom === null ? "—" : `${percent(t.headroom, 0)} %`})`;
}

/** A point of the difficulty chart: a cell's mean minus `reference` (± its std), with its marks. */
function differenceOf(c: BenchmarkCell, label: string, reference: number) {
  return {
    task: label,
    method: c.method,
    gap: c.mean - reference,
    low: c.mean - (c.std ?? 0) - reference,
    high: c.mean + (c.std ?? 0) - reference,
    n: c.n,
    collapsed: c.collapsed > 0,
    atChance: c.atChance > 0,
  };
}

/**
 * One panel of the difficulty chart: the records of `part` (differences in `gap`) against the dashed zero line,
 * one line per method, a bar of ± std where `bars`, a ring around a mean with collapsed runs and a dashed one
 * around a mean with runs at chance.
 */
function differencePanel(
  part: string,
  { x, color, title, yTitle, bars, width }: { x: object; color: object; title: string; yTitle: string; bars: boolean; width: number },
): Record<string, unknown> {
  const y = { field: "gap", type: "quantitative", title: yTitle, axis: { format: "+.0%" } };
  const mine = onlyPart(part);
  return {
    title: { text: title, fontSize: 12, anchor: "start" },
    width,
    height: 240,
    layer: [
      {
        transform: onlyPart("zero"),
        mark: { type: "rule", color: "#444", strokeDash: [6, 4] },
        encoding: { y: { field: "zero", type: "quantitative" } },
      },
      { transform: mine, mark: { type: "line", opacity: 0.6 }, encoding: { x, y, color } },
      ...(bars
        ? [{
          transform: mine,
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color },
        }]
        : []),
      {
        transform: mine,
        mark: { type: "point", filled: true, size: 70 },
        encoding: { x, y, color, tooltip: [{ field: "task" }, { field: "method" }, { field: "gap", format: "+.1%" }, { field: "n" }] },
      },
      {
        transform: [...mine, { filter: "datum.collapsed" }],
        mark: { type: "point", shape: "circle", filled: false, size: 260, color: "black" },
        encoding: { x, y },
      },
      chanceRingLayer(mine, x, y),
    ],
  };
}

/**
 * The article's difficulty claim in two panels over the same tasks, ordered from the one fine-tuning finds
 * easiest to the hardest (chance-normalised) and named with their classes: above, each few-shot method's mean
 * accuracy minus fine-tuning's on the same task (± its sample std over splits), fine-tuning the zero line; below,
 * each zero-shot run's accuracy minus the task's majority-class share, that share the zero line. A ring marks a
 * mean with collapsed runs, a dashed ring one with runs at chance, in both panels.
 */
export function difficultyChart(allRows: readonly ResultRow[]): ChartSpec {
  const rows = chartRows(allRows);
  const b = benchmarkOf(rows);
  const ft = finetune.display.name;
  const tuned = new Map(b.cells.filter((c) => c.method === ft).map((c) => [c.task, c.mean]));
  const order = b.tasks.filter((t) => t.headroom !== null);
  const taskOf = new Map(order.map((t) => [t.task, t]));
  const shown = b.cells.filter((c) => taskOf.has(c.task) && c.method !== ft);
  const zeroShot = (c: BenchmarkCell) => c.method.endsWith(ZERO_SHOT_SUFFIX);
  const gaps = shown.filter((c) => !zeroShot(c)).map((c) => differenceOf(c, difficultyLabel(taskOf.get(c.task)!), tuned.get(c.task)!));
  const floors = shown.filter(zeroShot).map((c) => differenceOf(c, difficultyLabel(taskOf.get(c.task)!), taskOf.get(c.task)!.majority));
  const labels = order.map(difficultyLabel);
  const color = methodColourEncoding(rows, [...new Set([...gaps, ...floors].map((g) => g.method))]);
  // Both panels list every task in the same order, whether or not a panel has a point there.
  const x = (title: string | null) => ({
    field: "task",
    type: "ordinal",
    sort: labels,
    scale: { domain: labels },
    title,
    axis: { labelAngle: -30 },
  });
  const width = Math.max(360, 90 * order.length);
  const caption: Caption = {
    what: "The article's difficulty claim: tasks ordered by how much of the way from the majority-class share to 100 % " +
      "fine-tuning gets (FT, with each task's number of classes, or candidates per row for a multiple-choice task, in " +
      "brackets), from the easiest to the hardest. Top: each few-shot method's mean test accuracy minus fine-tuning's on " +
      "the same task and splits; below the zero line a method falls short of fine-tuning on a few labels, and the claim " +
      "reads as the gaps of the prompting methods growing to the right. Bottom: zero-shot PET's test accuracy minus the " +
      "task's majority-class share (the accuracy of always answering its most frequent test class; for a multiple-choice " +
      "task about 1 / candidates), so at or below the zero line it does no better than a blind guess; zero-shot is kept " +
      "out of the top panel, whose zero line is fine-tuning.",
    data: `${dataText(rows, b)}.`,
    perPoint: `${runsLine(rows, b)}.`,
    band: "top: sample std (n − 1) of the method's accuracy over the runs, as a vertical bar around the gap; bottom: none " +
      "(one zero-shot run per task).",
    flags: flagsOf(rows),
  };
  const values = tagParts({ gap: gaps, zeroShot: floors, zero: [{ zero: 0 }] });
  const marked = [...gaps, ...floors];
  return {
    ...topLevel({
      title: {
        text: "FewCLUE: gap to fine-tuning and zero-shot above chance as tasks get harder",
        subtitle: [
          dataText(rows, b),
          runsLine(rows, b),
          [
            "top zero line: fine-tuning · bottom zero line: the majority-class share",
            "ring: a mean with collapsed runs (caption)",
            ...(marked.some((g) => g.atChance) ? [CHANCE_RING] : []),
          ].join(" · "),
        ],
      },
      caption,
    }),
    data: { values },
    vconcat: [
      differencePanel("gap", {
        x: x(null),
        color,
        title: "few-shot methods − fine-tuning",
        yTitle: "accuracy − fine-tuning's (points)",
        bars: true,
        width,
      }),
      differencePanel("zeroShot", {
        x: x("task (classes; FT: fine-tuning's accuracy above the majority share, as a fraction of what is left: easiest first)"),
        color,
        title: "zero-shot − majority-class share",
        yTitle: "accuracy − majority share (points)",
        bars: false,
        width,
      }),
    ],
    resolve: { scale: { y: "independent" } },
  } as unknown as ChartSpec; // hand-built panels, checked by compiling it in the tests
}

/**
 * The benchmark table as Markdown (README, notebooks): one row per method, one column per task and the score,
 * ⚠n and ≈n as in the chart, the published rows under the kit's and, below the table, what they and the score are.
 */
export function benchmarkMarkdown(allRows: readonly ResultRow[]): string {
  const b = benchmarkOf(allRows);
  const line = (r: TableRow) => {
    const cells = b.tasks.map((t) => r.cells.find((c) => c.task === t.task)?.text ?? "—");
    return `| ${r.name} | ${cells.join(" | ")} | ${r.score === null ? "" : percent(r.score)} |`;
  };
  const lines = [
    `| method | ${b.tasks.map((t) => t.task).join(" | ")} | ${SCORE_COLUMN} |`,
    `|---|${b.tasks.map(() => "---|").join("")}---|`,
    ...tableRows(b).map(line),
    ...marksLegends(b.cells).flatMap((legend) => ["", legend]),
    "",
    `${scoreText(b)} Source: ${PUBLISHED_SOURCE}.`,
  ];
  return lines.join("\n") + "\n";
}
