/** `--backend auto|webgpu|cpu`, shared by every command. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export function parseBackendChoice(value: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`--backend must be one of ${BACKEND_CHOICES.join(', ')}; got "${value}"`);
}
