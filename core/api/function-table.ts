/**
 * The code of remote functions and actor classes, by function id. In Ray the function table in the
 * GCS holds pickled functions that every worker imports; here the code is shared by reference (it
 * is "deployed" on every node) and the GCS function table records ids and names.
 */
import { assert } from "../assert.js";
import type { ResolvedActorOptions, ResolvedRemoteOptions } from "./options.js";

export type AnyFunction = (...args: never[]) => unknown;
export type AnyClass = new (...args: never[]) => object;

export type FunctionEntry =
  | {
      readonly kind: "function";
      readonly id: string;
      readonly fn: AnyFunction;
      readonly options: ResolvedRemoteOptions;
    }
  | {
      readonly kind: "actor-class";
      readonly id: string;
      readonly cls: AnyClass;
      readonly options: ResolvedActorOptions;
    };

export class FunctionTable {
  private readonly entries = new Map<string, FunctionEntry>();
  private readonly countByName = new Map<string, number>();

  /** A fresh id: the name, with a suffix when the same name is registered again. */
  newId(name: string): string {
    const n = this.countByName.get(name) ?? 0;
    this.countByName.set(name, n + 1);
    return n === 0 ? name : `${name}#${n}`;
  }

  register(entry: FunctionEntry): void {
    assert(!this.entries.has(entry.id), `function ${entry.id} registered twice`);
    this.entries.set(entry.id, entry);
  }

  get(id: string): FunctionEntry {
    const e = this.entries.get(id);
    assert(e !== undefined, `unknown function ${id}`);
    return e;
  }
}
