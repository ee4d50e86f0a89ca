/**
 * Typed events every pipeline stage emits. The CLI turns them into progress bars, the report into
 * charts, and the run directory keeps them as a JSON-lines log (events.jsonl).
 */
export type StageName =
  | 'pretrain'
  | 'search'
  | 'discretise'
  | 'finetune'
  | 'evaluate'
  | 'prune'
  | 'export'
  | 'report'
  | 'train';

export interface StageEvent {
  readonly type: 'stage';
  readonly stage: StageName;
  readonly status: 'start' | 'end';
  /** Steps of the whole stage (all its epochs), for progress bars (start events). */
  readonly totalSteps?: number;
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
}

export interface StepEvent {
  readonly type: 'step';
  readonly stage: StageName;
  readonly epoch: number;
  /** Global optimizer step (after the update). */
  readonly step: number;
  /** Step within the epoch, 1-based. */
  readonly stepInEpoch: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly lr: number;
  /** Present on steps where the loss was read back. */
  readonly loss?: number;
  /** Current (fractional) cost vs budget while searching, in `unit`. */
  readonly cost?: number;
  readonly budget?: number;
  readonly unit?: string;
}

export interface LayerBitsEvent {
  readonly layer: string;
  readonly w: number | readonly number[];
  readonly a: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly stage: StageName;
  /** Epoch index within the stage's schedule (QAT: search and fine-tune together). */
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly testAccuracy?: number;
  readonly testLoss?: number;
  readonly seconds: number;
  readonly cost?: number;
  readonly budget?: number;
  readonly unit?: string;
  readonly bits?: readonly LayerBitsEvent[];
}

export interface DiscretiseEvent {
  readonly type: 'discretise';
  readonly offset: number;
  readonly trials: number;
  readonly moves: number;
  readonly fractionalCost: number;
  readonly cost: number;
  readonly budget: number;
  readonly ratio: number;
  readonly inBand: boolean;
  readonly fractionalAccuracy: number;
  /** The integer model's test accuracy right after rounding, before fine-tuning. */
  readonly roundedAccuracy?: number;
}

export interface NoticeEvent {
  readonly type: 'notice';
  readonly message: string;
}

export interface ResultEvent {
  readonly type: 'result';
  readonly stage: StageName;
  readonly values: Readonly<Record<string, unknown>>;
}

export type RunEvent = StageEvent | StepEvent | EpochEvent | DiscretiseEvent | NoticeEvent | ResultEvent;

export type EventSink = (event: RunEvent) => void;
