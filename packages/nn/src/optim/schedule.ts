/** Learning-rate schedules evaluated per iteration (step 0 is the first optimizer step). */

export interface LrSchedule {
  lr(step: number): number;
}

export class ConstantSchedule implements LrSchedule {
  constructor(readonly value: number) {}
  lr(): number {
    return this.value;
  }
}

export interface CosineScheduleOptions {
  baseLr: number;
  totalSteps: number;
  /** Linear warmup steps: lr = baseLr·(step + 1)/warmupSteps while step < warmupSteps. Default 0. */
  warmupSteps?: number;
  /** Floor of the decay (default 0). */
  minLr?: number;
}

/**
 * Linear warmup then half-cosine decay from baseLr to minLr over the remaining steps:
 *   lr = minLr + (baseLr − minLr)·(1 + cos(π·t))/2,  t = (step − warmup)/(totalSteps − warmup),
 * held at minLr from totalSteps on.
 */
export class CosineSchedule implements LrSchedule {
  readonly baseLr: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly minLr: number;

  constructor(options: CosineScheduleOptions) {
    const { baseLr, totalSteps, warmupSteps = 0, minLr = 0 } = options;
    if (!(baseLr >= 0)) throw new Error(`CosineSchedule: baseLr must be ≥ 0, got ${baseLr}`);
    if (!Number.isInteger(totalSteps) || totalSteps < 1) {
      throw new Error(`CosineSchedule: totalSteps must be a positive integer, got ${totalSteps}`);
    }
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps > totalSteps) {
      throw new Error(
        `CosineSchedule: warmupSteps must be an integer in [0, totalSteps=${totalSteps}], got ${warmupSteps}`,
      );
    }
    if (!(minLr >= 0 && minLr <= baseLr))
      throw new Error(`CosineSchedule: minLr must be in [0, baseLr], got ${minLr}`);
    this.baseLr = baseLr;
    this.totalSteps = totalSteps;
    this.warmupSteps = warmupSteps;
    this.minLr = minLr;
  }

  lr(step: number): number {
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`CosineSchedule.lr: step must be an integer ≥ 0, got ${step}`);
    if (step < this.warmupSteps) return (this.baseLr * (step + 1)) / this.warmupSteps;
    const span = this.totalSteps - this.warmupSteps;
    if (step >= this.totalSteps || span === 0) return this.minLr;
    const t = (step - this.warmupSteps) / span;
    return this.minLr + ((this.baseLr - this.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
  }
}
