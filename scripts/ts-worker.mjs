// Runs the runtime's worker from its TypeScript source (tests and development); built code uses the
// compiled worker instead.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
