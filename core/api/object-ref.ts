/** A future: the id of an object that exists now or will. Values are fetched with `get`. */
import type { ObjectId } from "../ids.js";

export class ObjectRef<T = unknown> {
  /** Phantom field so ObjectRef<number> and ObjectRef<string> do not mix. */
  declare readonly __value?: T;
  constructor(readonly id: ObjectId) {}
  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

export function isObjectRef(x: unknown): x is ObjectRef {
  return x instanceof ObjectRef;
}
