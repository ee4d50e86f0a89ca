/**
 * Typed events every pipeline stage emits. The CLI turns them into progress bars, the report into
 * charts, and the run directory keeps them as a JSON-lines log.
 */
export type StageName = 'pretrain' | 'search' | 'discretise' | 'finetune' | 'evaluate' | 'export' | 'report' | 'train';

export interface StageEvent {
  readonly type: 'stage';
  readonly stage: StageName;
  readonly status: 'start' | 'end';
  /** Batches per epoch × epochs, for progress bars (start events). */
  readonly totalSteps?: number;
  readonly epochs?: number;
}

export interface StepEvent {
  readonly type: 'step';
  readonly stage: StageName;
  readonly epoch: number;
  /** Step within the stage (1-based, after the update). */
  readonly step: number;
  readonly totalSteps: number;
  readonly lr: number;
  /** Present on steps where the loss was read back. */
  readonly loss?: number;
  /** Current cost vs budget, for search stages. */
  readonly cost?: number;
  readonly budget?: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly stage: StageName;
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly testAccuracy?: number;
  readonly testLoss?: number;
  readonly seconds: number;
  readonly cost?: number;
  readonly budget?: number;
  readonly bits?: readonly LayerBitsEvent[];
}

export interface LayerBitsEvent {
  readonly layer: string;
  readonly w: number | readonly number[];
  readonly a: number;
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

export type RunEvent = StageEvent | StepEvent | EpochEvent | NoticeEvent | ResultEvent;

export type EventSink = (event: RunEvent) => void;
