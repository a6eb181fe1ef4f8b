/**
 * A node's resources and its workers' slots: CPUs, custom resources and concrete GPUs with
 * fractional shares. An allocation names the GPU indices it holds, which a task sees in its
 * runtime context. A task blocked in `get` gives its CPUs back (as in Ray) and takes them again
 * when it resumes, if they are free; if not it runs on borrowed CPU, counted apart, so `available`
 * never goes negative.
 */
import { assert } from "../assert.js";
import { add, fits, subtract, type ResourceSet } from "../resources.js";
import { assignGpus, type GpuState } from "../gpu-assignment.js";

export interface GpuSpec {
  readonly model: string;
  readonly memoryBytes: number;
  readonly speedFactor: number;
}

interface GpuSlot {
  readonly spec: GpuSpec;
  freeShare: number;
  /** Memory not held by an allocation (memory held outside Ray is the hardware's secret). */
  freeMemoryBytes: number;
  failed: boolean;
}

export interface Allocation {
  readonly resources: ResourceSet;
  readonly gpus: ReadonlyArray<{ readonly index: number; readonly share: number }>;
  /** GPU memory held on each of `gpus`. */
  readonly gpuMemoryBytes: number;
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
    this.gpus = gpus.map((spec) => ({
      spec,
      freeShare: 1,
      freeMemoryBytes: spec.memoryBytes,
      failed: false,
    }));
  }

  gpuSpec(index: number): GpuSpec {
    const g = this.gpus[index];
    assert(g !== undefined, `no GPU ${index}`);
    return g.spec;
  }

  /** Could this node ever run the request (its healthy GPUs free), with `gpuMemoryBytes` on each GPU? */
  canEverFit(request: ResourceSet, gpuMemoryBytes = 0): boolean {
    if (!fits(this.total, request)) return false;
    return (
      gpuMemoryBytes === 0 ||
      assignGpus(this.gpus.map(state), request.GPU ?? 0, gpuMemoryBytes, "healthy") !== undefined
    );
  }

  /** Could it start now: resources free and some GPU assignment with the memory free? */
  fitsNow(request: ResourceSet, gpuMemoryBytes = 0): boolean {
    return (
      fits(this.available, request) && this.pickGpus(request.GPU ?? 0, gpuMemoryBytes) !== undefined
    );
  }

  allocate(request: ResourceSet, gpuMemoryBytes = 0): Allocation | undefined {
    if (!fits(this.available, request)) return undefined;
    const gpus = this.pickGpus(request.GPU ?? 0, gpuMemoryBytes);
    if (gpus === undefined) return undefined;
    subtract(this.available, request);
    for (const g of gpus) {
      const slot = this.gpus[g.index]!;
      slot.freeShare -= g.share;
      slot.freeMemoryBytes -= gpuMemoryBytes;
    }
    return {
      resources: request,
      gpus,
      gpuMemoryBytes: gpus.length > 0 ? gpuMemoryBytes : 0,
      cpuReleased: 0,
    };
  }

  /** Each GPU's memory, free memory, free share and health, as heartbeats report them. */
  gpuStates(): GpuState[] {
    return this.gpus.map(state);
  }

  /** Memory on GPU `index` no allocation holds. */
  freeGpuMemoryBytes(index: number): number {
    const g = this.gpus[index];
    assert(g !== undefined, `no GPU ${index}`);
    return g.freeMemoryBytes;
  }

  release(a: Allocation): void {
    const back: Record<string, number> = { ...a.resources };
    back.CPU = (back.CPU ?? 0) - a.cpuReleased;
    for (const g of a.gpus) {
      const slot = this.gpus[g.index]!;
      slot.freeShare = Math.min(1, slot.freeShare + g.share);
      slot.freeMemoryBytes += a.gpuMemoryBytes;
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
      assert(
        this.available[key]! > -EPSILON,
        `resource ${key} over-committed: available ${this.available[key]}`,
      );
      assert(
        this.available[key]! < (this.total[key] ?? 0) + EPSILON,
        `resource ${key}: available exceeds total`,
      );
    }
    for (const g of this.gpus) {
      assert(g.freeShare > -EPSILON && g.freeShare < 1 + EPSILON, "GPU share outside [0, 1]");
      assert(
        g.freeMemoryBytes >= 0 && g.freeMemoryBytes <= g.spec.memoryBytes,
        `GPU memory free ${g.freeMemoryBytes} outside [0, ${g.spec.memoryBytes}]`,
      );
    }
  }

  private pickGpus(
    amount: number,
    gpuMemoryBytes: number,
  ): Array<{ index: number; share: number }> | undefined {
    if (amount <= 0) return []; // the hot path: CPU-only tasks
    return assignGpus(this.gpus.map(state), amount, gpuMemoryBytes, "now");
  }
}

function state(g: GpuSlot): GpuState {
  return {
    memoryBytes: g.spec.memoryBytes,
    freeMemoryBytes: g.freeMemoryBytes,
    freeShare: g.freeShare,
    failed: g.failed,
  };
}
