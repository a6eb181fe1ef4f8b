/**
 * The tasks one core worker owns and has not seen settled (done, or failed for good), by id; and,
 * for its actor calls, each caller handle's floor: the lowest handleSeq still unsettled. Every
 * call the worker sends carries its handle's floor, so a restarted actor knows where the handle
 * resumes whatever order the resent calls arrive in (actor-host.ts).
 *
 * A Map whose writes keep the floors: every place that settles or adopts a task keeps using
 * `set`/`delete`, and none can forget the floors. A lower seq can come back (a retried parent
 * recreates a call it had seen done, until the task table answers), so the floor is a true minimum:
 * a min-heap per handle with lazy deletion.
 */
import { assert } from "../assert.js";
import type { TaskId } from "../ids.js";
import type { TaskSpec } from "../task-spec.js";

export interface OwnedTask {
  readonly spec: TaskSpec;
}

interface HandleSeqs {
  /** Unsettled seqs (an id maps to one seq; counted in case two ids ever share one). */
  readonly count: Map<number, number>;
  /** Min-heap of seqs; entries whose count fell to 0 are dropped when they reach the top. */
  readonly heap: number[];
}

export class OwnedTasks extends Map<TaskId, OwnedTask> {
  private readonly handles = new Map<string, HandleSeqs>();

  override set(taskId: TaskId, task: OwnedTask): this {
    const known = super.get(taskId);
    if (known !== undefined) this.forget(known.spec);
    super.set(taskId, task);
    this.remember(task.spec);
    return this;
  }

  override delete(taskId: TaskId): boolean {
    const known = super.get(taskId);
    if (known === undefined) return false;
    this.forget(known.spec);
    return super.delete(taskId);
  }

  override clear(): void {
    this.handles.clear();
    super.clear();
  }

  /** The lowest unsettled handleSeq of `handleId` among the calls owned here, if any. */
  floorSeq(handleId: string): number | undefined {
    const h = this.handles.get(handleId);
    if (h === undefined) return undefined;
    while (h.heap.length > 0 && (h.count.get(h.heap[0]!) ?? 0) === 0) popMin(h.heap);
    assert(h.heap.length > 0, `owned tasks: handle ${handleId} has seqs but an empty heap`);
    return h.heap[0];
  }

  private remember(spec: TaskSpec): void {
    if (spec.kind !== "actor-method" || spec.handleId === undefined) return;
    const seq = spec.handleSeq!;
    let h = this.handles.get(spec.handleId);
    if (h === undefined) this.handles.set(spec.handleId, (h = { count: new Map(), heap: [] }));
    const n = h.count.get(seq) ?? 0;
    h.count.set(seq, n + 1);
    if (n === 0) pushHeap(h.heap, seq);
  }

  private forget(spec: TaskSpec): void {
    if (spec.kind !== "actor-method" || spec.handleId === undefined) return;
    const h = this.handles.get(spec.handleId);
    const seq = spec.handleSeq!;
    const n = h?.count.get(seq) ?? 0;
    assert(n > 0, `owned tasks: ${spec.taskId} (seq ${seq}) was owned but not counted`);
    if (n > 1) return void h!.count.set(seq, n - 1);
    h!.count.delete(seq);
    if (h!.count.size === 0) this.handles.delete(spec.handleId);
  }
}

function pushHeap(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function popMin(heap: number[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && heap[r]! < heap[l]! ? r : l;
    if (heap[c]! >= last) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = last;
}
