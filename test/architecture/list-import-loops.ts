/**
 * Prints the folder pairs of src/ that import each other, the module cycles and the production imports of
 * src/simulator/. Run from the repository root: `npx tsx test/architecture/list-import-loops.ts`.
 * test/architecture/imports.test.ts runs the same analysis and fails on any of them.
 */
import { findFolderLoops, findModuleCycles, findSimulatorImports, readImportGraph } from './import-graph.js';

const graph = readImportGraph(process.cwd());
const folderLoops = findFolderLoops(graph);
const cycles = findModuleCycles(graph);
const simulatorImports = findSimulatorImports(graph);

console.log(`${graph.files.length} files under src/`);
console.log(`\nFolder pairs importing each other: ${folderLoops.length}`);
for (const loop of folderLoops) console.log(`  ${loop.pair}\n    ${loop.examples.join('\n    ')}`);
console.log(`\nModule cycles: ${cycles.length}`);
for (const cycle of cycles) console.log(`  ${cycle.join('\n  ')}\n`);
console.log(`\nProduction imports of src/simulator/: ${simulatorImports.length}`);
for (const line of simulatorImports) console.log(`  ${line}`);
