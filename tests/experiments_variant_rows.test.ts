/** Rows of predictor variants: each variant of a results row read as the run under its options. */
import assert from "node:assert/strict";
import { withVariantRows } from "../lib/experiments/variant_rows.ts";
import { chartRows } from "./_chart_rows.ts";

Deno.test("a row with a variant is followed by the variant's row: its options over the row's, its own scores", () => {
  const [plain, calibrated] = chartRows().filter((r) => r.method === "pet").slice(0, 2);
  const scores = { accuracy: 0.25, macroF1: 0.2, confusion: [[1, 3], [3, 1]], labels: ["Positive", "Negative"], n: 8 };
  const row = {
    ...calibrated,
    params: { ...calibrated.params, calibrate: true },
    options: { ...calibrated.options, calibrate: true, other: 1 },
  };
  const withVariant = { ...row, variants: { uncalibrated: { options: { calibrate: false }, ...scores } } };
  const out = withVariantRows([plain, withVariant]);
  assert.equal(out.length, 3);
  assert.deepEqual(out.slice(0, 2), [plain, withVariant]);
  const derived = out[2];
  assert.equal(derived.key, `${row.key}#uncalibrated`);
  assert.equal(derived.variant, "uncalibrated");
  assert.deepEqual(derived.params, { ...row.params, calibrate: false });
  assert.deepEqual(derived.options, { ...row.options, calibrate: false });
  assert.deepEqual([derived.accuracy, derived.macroF1, derived.confusion, derived.n], [0.25, 0.2, scores.confusion, 8]);
  assert.equal("variants" in derived, false);
  // An option the grid did not vary is not added to the params.
  const fixed = withVariantRows([{ ...calibrated, variants: { uncalibrated: { options: { calibrate: false }, ...scores } } }])[1];
  assert.deepEqual(fixed.params, calibrated.params);
  assert.equal(fixed.options.calibrate, false);
});
