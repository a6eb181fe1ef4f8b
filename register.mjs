// Runs TypeScript through ts-node's ESM loader (transpile-only; `npm run typecheck` checks types).
import { register } from "node:module";
register("ts-node/esm", import.meta.url);
