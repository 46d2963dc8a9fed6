// The layering of docs/architecture.md, checked over the import graph: every import of
// src/**/*.ts (parsed with the TypeScript compiler, type-only imports included) must be allowed
// by the table in that document, which this test reads, so the document and the code cannot
// drift; assembly/ imports only itself; and the Node-free parts (src/core, src/mixture,
// src/linalg, src/decomposition, and everything the `emlab/core` entry loads) import no Node
// module, except the files listed below with the reason they are Node-only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Files that are Node-only by design, inside the directories that must otherwise be Node-free. */
const NODE_ONLY: Record<string, string> = {
  "src/core/node.ts": "reads build/core.wasm from disk (node:fs, node:url) and sizes the arena from V8's heap limit (node:v8): the Node side of loading the core; emlab/core takes the bytes instead",
};
/** Directories whose files must not import a Node module (they run in browsers and workers). */
const NODE_FREE_DIRS = ["src/core", "src/mixture", "src/linalg", "src/decomposition"];
/** The browser entry: nothing it loads at run time may import a Node module. */
const BROWSER_ENTRY = "src/core/index.ts";

interface Import {
  /** The module specifier as written. */
  spec: string;
  /** The imported file (repository-relative .ts path) for a relative import; undefined for a package or builtin. */
  file?: string;
  /** Erased at compile time (`import type`, or only type specifiers): not loaded at run time. */
  typeOnly: boolean;
  line: number;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((e) => {
    const rel = join(dir, e);
    if (statSync(join(ROOT, rel)).isDirectory()) return tsFiles(rel);
    return e.endsWith(".ts") && !e.endsWith(".d.ts") ? [rel] : [];
  });
}

/** Every static import and re-export, and every dynamic import() with a literal specifier, of `file`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Import[] = [];
  const add = (specNode: ts.Expression, typeOnly: boolean) => {
    if (!ts.isStringLiteral(specNode)) return;
    const spec = specNode.text;
    const line = sf.getLineAndCharacterOfPosition(specNode.getStart()).line + 1;
    // NodeNext: relative specifiers name the emitted .js file; AssemblyScript's have no extension
    const target = spec.startsWith(".") ? join(dirname(file), spec).replace(/\.js$/, "").concat(".ts") : undefined;
    out.push({ spec, file: target, typeOnly, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length === 1) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const isNodeModule = (spec: string) => spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0]);

// ---------------------------------------------------------------------------------------
// the table of docs/architecture.md

/** Rows `| \`dir\` | layer | \`a\`, \`b\` |` of the table "What each directory of src/ may import": key → allowed directories. */
function allowedTable(): Map<string, Set<string>> {
  const md = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
  const section = md.split(/^## /m).find((s) => s.startsWith("What each directory"));
  assert.ok(section, "docs/architecture.md has no section 'What each directory of src/ may import'");
  const table = new Map<string, Set<string>>();
  for (const line of section!.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const key = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
    if (!key || cells.length < 5) continue;
    table.set(key, new Set([...cells[3].matchAll(/`([^`]+)`/g)].map((m) => m[1])));
  }
  return table;
}

/** The directory of src/ a file belongs to ("mixture" for src/mixture/em.ts), or its row key when it is an entry listed by path. */
function keyOf(file: string, table: Map<string, Set<string>>): string {
  const rel = relative("src", file);
  if (table.has(rel)) return rel;
  return rel.includes("/") ? rel.split("/")[0] : rel;
}

const SRC = tsFiles("src");
const TABLE = allowedTable();

test("the table names every directory of src/ and only those", () => {
  const dirs = new Set(SRC.map((f) => keyOf(f, TABLE)));
  assert.equal([...dirs].filter((d) => !TABLE.has(d)), [], "directories of src/ missing from docs/architecture.md's table");
  for (const [key, allowed] of TABLE) {
    assert.ok(dirs.has(key), `docs/architecture.md lists '${key}', which has no file in src/`);
    for (const a of allowed) assert.ok(TABLE.has(a) || dirs.has(a), `'${key}' may import '${a}', which is not a directory of src/`);
  }
});

test(`every import of the ${SRC.length} files in src/ follows the layering of docs/architecture.md`, () => {
  const bad: string[] = [];
  let checked = 0;
  for (const file of SRC) {
    const from = keyOf(file, TABLE);
    for (const imp of importsOf(file)) {
      if (!imp.file) continue;
      checked++;
      if (!imp.file.startsWith("src/")) {
        bad.push(`${file}:${imp.line}: imports '${imp.spec}', outside src/`);
        continue;
      }
      const to = keyOf(imp.file, TABLE);
      // an entry file's own directory is not implied: its row lists what it may load
      const own = to === from && !TABLE.has(relative("src", file));
      if (!own && !TABLE.get(from)?.has(to)) bad.push(`${file}:${imp.line}: imports '${imp.spec}' (${to}), which ${from} may not import`);
    }
  }
  assert.ok(checked > 200, `only ${checked} relative imports found: is the parser reading the files?`);
  assert.equal(bad, [], `imports against docs/architecture.md:\n${bad.join("\n")}`);
});

test("assembly/ imports only its own files", () => {
  const bad = tsFiles("assembly").flatMap((file) => importsOf(file).filter((i) => !i.file?.startsWith("assembly/")).map((i) => `${file}:${i.line}: imports '${i.spec}'`));
  assert.equal(bad, [], bad.join("\n"));
});

test("the Node-free directories import no Node module, except the files listed as Node-only", () => {
  const bad: string[] = [];
  for (const file of SRC.filter((f) => NODE_FREE_DIRS.some((d) => f.startsWith(d + "/")))) {
    if (NODE_ONLY[file]) continue;
    for (const imp of importsOf(file)) if (isNodeModule(imp.spec)) bad.push(`${file}:${imp.line}: imports '${imp.spec}'`);
  }
  assert.equal(bad, [], `Node modules in Node-free code (a file that must use one is listed in NODE_ONLY with its reason):\n${bad.join("\n")}`);
  for (const file of Object.keys(NODE_ONLY)) {
    assert.ok(SRC.includes(file), `NODE_ONLY lists ${file}, which does not exist`);
    assert.ok(importsOf(file).some((i) => isNodeModule(i.spec)), `NODE_ONLY lists ${file}, which imports no Node module: take it off the list`);
  }
});

test(`${BROWSER_ENTRY} loads no Node module, directly or through what it imports`, () => {
  const seen = new Set<string>();
  const bad: string[] = [];
  const walk = (file: string, path: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of importsOf(file)) {
      if (imp.typeOnly) continue;
      if (isNodeModule(imp.spec)) bad.push(`${[...path, file].join(" → ")}: imports '${imp.spec}'`);
      else if (imp.file) walk(imp.file, [...path, file]);
    }
  };
  walk(BROWSER_ENTRY, []);
  assert.ok(seen.size > 5, `only ${seen.size} files reached from ${BROWSER_ENTRY}`);
  assert.equal(bad, [], `Node modules loaded by ${BROWSER_ENTRY}:\n${bad.join("\n")}`);
});

test("the checks see what they should: a wrong import in a made-up file is reported", () => {
  // the parser on a file like the ones above: type-only and value imports, re-exports, dynamic import()
  const sf = `import type { A } from "../a.js";\nimport { type B, C } from "./c.js";\nexport { D } from "../mixture/d.js";\nconst m = await import("node:fs");\n`;
  const tmp = join("build", "architecture-probe.ts");
  writeFileSync(join(ROOT, tmp), sf);
  const imps = importsOf(tmp);
  rmSync(join(ROOT, tmp));
  assert.equal(imps.map((i) => [i.spec, i.typeOnly, i.line]), [["../a.js", true, 1], ["./c.js", false, 2], ["../mixture/d.js", false, 3], ["node:fs", false, 4]]);
  assert.ok(isNodeModule("node:fs") && isNodeModule("fs") && isNodeModule("fs/promises") && !isNodeModule("marked"));
  // a numerics directory importing the report is refused by the table
  assert.not.ok(TABLE.get("mixture")!.has("report"));
  assert.ok(TABLE.get("cli")!.has("report"));
});

test.run();
