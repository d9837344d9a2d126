// imports.test.mjs: the web client's layers (docs/DESIGN.md, "Web client
// layout"), checked from the source alone: no browser, no server.
//
//   node tests/www/imports.test.mjs
//
// Reads the `import ... from './x.js'` and `export ... from './x.js'` lines
// of www/js/*.js and fails when a view imports another view, a ground
// module imports anything but ground, any import circle exists, a file is
// over MAX_LINES lines, or the layout map in DESIGN.md misses a file.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOP = fileURLToPath(new URL('../../', import.meta.url));
const DIR = `${TOP}www/js/`;
const MAX_LINES = 600;

// Ground: state, the API, DOM and interface pieces, the poller, intents.
// app.js: start-up and wiring. A file named VIEW-PART.js is a helper of
// VIEW.js. Every other file is a view.
const GROUND = new Set(['api.js', 'dom.js', 'intent.js', 'pictures.js', 'receiver.js', 'state.js', 'ui.js']);
const APP = 'app.js';

const problems = [];
const files = readdirSync(DIR).filter((f) => f.endsWith('.js')).sort();
const text = new Map(files.map((f) => [f, readFileSync(DIR + f, 'utf8')]));

function layer(f) {
  if (GROUND.has(f)) return { kind: 'ground' };
  if (f === APP) return { kind: 'app' };
  const m = /^([a-z]+)-[a-z0-9-]+\.js$/.exec(f);
  if (m) return { kind: 'helper', view: `${m[1]}.js` };
  return { kind: 'view', view: f };
}

// What f may import: ground always; a view and its helpers the view's
// own helpers; app.js the views.
function allowed(f, to) {
  const a = layer(f), b = layer(to);
  if (b.kind === 'ground') return true;
  if (a.kind === 'app') return b.kind === 'view';
  if (a.kind === 'view' || a.kind === 'helper') return b.kind === 'helper' && b.view === a.view;
  return false;
}

// Static imports and re-exports (one statement may span lines), bare
// imports and dynamic import('...').
const IMPORT = /^\s*(?:import|export)\s+(?:[^'";()=]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
const edges = new Map();
for (const [f, src] of text) {
  const to = new Set();
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[1] || m[2];
    const name = /^\.\/([a-z0-9-]+\.js)$/.exec(spec)?.[1];
    if (!name) { problems.push(`${f}: imports "${spec}" (only ./name.js of www/js)`); continue; }
    if (!text.has(name)) { problems.push(`${f}: imports ${name}, which does not exist`); continue; }
    to.add(name);
  }
  edges.set(f, to);
}

for (const f of files) {
  const l = layer(f);
  if (l.kind === 'helper' && !text.has(l.view)) problems.push(`${f}: a helper of ${l.view}, which does not exist`);
  for (const to of edges.get(f)) {
    if (!allowed(f, to)) problems.push(`${f} (${layer(f).kind}) imports ${to} (${layer(to).kind}${layer(to).view && layer(to).view !== to ? ' of ' + layer(to).view : ''})`);
  }
  const lines = text.get(f).split('\n').length - (text.get(f).endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) problems.push(`${f}: ${lines} lines, more than ${MAX_LINES}: split it where its concern splits`);
}

// Circles: a depth-first walk; a module met again while on the path is one.
const seen = new Map();         // file -> 1 on the path, 2 done
const circles = new Set();
function walk(f, path) {
  seen.set(f, 1);
  for (const to of edges.get(f)) {
    if (seen.get(to) === 1) circles.add([...path.slice(path.indexOf(to)), to].join(' -> '));
    else if (!seen.has(to)) walk(to, [...path, to]);
  }
  seen.set(f, 2);
}
for (const f of files) if (!seen.has(f)) walk(f, [f]);
for (const c of circles) problems.push(`import circle: ${c}`);

// The map in DESIGN.md names every file.
const design = readFileSync(`${TOP}docs/DESIGN.md`, 'utf8');
const map = /^## Web client layout\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(design)?.[1];
if (!map) problems.push('docs/DESIGN.md: no "## Web client layout" section');
else for (const f of files) if (!map.includes(`\`${f}\``)) problems.push(`docs/DESIGN.md, Web client layout: ${f} is not in the map`);

// A check that finds nothing to check is broken, not passing.
if (!text.has(APP) || files.filter((f) => layer(f).kind === 'view').length < 5) problems.push(`${DIR}: not the web client (no app.js or views)`);

if (problems.length) {
  console.error(`imports: FAIL\n${problems.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`imports: ok (${files.length} files)`);
}
