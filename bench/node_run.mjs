// node_run.mjs: runs one benchmark module under Node's V8 for bench/run.sh.
//
// Usage: node [v8 flags] node_run.mjs FILE.wasm [EXPORT]
// Loads FILE.wasm, instantiates it with no imports, calls EXPORT (default
// "run") once and prints four lines:
//   <checksum as signed i32>
//   call_seconds <wall time of the call alone>
//   call_cpu_seconds <CPU time of the process during the call>
//   process_seconds <wall time since the node process started>
// Only the call is timed so that V8's start-up and compile time do not count
// against it; run.sh reports call_seconds and shows process_seconds beside.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, exportName = 'run'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node node_run.mjs FILE.wasm [EXPORT]');
  process.exit(1);
}

try {
  const bytes = readFileSync(file);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const fn = instance.exports[exportName];
  if (typeof fn !== 'function') {
    throw new Error(`${file}: no exported function "${exportName}"`);
  }
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = fn();
  const end = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuStart);
  console.log(String(result | 0));
  console.log(`call_seconds ${(Number(end - start) / 1e9).toFixed(6)}`);
  // user + system time of the whole process (all threads) during the call:
  // steadier than wall time when the machine is shared
  console.log(`call_cpu_seconds ${((cpu.user + cpu.system) / 1e6).toFixed(6)}`);
  // performance.now() counts from process start (timeOrigin), so this
  // includes node start-up, module compilation and the call
  console.log(`process_seconds ${(performance.now() / 1e3).toFixed(6)}`);
} catch (err) {
  console.error(`node_run: ${err.message}`);
  process.exit(2);
}
