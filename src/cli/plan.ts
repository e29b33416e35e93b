// `autopilot plan`: what a run of this dataset would submit, computed offline with the same
// domain functions the app uses (no network): effective parameters and where each came from,
// the display name, the run id and the exact PipelineJob request body. The job's inputs are
// checked against the pinned component's declaration recorded in src/domain/pinnedComponent.ts
// (the run reads the same declaration from the registry); defaults it does not declare are
// dropped and listed, as resolveModel and submit do.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError, loadPlanSettings, type PlanSettings } from '../config.js';
import { INCOMING_PREFIX, parseDatasetPath } from '../domain/blobEvents.js';
import { displayName } from '../domain/displayName.js';
import { checkJobInputs, type ComponentSpec } from '../domain/componentSpec.js';
import type { DomainProblem } from '../domain/errors.js';
import {
  FineTuneCode,
  NODES_PARAMETER,
  resolveFineTuneParameters,
  type ParameterSource,
} from '../domain/fineTuneParameters.js';
import { readModelTags } from '../domain/modelTags.js';
import { PINNED_COMPONENT } from '../domain/pinnedComponent.js';
import { buildPipelineJob, datastoreUri, registryModelId } from '../domain/pipelineJob.js';
import { computeRunId } from '../domain/runId.js';
import { ExitCode, UsageError, integerOption, parseCommandLine, type CliIo } from './args.js';

const USAGE = 'usage: autopilot plan --dataset <file> [--overrides <json file>] [--gpus-per-node N] [--json]';
/** Without a compute to ask, plan assumes one GPU per node unless told. */
const DEFAULT_GPUS_PER_NODE = 1;
const LOCAL_ETAG_PREFIX = 'local-';
const RUN_ID_NOTE =
  'a local file has no ETag, so plan uses local-<first 16 hex of sha256(content)>; the real run id differs because Azure assigns the ETag when the blob is uploaded';

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  // Streamed: datasets run to gigabytes.
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function ioMessage(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(error as Error).message}`;
}

async function readOverrides(
  path: string | undefined,
): Promise<{ value: unknown } | { problem: DomainProblem }> {
  if (path === undefined) return { value: undefined };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(ioMessage(path, error));
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      problem: {
        code: FineTuneCode.overridesNotJson,
        message: `${path}: not valid JSON (${(error as Error).message})`,
      },
    };
  }
}

function loadSettings(): PlanSettings {
  try {
    return loadPlanSettings();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function fail(io: CliIo, json: boolean, problem: DomainProblem): number {
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: problem })}\n`);
  } else {
    const details = Array.isArray(problem.details)
      ? (problem.details as { message?: unknown }[]).map((d) => `\n  - ${String(d.message)}`).join('')
      : '';
    io.stderr.write(
      `autopilot plan: ${problem.code}: ${details === '' ? problem.message : 'the overrides have problems:'}${details}\n`,
    );
  }
  return ExitCode.invalidInput;
}

export async function plan(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    args,
    {
      dataset: { type: 'string' },
      overrides: { type: 'string' },
      'gpus-per-node': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  if (values.dataset === undefined) throw new UsageError(`--dataset is required\n${USAGE}`);
  const gpusGiven = values['gpus-per-node'] !== undefined;
  const gpusPerNode = integerOption('gpus-per-node', values['gpus-per-node'], DEFAULT_GPUS_PER_NODE, 1, 64);
  const json = values.json;
  const settings = loadSettings();

  const path = `${INCOMING_PREFIX}${basename(values.dataset)}`;
  const datasetPath = parseDatasetPath(path);
  if (!datasetPath.ok) {
    return fail(io, json, {
      code: datasetPath.error.code,
      message: `${values.dataset}: a dataset file must end in .jsonl or .parquet (it would be uploaded as ${path})`,
    });
  }
  let contentHash: string;
  try {
    contentHash = await sha256OfFile(values.dataset);
  } catch (error) {
    throw new UsageError(ioMessage(values.dataset, error));
  }

  const overrides = await readOverrides(values.overrides);
  if ('problem' in overrides) return fail(io, json, overrides.problem);
  const tags = readModelTags(settings.fineTune.baseModelFallbackTags ?? {});
  const resolved = resolveFineTuneParameters({
    modelSpecificDefaults: tags.modelSpecificDefaults,
    overrides: overrides.value,
    gpusPerNode,
  });
  if (!resolved.ok) return fail(io, json, resolved.error);
  const { sources } = resolved.value;

  const ft = settings.fineTune;
  // Offline, only the recorded declaration is known; another pinned version is checked by the
  // run against the registry, and plan says it did not check.
  const declaration: ComponentSpec | undefined =
    ft.pipelineComponent === PINNED_COMPONENT.id ? PINNED_COMPONENT : undefined;
  let parameters = resolved.value.parameters;
  const dropped: { input: string; value: string; source: ParameterSource }[] = [];
  if (declaration !== undefined) {
    const checked = checkJobInputs(declaration, {
      lenient: resolved.value.parameters,
      strict: (overrides.value ?? {}) as Record<string, unknown>,
    });
    if (!checked.ok) return fail(io, json, checked.error);
    parameters = checked.value.values;
    for (const { input, value } of checked.value.dropped) {
      dropped.push({ input, value, source: sources[input] ?? 'default' });
    }
  }
  const uncheckedNote = `no recorded declaration for ${ft.pipelineComponent}; the run checks it against the registry`;
  const componentResult =
    declaration === undefined
      ? { id: ft.pipelineComponent, checked: false, note: uncheckedNote }
      : { id: declaration.id, name: declaration.name, version: declaration.version, checked: true };
  const etag = `${LOCAL_ETAG_PREFIX}${contentHash.slice(0, 16)}`;
  const { runId } = computeRunId({
    container: settings.trainingContainer,
    path,
    etag,
    overrides: (overrides.value ?? {}) as Record<string, unknown>,
  });
  const modelId = ft.baseModelFallbackId ?? registryModelId(ft.baseModelRegistry, ft.baseModelName, 'latest');
  const name = displayName({
    model: ft.baseModelName,
    parameters,
    gpusPerNode: Number(parameters.number_of_gpu_to_use_finetuning),
    nodes: Number(parameters[NODES_PARAMETER]),
  });
  const request = buildPipelineJob({
    runId,
    experimentName: ft.experimentName,
    displayName: name,
    componentId: ft.pipelineComponent,
    modelId,
    trainDataUri: datastoreUri(settings.datastore, `runs/${runId}/train.jsonl`),
    testDataUri: datastoreUri(settings.datastore, `runs/${runId}/test.jsonl`),
    computeName: ft.computeCluster,
    parameters,
  });

  const modelTagsSource =
    ft.baseModelFallbackTags === undefined
      ? 'none (BASE_MODEL_FALLBACK_TAGS not set)'
      : 'BASE_MODEL_FALLBACK_TAGS';
  const result = {
    dataset: { container: settings.trainingContainer, path, etag },
    runId,
    runIdNote: RUN_ID_NOTE,
    model: {
      id: modelId,
      tags: modelTagsSource,
      ...(tags.finetuneComputeAllowList === undefined
        ? {}
        : { finetuneComputeAllowList: tags.finetuneComputeAllowList }),
      warnings: tags.problems.map((p) => p.message),
    },
    component: componentResult,
    compute: {
      name: ft.computeCluster,
      gpusPerNode,
      gpusPerNodeSource: gpusGiven ? '--gpus-per-node' : 'assumed',
    },
    parameters: Object.fromEntries(
      Object.entries(parameters).map(([key, value]) => [
        key,
        { value, source: sources[key] as ParameterSource },
      ]),
    ),
    displayName: name,
    droppedDefaults: dropped,
    job: { name: runId, request },
  };

  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return ExitCode.ok;
  }
  const width = Math.max(...Object.keys(parameters).map((k) => k.length));
  const valueWidth = Math.max(...Object.values(parameters).map((v) => v.length));
  const lines = [
    `dataset       ${values.dataset} -> ${settings.trainingContainer}/${path}`,
    `run id        ${runId} (also the job name)`,
    `              note: ${RUN_ID_NOTE}`,
    `model         ${modelId}`,
    `model tags    ${modelTagsSource}`,
    ...tags.problems.map((p) => `              warning: ${p.message}`),
    ...(tags.finetuneComputeAllowList === undefined
      ? []
      : [`              fine-tune compute allow list: ${tags.finetuneComputeAllowList.join(', ')}`]),
    declaration === undefined
      ? `component     ${ft.pipelineComponent} (inputs not checked: ${uncheckedNote})`
      : `component     ${declaration.name} ${declaration.version} (${declaration.id})`,
    ...dropped.map(
      ({ input, value, source }) =>
        `              dropped: ${input}=${value} (${source === 'model' ? 'model' : 'notebook'} default; not an input of ${declaration?.name ?? ''} ${declaration?.version ?? ''})`,
    ),
    `compute       ${ft.computeCluster}, ${gpusPerNode} GPU(s) per node${gpusGiven ? '' : ' (assumed; pass --gpus-per-node)'}`,
    `display name  ${name}`,
    '',
    'parameters (value, source):',
    ...Object.entries(parameters).map(
      ([key, value]) => `  ${key.padEnd(width)}  ${value.padEnd(valueWidth)}  ${sources[key] ?? ''}`,
    ),
    '',
    `PipelineJob request body (PUT .../jobs/${runId}):`,
    JSON.stringify(request, null, 2),
    '',
  ];
  io.stdout.write(lines.join('\n'));
  return ExitCode.ok;
}

export default plan;
