/**
 * The cluster examples in deploy/, checked as far as one machine allows: the Kubernetes manifests parse and
 * validate against the Kubernetes API schemas (kubernetes-models), the sbatch script passes `bash -n` and its
 * array arithmetic holds, and both run here as their schedulers would run them: shard 0 of a tiny real grid
 * through the Slurm script (array task 0 of 2), shard 1 through the Job's container command (completion index
 * 1 of 2), then `--status` and `--merge`.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { root } from "./_shared.ts";

const SBATCH = `${root}/deploy/slurm/grid.sbatch`;
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

// deno-lint-ignore no-explicit-any
type Json = any;
const manifests = async (): Promise<Json[]> =>
  parseAllDocuments(await Deno.readTextFile(`${root}/deploy/kubernetes/grid-job.yaml`)).map((d) => {
    assert.deepEqual(d.errors, [], "YAML parses");
    return d.toJS();
  });

async function jobOf(): Promise<{ pvc: Json; job: Json; container: Json; env: Record<string, string> }> {
  const docs = await manifests();
  const pvc = docs.find((d) => d.kind === "PersistentVolumeClaim"), job = docs.find((d) => d.kind === "Job");
  const container = job.spec.template.spec.containers[0];
  return { pvc, job, container, env: Object.fromEntries(container.env.map((e: Json) => [e.name, e.value])) };
}

Deno.test("kubernetes: the manifests validate against the API schemas", async () => {
  const { pvc, job } = await jobOf();
  new PersistentVolumeClaim(pvc).validate();
  new Job(job).validate();
  // The validator is not lenient: a wrong enum value or type is refused.
  assert.throws(() => new Job({ ...job, spec: { ...job.spec, completionMode: "Indexd" } }).validate(), /completionMode/);
  assert.throws(() => new Job({ ...job, spec: { ...job.spec, backoffLimitPerIndex: "3" } }).validate(), /backoffLimitPerIndex/);
});

Deno.test("kubernetes: an Indexed Job whose N shards, parallelism and SHARDS agree, results on the claimed volume", async () => {
  const { pvc, job, container, env } = await jobOf();
  const spec = job.spec, pod = spec.template.spec;
  assert.equal(spec.completionMode, "Indexed");
  assert.equal(spec.completions, spec.parallelism, "one pod per shard at once");
  assert.equal(String(spec.completions), env.SHARDS, "SHARDS is the completion count: --shard i/N covers every cell once");
  assert.equal(pod.restartPolicy, "Never", "podFailurePolicy and backoffLimitPerIndex need it");
  assert.ok(spec.podFailurePolicy.rules.every((r: Json) => !r.onExitCodes || r.onExitCodes.containerName === container.name));
  assert.match(container.args.join(" "), /deno task grid "\$GRID" --results "\$RESULTS" --shard "\$JOB_COMPLETION_INDEX\/\$SHARDS"/);
  // The results file lies on the claimed volume, inside the working directory (the tasks' write scope).
  const mount = container.volumeMounts.find((m: Json) =>
    pod.volumes.find((v: Json) => v.name === m.name)?.persistentVolumeClaim?.claimName === pvc.metadata.name
  );
  assert.ok(mount, "the results volume is the claim");
  assert.ok(mount.mountPath.startsWith(`${container.workingDir}/`));
  assert.ok(`${container.workingDir}/${env.RESULTS}`.startsWith(`${mount.mountPath}/`), env.RESULTS);
  assert.deepEqual(pvc.spec.accessModes, ["ReadWriteMany"], "every pod writes its shard at once, from any node");
});

/** The `#SBATCH` directives of the script, by option. */
async function directives(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(SBATCH);
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.trim() && !l.startsWith("#"));
  // sbatch stops reading directives at the first command: every one must come before it.
  assert.ok(lines.slice(first).every((l) => !l.startsWith("#SBATCH")), "no #SBATCH after the first command");
  return new Map(
    lines.slice(0, first).filter((l) => l.startsWith("#SBATCH ")).map((l) => {
      const [k, v = ""] = l.slice(8).trim().split("=");
      return [k, v];
    }),
  );
}

Deno.test("slurm: the script parses, and its directives make an array 0..N-1 that resumes when requeued", async () => {
  const check = await new Deno.Command("bash", { args: ["-n", SBATCH] }).output();
  assert.equal(check.code, 0, dec(check.stderr));
  const d = await directives();
  const array = /^0-(\d+)(%\d+)?$/.exec(d.get("--array") ?? "");
  assert.ok(array, `--array=0-(N-1), got ${d.get("--array")}`);
  assert.ok(d.has("--requeue"), "a preempted or requeued task runs again and resumes");
  assert.equal(d.get("--open-mode"), "append", "a requeued task's log continues");
  assert.match(d.get("--time") ?? "", /^(\d+-)?\d+:\d\d:\d\d$/);
  assert.match(d.get("--output") ?? "", /%A_%a/, "one log per array task");
});

/** Run `command` (argv) with `env` added, in the repository root; its exit code and output. */
async function sh(command: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(command[0], { args: command.slice(1), cwd: root, env: { NO_COLOR: "1", ...env }, stdin: "null" })
    .output();
  return { code: o.code, out: dec(o.stdout), err: dec(o.stderr) };
}

/** A bin folder with fake `squeue` (time left `left`) and `scontrol` (logging its arguments to `log`). */
async function fakeSlurm(dir: string, left: string, log: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(`${bin}/squeue`, `#!/bin/sh\necho "${left}"\n`, { mode: 0o755 });
  await Deno.writeTextFile(`${bin}/scontrol`, `#!/bin/sh\necho "$@" >> ${log}\n`, { mode: 0o755 });
  return bin;
}

Deno.test("the examples' commands on this machine: two shards (Slurm task 0, Kubernetes index 1), --status, --merge", async () => {
  // Inside the checkout, as on a cluster: the tasks may write only there (and in ~/.cache/promptlab, /tmp).
  await Deno.mkdir(`${root}/runs`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${root}/runs`, prefix: "deploy-test-" });
  const rel = dir.slice(root.length + 1);
  try {
    const grid = `${rel}/tiny.json`, results = `${rel}/tiny.jsonl`;
    await Deno.writeTextFile(
      `${root}/${grid}`,
      JSON.stringify({
        name: "tiny",
        dataset: "demo",
        protocol: { kind: "sampled", k: [0], seeds: [1] },
        methods: [{
          method: "pet",
          grid: { template: ["fewclue", "article"], verbalizer: ["fewclue", "good-bad"] },
          zeroShot: { mode: "zero-shot" },
        }],
      }),
    );
    const common = { DENO: Deno.execPath(), MODEL: "models/promptlab-bert-zh-L4-H256", PROMPTLAB_THREADS: "1" };

    // Slurm: array task 0 of 0-1, 1 h 12 min left, a 10-minute margin.
    const log = `${dir}/scontrol.log`;
    const bin = await fakeSlurm(dir, "1:12:30", log);
    const slurm = await sh(["bash", SBATCH, grid, results], {
      ...common,
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      SLURM_SUBMIT_DIR: root,
      SLURM_JOB_ID: "4242",
      SLURM_ARRAY_TASK_ID: "0",
      SLURM_ARRAY_TASK_COUNT: "2",
      SLURM_ARRAY_TASK_MIN: "0",
      SLURM_ARRAY_TASK_MAX: "1",
    });
    assert.equal(slurm.code, 0, slurm.out + slurm.err);
    assert.match(
      slurm.out,
      new RegExp(
        `^\\+ \\S+ task grid ${grid} --results ${results} --shard 0/2 --model models/promptlab-bert-zh-L4-H256 --minutes 62$`,
        "m",
      ),
    );
    assert.match(slurm.out, /^shard 0\/2: 2 cells missing before, 0 after \(exit 0\)$/m);
    assert.match(slurm.out, new RegExp(`^wrote: ${results.replace(".jsonl", "")}\\.shard-0-of-2\\.jsonl$`, "m"));
    assert.equal(await Deno.stat(log).then(() => true, () => false), false, "a finished shard is not requeued");

    // Kubernetes: the container's command, as the pod of completion index 1 runs it.
    const { container, env } = await jobOf();
    assert.deepEqual(container.command, ["bash", "-c"]);
    const k8s = await sh([...container.command, container.args[0]], {
      ...env,
      ...common,
      GRID: grid,
      RESULTS: results,
      SHARDS: "2",
      JOB_COMPLETION_INDEX: "1",
    });
    assert.equal(k8s.code, 0, k8s.out + k8s.err);
    assert.match(k8s.out, /^wrote: .*\.shard-1-of-2\.jsonl$/m);

    // Afterwards: the status per shard, the merge, and the status of the merged file.
    const status = await sh([Deno.execPath(), "task", "grid", grid, "--results", results, "--status"], {});
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^shard 0\/2 \(.*\.shard-0-of-2\.jsonl\): 2 done, 0 failed, 0 missing of 2$/m);
    assert.match(status.out, /^shard 1\/2 \(.*\.shard-1-of-2\.jsonl\): 2 done, 0 failed, 0 missing of 2$/m);
    assert.match(status.out, /^tiny overall .*: 4 done, 0 failed, 0 missing of 4$/m);
    const merge = await sh([Deno.execPath(), "task", "grid", grid, "--results", results, "--merge"], {});
    assert.equal(merge.code, 0, merge.err);
    assert.match(merge.out, new RegExp(`^merged 2 shard files into ${results}: 4 done, 0 failed cells$`, "m"));
    assert.match(merge.out, new RegExp(`^next:  deno task figures ${results}`, "m"));
    const after = await sh([Deno.execPath(), "task", "grid", grid, "--results", results, "--status"], {});
    assert.match(after.out, /^tiny overall \([^)]*tiny\.jsonl\): 4 done, 0 failed, 0 missing of 4$/m);
    assert.doesNotMatch(after.out, /^shard /m, "no shard files left");
    assert.equal((await Deno.readTextFile(`${root}/${results}`)).trim().split("\n").length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slurm: an array that is not 0..N-1 is refused before anything runs", async () => {
  const r = await sh(["bash", SBATCH, "grids/comparison-eprstmt.json"], {
    DENO: "false",
    SLURM_ARRAY_TASK_ID: "3",
    SLURM_ARRAY_TASK_COUNT: "4",
    SLURM_ARRAY_TASK_MIN: "1",
    SLURM_ARRAY_TASK_MAX: "7",
    SLURM_ARRAY_TASK_STEP: "2",
  });
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: --array must be 0-\(N-1\) without gaps or steps; got 1-7:2 \(4 tasks\)$/m);
});
