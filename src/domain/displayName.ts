// The pipeline job's display name, built as the notebook's get_pipeline_display_name does, so a
// run reads the same in Azure ML studio whether it came from the notebook or from this app.
import { GPUS_PARAMETER, NODES_PARAMETER, type FineTuneParameters } from './fineTuneParameters.js';

export interface DisplayNameInput {
  readonly model: string;
  readonly parameters: FineTuneParameters;
  /** GPUs per node; `number_of_gpu_to_use_finetuning` in the parameters wins (a run may use fewer). */
  readonly gpusPerNode: number;
  /** Nodes; `num_nodes_finetune` in the parameters wins. */
  readonly nodes: number;
}

function wholeNumber(text: string | undefined, fallback: number): number {
  const value = text === undefined ? NaN : Number(text);
  return Number.isInteger(value) ? value : fallback;
}

/** `<model>-ultrachat-bs<n>-<scheduler>-<ds<stage>|nods>-<lora|nolora>-save_limit<n>-seqlen<n>`. */
export function displayName({ model, parameters, gpusPerNode, nodes }: DisplayNameInput): string {
  // Effective batch size across the whole cluster, as the notebook reports it.
  const batchSize =
    wholeNumber(parameters.per_device_train_batch_size, 1) *
    wholeNumber(parameters.gradient_accumulation_steps, 1) *
    wholeNumber(parameters[GPUS_PARAMETER], gpusPerNode) *
    wholeNumber(parameters[NODES_PARAMETER], nodes);
  const scheduler = parameters.lr_scheduler_type ?? 'linear';
  const deepspeed = parameters.apply_deepspeed === 'true' ? `ds${parameters.deepspeed_stage ?? '2'}` : 'nods';
  const lora = parameters.apply_lora === 'true' ? 'lora' : 'nolora';
  const saveLimit = parameters.save_total_limit ?? '-1';
  const seqLen = parameters.max_seq_length ?? '-1';
  return `${model}-ultrachat-bs${batchSize}-${scheduler}-${deepspeed}-${lora}-save_limit${saveLimit}-seqlen${seqLen}`;
}
