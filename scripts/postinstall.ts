// What `npm install` builds, with no network: the postgres driver's patch, the console's bundle,
// the server's bundle (`npm start` runs it while it is current) and the embedded database's
// template. Each step's own output is kept unless it fails, so an install prints one line here
// instead of a wall a newcomer must read; a failure prints the step's whole output and stops the
// install.
import { spawnSync } from 'node:child_process';

const STEPS: readonly { readonly done: string; readonly command: readonly string[] }[] = [
  { done: 'patched the postgres driver', command: ['patch-package', '--patch-dir', 'scripts/patches', '--error-on-fail'] },
  { done: 'built the console', command: [process.execPath, 'scripts/build-console.ts'] },
  // After the console: the server's bundle takes in the console's assets.
  { done: 'bundled the server', command: [process.execPath, 'scripts/build-server.ts'] },
  { done: 'made the embedded database template', command: [process.execPath, 'scripts/pglite-template.ts'] },
];

for (const step of STEPS) {
  const run = spawnSync(step.command[0]!, step.command.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}`);
    console.error(`postinstall: failed to finish "${step.done}" (${run.error?.message ?? `exit ${run.status ?? run.signal}`}): ${step.command.join(' ')}`);
    process.exit(run.status || 1);
  }
}
console.log(`postinstall: ${STEPS.map((step) => step.done).join(', ')}`);
