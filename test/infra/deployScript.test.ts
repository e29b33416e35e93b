// infra/deploy.sh: syntax, and the order and arguments of what it asks the Azure CLI to do.
// The Azure CLI cannot run here (no Azure, no network), so a stand-in `az` on PATH records each
// call and answers the few queries the script makes; it checks the script's logic, not Azure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const script = join(repo, 'infra/deploy.sh');
const SECRET_KEY = 'k3y-that-must-never-be-printed';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const COMPUTE_PRINCIPAL = '11111111-1111-1111-1111-111111111111';

const OUTPUTS: Record<string, string> = {
  functionAppName: 'ftauto-test',
  functionAppUrl: 'https://ftauto-test.azurewebsites.net',
  storageAccountName: 'stabc123',
  trainingContainerName: 'training-data',
  deadLetterContainerName: 'event-deadletter',
  storageSystemTopicName: 'evgt-ftauto-test-storage',
  mlSystemTopicName: 'evgt-mlw-aml',
  workspaceResourceGroup: 'rg-ml',
  datastoreName: 'trainingdata',
  eventsIdentityName: 'id-ftauto-test-events',
  appPrincipalId: '22222222-2222-2222-2222-222222222222',
  appRoleDefinitionName: '33333333-3333-3333-3333-333333333333',
  durableTaskSchedulerName: 'dts-ftauto-test',
  lifecycleTopicName: 'evgt-ftauto-test-lifecycle',
};

// The stand-in az: logs its arguments, keeps a little state in files, answers by pattern.
const FAKE_AZ = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_STATE/az.log"
args="$*"
case "$args" in
  "account show --only-show-errors -o none") exit 0 ;;
  "account show --query id -o tsv") echo ${SUBSCRIPTION} ;;
  "group show -n "*" -o none") [[ -f "$FAKE_STATE/group" ]] ;;
  "group create "*) touch "$FAKE_STATE/group" ;;
  "group show -n "*"--query"*) [[ -f "$FAKE_STATE/group" ]] && echo finetune-autopilot ;;
  "resource show --ids /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw --query location -o tsv") echo eastus2 ;;
  "resource show --ids "*"/computes/gpu-cluster "*) echo ${COMPUTE_PRINCIPAL} ;;
  "deployment group create "*"finetune-autopilot-resources"*) touch "$FAKE_STATE/deployed" ;;
  "deployment group show "*"--query properties.outputs."*)
    [[ -f "$FAKE_STATE/deployed" ]] || exit 3
    name="\${args#*properties.outputs.}"; name="\${name%%.value*}"
    case "$name" in
${Object.entries(OUTPUTS)
  .map(([k, v]) => `      ${k}) echo '${v}' ;;`)
  .join('\n')}
    esac ;;
  "deployment group show "*"existingMlSystemTopicName"*) echo '' ;;
  "deployment group show "*) [[ -f "$FAKE_STATE/deployed" ]] ;;
  "functionapp deployment source config-zip "*)
    src="\${args#*--src }"; cp "\${src%% *}" "$FAKE_STATE/app.zip" ;;
  "functionapp keys list "*)
    # The host creates the Event Grid key a little after the code is published.
    n=$(($(cat "$FAKE_STATE/keys" 2>/dev/null || echo 0) + 1)); echo "$n" > "$FAKE_STATE/keys"
    if [[ "$args" == *"--query"* ]]; then [[ $n -ge 2 ]] && echo true || echo false
    else echo '{"systemKeys":{"eventgrid_extension":"${SECRET_KEY}"}}'; fi ;;
  "eventgrid system-topic event-subscription show "*) exit 3 ;;
  "eventgrid system-topic show "*) exit 0 ;;
  "eventgrid system-topic event-subscription list "*) echo 0 ;;
  "rest --method get "*"/onlineEndpoints?"*) printf '%s\\n' ft-abc123def456-0a1b ;;
  "role assignment list "*"--role "*) echo /x/roleAssignments/region ;;
  "role definition list "*) [[ -f "$FAKE_STATE/role" ]] && echo 44444444-4444-4444-4444-444444444444 ;;
  "role definition create "*) touch "$FAKE_STATE/role" ;;
  "role assignment list "*) printf '%s\\n' /x/roleAssignments/a1 /x/roleAssignments/a2 ;;
  "resource show "*) exit 3 ;;
esac
`;

let root: string;
let fakeBin: string;

beforeAll(() => {
  // A copy of the repo's deploy inputs with a pre-built dist/, so the code stage needs no real build.
  root = mkdtempSync(join(tmpdir(), 'deploy-sh-'));
  mkdirSync(join(root, 'infra'));
  for (const f of ['deploy.sh', 'main.json', 'events.json'])
    cpSync(join(repo, 'infra', f), join(root, 'infra', f));
  writeFileSync(
    join(root, 'infra/test.parameters.json'),
    JSON.stringify({
      parameters: { workspaceName: { value: 'mlw' }, workspaceResourceGroup: { value: 'rg-ml' } },
    }),
  );
  for (const dir of ['dist/src', 'dist/functions', 'dist/dashboard', 'dist/dev', 'dist/test'])
    mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'dist/functions/jobEvents.js'), '');
  writeFileSync(join(root, 'dist/src/config.js'), '');
  writeFileSync(join(root, 'dist/dashboard/index.html'), '');
  writeFileSync(join(root, 'dist/dev/emulator.js'), '');
  for (const f of ['host.json', 'package.json', 'package-lock.json']) writeFileSync(join(root, f), '{}');

  fakeBin = join(root, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'az'), FAKE_AZ);
  // npm: the build and the production install are the real tools' job; here they do nothing.
  writeFileSync(
    join(fakeBin, 'npm'),
    '#!/usr/bin/env bash\nprintf "npm %s\\n" "$*" >> "$FAKE_STATE/az.log"\n',
  );
  writeFileSync(join(fakeBin, 'curl'), '#!/usr/bin/env bash\nexit 0\n');
  for (const tool of ['az', 'npm', 'curl']) chmodSync(join(fakeBin, tool), 0o755);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function run(args: string[], state: string): { status: number | null; output: string; calls: string[] } {
  const result = spawnSync('bash', [join(root, 'infra/deploy.sh'), ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
      HOME: root,
      FAKE_STATE: state,
      AUTOPILOT_KEY_WAIT_SECONDS: '0',
    },
    timeout: 20_000,
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(state, 'az.log'), 'utf8').trim().split('\n');
  } catch {
    // no call made
  }
  return { status: result.status, output: result.stdout + result.stderr, calls };
}

// The code stage packages with zip; without it (and unzip to look inside) those tests cannot run here.
const hasZipTools = ['zip', 'unzip'].every(
  (tool) => spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0,
);
const ZIP_NOTE = hasZipTools ? '' : ' (SKIPPED: zip/unzip not installed)';

const freshState = (): string => mkdtempSync(join(root, 'state-'));
const withParams = (...args: string[]): string[] => [...args, '-p', join(root, 'infra/test.parameters.json')];

describe('infra/deploy.sh', () => {
  it('is valid bash with strict mode on', () => {
    const result = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(script, 'utf8')).toMatch(/^set -euo pipefail$/m);
  });

  it('prints its usage for --help, and exits 2 naming what is missing', () => {
    const help = spawnSync('bash', [script, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: infra\/deploy\.sh -g <resource-group>/);
    const missing = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/deploy\.sh: missing -g <resource-group>\n$/);
  });

  it('refuses a new resource group without a location', () => {
    const { status, output } = run(
      ['-g', 'rg-app', '-p', join(root, 'infra/test.parameters.json')],
      freshState(),
    );
    expect(status).toBe(2);
    expect(output).toContain("resource group 'rg-app' does not exist: give -l <region> to create it");
  });

  it.skipIf(!hasZipTools)(
    `runs the stages in order: resources, code, then event subscriptions once the Event Grid key exists${ZIP_NOTE}`,
    () => {
      const state = freshState();
      const { status, output, calls } = run(withParams('-g', 'rg-app', '-l', 'westeurope'), state);
      expect(output).not.toContain(SECRET_KEY);
      expect(status).toBe(0);
      const order = calls
        .map((c) =>
          /^group create -n rg-app -l westeurope --tags autopilot-owner=finetune-autopilot/.test(c)
            ? 'group'
            : /^deployment group create .*-n finetune-autopilot-resources/.test(c)
              ? 'resources'
              : /^npm run build/.test(c)
                ? 'build'
                : /^functionapp deployment source config-zip -g rg-app -n ftauto-test --src /.test(c)
                  ? 'publish'
                  : /^functionapp keys list .*--query systemKeys\.eventgrid_extension != null/.test(c)
                    ? 'key?'
                    : /^role assignment create /.test(c)
                      ? 'region reads'
                      : /^deployment group create .*-n finetune-autopilot-events/.test(c)
                        ? 'events'
                        : undefined,
        )
        .filter((c) => c !== undefined);
      expect(order).toEqual([
        'group',
        'resources',
        'region reads',
        'build',
        'publish',
        'key?',
        'key?',
        'events',
      ]);
      expect(calls).toContain(
        `role assignment create --assignee-object-id ${OUTPUTS.appPrincipalId} --assignee-principal-type ServicePrincipal --role finetune-autopilot region reads (${SUBSCRIPTION}) --scope /subscriptions/${SUBSCRIPTION} -o none`,
      );
      expect(calls.filter((c) => c.startsWith('role definition create --role-definition @'))).toHaveLength(1);

      const resources = calls.find((c) => c.includes('-n finetune-autopilot-resources')) ?? '';
      expect(resources).toContain('--template-file ');
      expect(resources).toMatch(
        /main\.json --parameters @\S+test\.parameters\.json workspaceLocation=eastus2/,
      );
      expect(resources).toContain(`computeIdentityPrincipalId=${COMPUTE_PRINCIPAL}`);

      const events = calls.find((c) => c.includes('-n finetune-autopilot-events')) ?? '';
      for (const [k, v] of Object.entries(OUTPUTS).filter(([k]) =>
        [
          'functionAppName',
          'storageAccountName',
          'storageSystemTopicName',
          'mlSystemTopicName',
          'eventsIdentityName',
        ].includes(k),
      )) {
        expect(events).toContain(`${k}=${v}`);
      }
    },
  );

  it.skipIf(!hasZipTools)(
    `publishes only the compiled app, host.json and package files (no dev/ or test/ code)${ZIP_NOTE}`,
    () => {
      const state = freshState();
      writeFileSync(join(state, 'group'), '');
      writeFileSync(join(state, 'deployed'), '');
      const { status, calls } = run(withParams('-g', 'rg-app', '--stage', 'code'), state);
      expect(status).toBe(0);
      expect(calls).toContain('npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent');
      const listing = spawnSync('unzip', ['-Z1', join(state, 'app.zip')], { encoding: 'utf8' });
      expect(listing.stdout.trim().split('\n').sort()).toEqual([
        'dist/',
        'dist/dashboard/',
        'dist/dashboard/index.html',
        'dist/functions/',
        'dist/functions/jobEvents.js',
        'dist/src/',
        'dist/src/config.js',
        'host.json',
        'package-lock.json',
        'package.json',
      ]);
    },
  );

  it('grants the region reads only once per subscription, and not at all with --no-region-reads', () => {
    const state = freshState();
    writeFileSync(join(state, 'group'), '');
    writeFileSync(join(state, 'role'), '');
    const again = run(withParams('-g', 'rg-app', '--stage', 'resources'), state);
    expect(again.status).toBe(0);
    expect(again.calls.filter((c) => c.startsWith('role definition create'))).toEqual([]);
    expect(again.calls.filter((c) => c.startsWith('role assignment create'))).toHaveLength(1);

    const state2 = freshState();
    writeFileSync(join(state2, 'group'), '');
    const none = run(withParams('-g', 'rg-app', '--stage', 'resources', '--no-region-reads'), state2);
    expect(none.status).toBe(0);
    expect(none.calls.filter((c) => c.startsWith('role '))).toEqual([]);
  });

  it('stops the events stage when stage 1 was never deployed', () => {
    const state = freshState();
    writeFileSync(join(state, 'group'), '');
    const { status, output } = run(withParams('-g', 'rg-app', '--stage', 'events'), state);
    expect(status).toBe(1);
    expect(output).toContain("stage 1 (resources) has not been deployed to 'rg-app' yet");
  });

  it('tears down: owned endpoints and workspace pieces first, then the resource group it created', () => {
    const state = freshState();
    writeFileSync(join(state, 'group'), '');
    writeFileSync(join(state, 'deployed'), '');
    const { status, calls } = run(withParams('-g', 'rg-app', '--delete', '--yes'), state);
    expect(status).toBe(0);
    const deletes = calls.filter((c) => / delete /.test(` ${c} `));
    expect(deletes).toEqual([
      `rest --method delete --url https://management.azure.com/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw/onlineEndpoints/ft-abc123def456-0a1b?api-version=2024-04-01 -o none`,
      'eventgrid system-topic delete -g rg-ml -n evgt-mlw-aml --yes -o none',
      'role assignment delete --ids /x/roleAssignments/a1 -o none',
      'role assignment delete --ids /x/roleAssignments/a2 -o none',
      'role assignment delete --ids /x/roleAssignments/region -o none',
      `role definition delete --name finetune-autopilot region reads (${SUBSCRIPTION}) --scope /subscriptions/${SUBSCRIPTION} -o none`,
      `role definition delete --name ${OUTPUTS.appRoleDefinitionName} --scope /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ml -o none`,
      'group delete -n rg-app --yes -o none',
    ]);
  });

  it('tears down the scheduler and the lifecycle topic too when the group is not its own', () => {
    const state = freshState();
    writeFileSync(join(state, 'deployed'), '');
    const { status, calls } = run(withParams('-g', 'rg-app', '--delete', '--yes'), state);
    expect(status).toBe(0);
    const rg = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-app/providers`;
    const looked = calls.filter((c) => c.startsWith('resource show --ids ') && c.includes(rg));
    expect(looked).toContain(
      `resource show --ids ${rg}/Microsoft.EventGrid/topics/evgt-ftauto-test-lifecycle -o none`,
    );
    expect(looked).toContain(
      `resource show --ids ${rg}/Microsoft.DurableTask/schedulers/dts-ftauto-test -o none`,
    );
  });
});
