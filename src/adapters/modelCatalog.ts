// The base model's latest version and raw tags, read from the Azure ML registry the way the
// Python SDK does (registry discovery, then the regional data-plane model list). When the
// registry cannot be reached, the configured fallback keeps runs going; a registry that answers
// "no such model" is a real error, never papered over.
import { DomainError } from '../domain/errors.js';
import { readComponentInputs, type ComponentSpec } from '../domain/componentSpec.js';
import type { ModelCatalog } from '../domain/ports.js';
import type { BaseModelInfo } from '../domain/resources.js';
import { ServiceUnavailableError } from './errors.js';
import type { JsonHttpClient } from './http.js';

export const REGISTRY_DATA_PLANE_API_VERSION = '2021-10-01-dataplanepreview';

/** Registry lookups are small; a slow one counts as unreachable so the fallback can take over. */
const LOOKUP_TIMEOUT_MS = 30_000;

export interface ModelFallback {
  /** `azureml://registries/<registry>/models/<name>/versions/<version>` */
  readonly id: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface RegistryModelCatalogOptions {
  readonly http: JsonHttpClient;
  readonly discoveryUrl: string;
  readonly registry: string;
  readonly fallback?: ModelFallback;
  readonly timeoutInMs?: number;
}

interface Discovery {
  readonly primaryRegionResourceProviderUri: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

const MODEL_ID = /^azureml:\/\/registries\/([^/]+)\/models\/([^/]+)\/versions\/([^/]+)$/;

export function registryModelId(registry: string, name: string, version: string): string {
  return `azureml://registries/${registry}/models/${name}/versions/${version}`;
}

export class RegistryModelCatalog implements ModelCatalog {
  private readonly timeoutInMs: number;

  constructor(private readonly options: RegistryModelCatalogOptions) {
    this.timeoutInMs = options.timeoutInMs ?? LOOKUP_TIMEOUT_MS;
  }

  async getLatest(name: string): Promise<BaseModelInfo> {
    try {
      return await this.lookup(name);
    } catch (error) {
      const fallback = this.options.fallback;
      if (error instanceof ServiceUnavailableError && fallback !== undefined) {
        return fromFallback(name, fallback);
      }
      throw error;
    }
  }

  /**
   * The component version's spec, read as the Python SDK's `components.get(name, version)` does
   * on a registry (the same data-plane host and api-version as models). No fallback: without the
   * declaration the job's inputs cannot be checked, and submitting unchecked is what this avoids.
   */
  async getComponent(name: string, version: string): Promise<ComponentSpec> {
    const { http, registry } = this.options;
    const url =
      (await this.registryBase()) +
      `/components/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}` +
      `?api-version=${REGISTRY_DATA_PLANE_API_VERSION}`;
    let body: unknown;
    try {
      ({ body } = await http.send({
        method: 'GET',
        url,
        operation: `GET component ${name} version ${version} in registry ${registry}`,
        timeoutInMs: this.timeoutInMs,
      }));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'REGISTRY.NOT_FOUND') {
        throw new DomainError(
          'COMPONENT.NOT_FOUND',
          `component ${name} version ${version} does not exist in registry '${registry}'; set PIPELINE_COMPONENT to a version the registry has`,
          { registry, name, version },
        );
      }
      throw error;
    }
    const properties = ((body as { properties?: unknown } | undefined)?.properties ?? {}) as {
      componentSpec?: { inputs?: unknown };
    };
    return {
      id: `azureml://registries/${registry}/components/${name}/versions/${version}`,
      name,
      version,
      inputs: readComponentInputs(properties.componentSpec?.inputs),
    };
  }

  /** `<region host>/.../registries/<registry>`, from the registry's discovery. */
  private async registryBase(): Promise<string> {
    const discovery = await this.discover();
    const base = discovery.primaryRegionResourceProviderUri.replace(/\/*$/, '/');
    return (
      `${base}mferp/managementfrontend/subscriptions/${encodeURIComponent(discovery.subscriptionId)}` +
      `/resourceGroups/${encodeURIComponent(discovery.resourceGroup)}` +
      `/providers/Microsoft.MachineLearningServices/registries/${encodeURIComponent(this.options.registry)}`
    );
  }

  private async lookup(name: string): Promise<BaseModelInfo> {
    const { http, registry } = this.options;
    const url =
      (await this.registryBase()) +
      `/models/${encodeURIComponent(name)}/versions` +
      `?api-version=${REGISTRY_DATA_PLANE_API_VERSION}&$orderBy=${encodeURIComponent('createdtime desc')}&$top=1`;
    const { body } = await http.send({
      method: 'GET',
      url,
      operation: `GET latest version of model ${name} in registry ${registry}`,
      timeoutInMs: this.timeoutInMs,
    });
    const latest = firstValue(body);
    if (latest === undefined) {
      throw new DomainError(
        'REGISTRY.MODEL_NOT_FOUND',
        `model '${name}' has no versions in registry '${registry}'`,
        {
          registry,
          name,
        },
      );
    }
    const version = typeof latest.name === 'string' ? latest.name : undefined;
    if (version === undefined) {
      throw new ServiceUnavailableError(
        'REGISTRY.BAD_ANSWER',
        `registry '${registry}' listed a version of '${name}' without a name`,
      );
    }
    const properties = (latest.properties ?? {}) as {
      tags?: unknown;
      properties?: unknown;
      isArchived?: unknown;
      stage?: unknown;
    };
    const archived = properties.isArchived === true || properties.stage === 'Archived';
    return {
      name,
      version,
      id: registryModelId(registry, name, version),
      tags: stringTags(properties.tags),
      properties: stringTags(properties.properties),
      ...(archived ? { archived } : {}),
      source: 'registry',
    };
  }

  private async discover(): Promise<Discovery> {
    const { http, registry, discoveryUrl } = this.options;
    const { body } = await http.send({
      method: 'GET',
      url: `${discoveryUrl.replace(/\/+$/, '')}/registrymanagement/v1.0/registries/${encodeURIComponent(registry)}/discovery`,
      operation: `GET discovery of registry ${registry}`,
      timeoutInMs: this.timeoutInMs,
    });
    const d = (body ?? {}) as Partial<Record<keyof Discovery, unknown>>;
    if (
      typeof d.primaryRegionResourceProviderUri !== 'string' ||
      typeof d.subscriptionId !== 'string' ||
      typeof d.resourceGroup !== 'string'
    ) {
      // A discovery answer we cannot use is as good as no answer: let the fallback decide.
      throw new ServiceUnavailableError(
        'REGISTRY.BAD_ANSWER',
        `registry '${registry}' discovery lacks primaryRegionResourceProviderUri, subscriptionId or resourceGroup`,
      );
    }
    return d as Discovery;
  }
}

function firstValue(body: unknown): Record<string, unknown> | undefined {
  const value = (body as { value?: unknown } | undefined)?.value;
  const first: unknown = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

/** Registry tags are strings (Python literals for lists/dicts); anything else is kept as JSON text. */
function stringTags(tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || tags === null) return {};
  return Object.fromEntries(
    Object.entries(tags as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  );
}

function fromFallback(name: string, fallback: ModelFallback): BaseModelInfo {
  const match = MODEL_ID.exec(fallback.id);
  return {
    name: match?.[2] ?? name,
    version: match?.[3] ?? 'unknown',
    id: fallback.id,
    tags: { ...fallback.tags },
    source: 'fallback',
  };
}
