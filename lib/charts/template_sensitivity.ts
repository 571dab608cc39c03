/** Template sensitivity: PET accuracy per discrete template and verbalizer, zero-shot beside trained. */
import { modelName, type ResultRow } from "../experiments/results.ts";
import { pet } from "../methods/pet/pet.ts";
import { TEMPLATE_PRESETS } from "../methods/pet/template.ts";
import { VERBALIZER_PRESETS } from "../methods/pet/verbalizer.ts";
import type { Caption } from "./caption.ts";
import { chanceLevel, chartContext, chartRows, chartTitle, dataLine, meansWithBand, runsPerPoint, seedsText, STD_BAND } from "./context.ts";
import { degenerateFlags, identicalSeedFlags } from "./degenerate.ts";
import { methodColourEncoding, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chanceLayers, chanceRecords, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";

/** Each panel's size: wide enough for five templates × four verbalizers side by side. */
const PANEL = { width: 520, height: 220 };

/** A template or verbalizer as written: a preset's pattern or words ("很/不"), else the value itself. */
function written(kind: "template" | "verbalizer", value: unknown): string {
  if (typeof value !== "string") return value === undefined ? "?" : JSON.stringify(value);
  if (kind === "template") return TEMPLATE_PRESETS[value] ?? value;
  const spec = VERBALIZER_PRESETS[value];
  return spec ? Object.values(spec).map((w) => [w].flat().join("|")).join("/") : value;
}

/**
 * Mean accuracy (dot) and ±1 sample std (error bar) per template (x) and verbalizer (shape, side by side), on an
 * axis fitted to the data with the chance level; one row of panels per setting (zero-shot, then trained; each
 * calibrated setting after its uncalibrated one), in the methods' fixed colours; a column per model when the
 * rows hold several. Templates and words are shown as written, so the Chinese patterns can be read off the figure.
 */
export function templateSensitivity(
  allRows: readonly ResultRow[],
  { method = pet.name, title = "PET: template and verbalizer" } = {},
): ChartSpec {
  const usable = chartRows(allRows);
  const rows = usable.filter((r) => r.method === method), ctx = chartContext(rows);
  const pointOf = (r: ResultRow) => ({
    model: modelName(r),
    method: methodName(r),
    template: written("template", r.params.template ?? r.options.template),
    verbalizer: written("verbalizer", r.params.verbalizer ?? r.options.verbalizer),
    // Calibrated runs (PET's `calibrate`) get panels of their own beside the uncalibrated ones.
    setting: (r.zeroShot ? "zero-shot" : `trained K=${r.k ?? r.split}`) + (r.options.calibrate ? ", calibrated" : ""),
    accuracy: r.accuracy,
  });
  const points = rows.map(pointOf);
  const means = meansWithBand(points, ["model", "method", "template", "verbalizer", "setting"], "accuracy");
  const chance = chanceLevel(ctx);
  const trained = (setting: string) => Number(!setting.startsWith("zero-shot"));
  const settings = [...new Set(points.map((p) => p.setting))].sort((a, b) => trained(a) - trained(b) || a.localeCompare(b));
  const chanceRows = settings.flatMap((setting) => chanceRecords(ctx.models, chance).map((c) => ({ ...c, setting })));
  const values = tagParts({ mean: means, chance: chanceRows });
  const x = { field: "template", type: "nominal", title: "template", axis: { labelAngle: -30, labelLimit: 240 } };
  const verbalizers = [...new Set(points.map((p) => p.verbalizer))];
  const offset = { xOffset: { field: "verbalizer", type: "nominal", sort: verbalizers } };
  const color = methodColourEncoding(usable, points.map((p) => p.method));
  const shape = {
    field: "verbalizer",
    type: "nominal",
    title: "verbalizer (label words)",
    sort: verbalizers, // legend order = left-to-right order within each template
    legend: { symbolFillColor: "#444", symbolStrokeColor: "#444", titleLimit: 300 },
  };
  const tooltip = [{ field: "template" }, { field: "verbalizer" }, { field: "mean", format: ".1%" }, { field: "std", format: ".1%" }, {
    field: "n",
  }];
  const hasZeroShot = settings.some((s) => !trained(s)), hasTrained = settings.some(trained);
  const runs = [hasTrained ? `trained: ${seedsText(ctx)}` : "", hasZeroShot ? "zero-shot: one run" : ""].filter(Boolean).join(", ");
  // Zero-shot over trained is the plain grid; calibrated panels, or one kind alone, are named in order.
  const plain = settings.length === 2 && hasZeroShot && hasTrained && !settings.some((s) => s.endsWith("calibrated"));
  const layout = plain ? "zero-shot (top) and trained (bottom)" : `one row of panels per setting, top to bottom: ${settings.join("; ")}`;
  const variants = rows.some((r) => r.variant)
    ? " Some panels read a run's predictor variant (the same trained weights read another way, as without calibration), not runs of their own."
    : "";
  const lines = [
    `${settings.join(" / ")} · ${runs}`,
    `dot: mean · error bar: ${STD_BAND} (none for one run)${chance ? ` · dotted: chance = 1/${ctx.classes}` : ""}`,
  ];
  const caption: Caption = {
    what: `Test accuracy of ${method} per template (x axis) and verbalizer (shape), ${layout}.` +
      (chance ? ` The dotted line is chance accuracy, 1/${ctx.classes}.` : ""),
    data: `${dataLine(ctx)}${hasTrained ? `; ${seedsText(ctx)} for trained runs` : ""}.${variants}`,
    perPoint: `${runsPerPoint(means, ctx)}${hasZeroShot ? " (zero-shot runs do not depend on a seed: one each)" : ""}.`,
    band: `error bars: ${STD_BAND}.`,
    flags: [
      ...degenerateFlags(rows, (r) => {
        const p = pointOf(r);
        return `${p.model} · ${p.setting} · ${p.template} · ${p.verbalizer}`;
      }),
      ...identicalSeedFlags(means.map((m) => ({ ...m, label: `${m.model} · ${m.setting} · ${m.template} · ${m.verbalizer}` }))),
    ],
  };
  return chartByModel({ title: chartTitle(title, ctx, lines), caption }, values, {
    layer: [
      {
        transform: onlyPart("mean"),
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: { x, ...offset, y: { field: "low", type: "quantitative", ...ACCURACY_AXIS }, y2: { field: "high" }, color },
      },
      {
        transform: onlyPart("mean"),
        mark: { type: "point", filled: true, size: 70, opacity: 1 },
        encoding: { x, ...offset, y: { field: "mean", type: "quantitative" }, color, shape, tooltip },
      },
      ...chanceLayers(chance, PANEL.width),
    ],
  }, { row: "setting", rowSort: settings, size: PANEL });
}
