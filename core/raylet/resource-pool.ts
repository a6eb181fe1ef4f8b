/**
 * A node's resources and its workers' slots: CPUs, custom resources and concrete GPUs with
 * fractional shares. An allocation names the GPU indices it holds, which a task sees in its
 * runtime context. A task blocked in `get` gives its CPUs back (as in Ray) and takes them again
 * when it resumes, if they are free; if not it runs on borrowed CPU, counted apart, so `available`
 * never goes negative.
 */
import { assert } from "../assert.js";
import { add, fits, subtract, type ResourceSet } from "../resources.js";

export interface GpuSpec {
  readonly model: string;
  readonly memoryBytes: number;
  readonly speedFactor: number;
}

interface GpuSlot {
  readonly spec: GpuSpec;
  freeShare: number;
  failed: boolean;
}

export interface Allocation {
  readonly resources: ResourceSet;
  readonly gpus: ReadonlyArray<{ readonly index: number; readonly share: number }>;
  /** CPUs handed back while blocked in get. */
  cpuReleased: number;
}

const EPSILON = 1e-9;

export class ResourcePool {
  readonly total: Record<string, number>;
  readonly installed: ResourceSet;
  readonly available: Record<string, number>;
  private readonly gpus: GpuSlot[];

  constructor(total: ResourceSet, gpus: readonly GpuSpec[]) {
    this.total = { ...total, GPU: gpus.length };
    this.installed = { ...this.total };
    this.available = { ...this.total };
    this.gpus = gpus.map((spec) => ({ spec, freeShare: 1, failed: false }));
  }

  gpuSpec(index: number): GpuSpec {
    const g = this.gpus[index];
    assert(g !== undefined, `no GPU ${index}`);
    return g.spec;
  }

  /** Could this node ever run the request (with every GPU healthy and free)? */
  canEverFit(request: ResourceSet): boolean {
    return fits(this.total, request);
  }

  allocate(request: ResourceSet): Allocation | undefined {
    if (!fits(this.available, request)) return undefined;
    const gpus = this.pickGpus(request.GPU ?? 0);
    if (gpus === undefined) return undefined;
    subtract(this.available, request);
    for (const g of gpus) this.gpus[g.index]!.freeShare -= g.share;
    return { resources: request, gpus, cpuReleased: 0 };
  }

  release(a: Allocation): void {
    const back: Record<string, number> = { ...a.resources };
    back.CPU = (back.CPU ?? 0) - a.cpuReleased;
    for (const g of a.gpus) {
      const slot = this.gpus[g.index]!;
      slot.freeShare = Math.min(1, slot.freeShare + g.share);
      // A failed GPU's capacity stays out of `available` until it is repaired.
      if (slot.failed) back.GPU = (back.GPU ?? 0) - g.share;
    }
    add(this.available, back);
    this.checkInvariants();
  }

  /** A task blocked in get hands back its CPUs. */
  releaseCpu(a: Allocation): void {
    const cpu = (a.resources.CPU ?? 0) - a.cpuReleased;
    if (cpu <= 0) return;
    a.cpuReleased += cpu;
    this.available.CPU = (this.available.CPU ?? 0) + cpu;
  }

  /** The task resumes: take back what is free now; the rest it runs on borrowed CPU. */
  reacquireCpu(a: Allocation): void {
    const want = a.cpuReleased;
    const take = Math.min(want, this.available.CPU ?? 0);
    this.available.CPU = (this.available.CPU ?? 0) - take;
    a.cpuReleased -= take;
  }

  failGpu(index: number): void {
    const slot = this.gpus[index];
    assert(slot !== undefined, `failGpu: no GPU ${index}`);
    if (slot.failed) return;
    slot.failed = true;
    this.available.GPU = (this.available.GPU ?? 0) - slot.freeShare;
    this.total.GPU = (this.total.GPU ?? 0) - 1;
  }

  repairGpu(index: number): void {
    const slot = this.gpus[index];
    assert(slot !== undefined, `repairGpu: no GPU ${index}`);
    if (!slot.failed) return;
    slot.failed = false;
    this.available.GPU = (this.available.GPU ?? 0) + slot.freeShare;
    this.total.GPU = (this.total.GPU ?? 0) + 1;
  }

  isGpuFailed(index: number): boolean {
    return this.gpus[index]?.failed ?? true;
  }

  checkInvariants(): void {
    for (const key in this.available) {
      assert(this.available[key]! > -EPSILON, `resource ${key} over-committed: available ${this.available[key]}`);
      assert(this.available[key]! < (this.total[key] ?? 0) + EPSILON, `resource ${key}: available exceeds total`);
    }
    for (const g of this.gpus) assert(g.freeShare > -EPSILON && g.freeShare < 1 + EPSILON, "GPU share outside [0, 1]");
  }

  /** Whole GPUs for requests >= 1, else the fullest GPU that still has the share (packing). */
  private pickGpus(amount: number): Array<{ index: number; share: number }> | undefined {
    if (amount <= 0) return [];
    if (amount >= 1) {
      const whole: Array<{ index: number; share: number }> = [];
      for (let i = 0; i < this.gpus.length && whole.length < amount; i++) {
        const g = this.gpus[i]!;
        if (!g.failed && g.freeShare > 1 - EPSILON) whole.push({ index: i, share: 1 });
      }
      return whole.length === amount ? whole : undefined;
    }
    let best = -1;
    for (let i = 0; i < this.gpus.length; i++) {
      const g = this.gpus[i]!;
      if (g.failed || g.freeShare + EPSILON < amount) continue;
      if (best < 0 || g.freeShare < this.gpus[best]!.freeShare) best = i;
    }
    return best < 0 ? undefined : [{ index: best, share: amount }];
  }
}
