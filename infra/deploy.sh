#!/usr/bin/env bash
# Deploys finetune-autopilot to Azure, or tears it down, with the Azure CLI.
# Three stages, in order, each safe to re-run (ARM deployments are incremental, names are stable):
#   1. resources: infra/main.json (app, storage, monitoring, identities, RBAC, datastore, system topics)
#   2. code:      build, package dist/ + host.json + package.json + production node_modules, and
#                 publish it to the Flex Consumption app (az functionapp deployment source config-zip,
#                 which uses Flex's one-deploy endpoint)
#   3. events:    infra/events.json (Event Grid subscriptions: their webhooks need the functions running)
set -euo pipefail

readonly RESOURCES_DEPLOYMENT='finetune-autopilot-resources'
readonly EVENTS_DEPLOYMENT='finetune-autopilot-events'
readonly OWNER_TAG_KEY='autopilot-owner'
readonly OWNER_TAG_VALUE='finetune-autopilot'
readonly ML_API_VERSION='2024-04-01'
readonly KEY_WAIT_ATTEMPTS=30
readonly ROLE_RETRY_ATTEMPTS=6
readonly KEY_WAIT_SECONDS="${AUTOPILOT_KEY_WAIT_SECONDS:-10}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
readonly script_dir repo_root

usage() {
  cat <<'EOF'
Usage: infra/deploy.sh -g <resource-group> [options]

Deploys finetune-autopilot into <resource-group> (created if missing; needs -l then).

Options:
  -g, --resource-group NAME   resource group of the app (required)
  -l, --location REGION       region for a new resource group
  -p, --parameters FILE       ARM parameters file (default: infra/main.parameters.json)
      --stage STAGE           all (default), resources, code or events
      --delete                tear down what this script deployed (see docs/deploy.md)
      --yes                   do not ask before deleting
      --no-region-reads       do not grant the app the subscription-level read of Azure ML VM sizes
                              and quota (its pre-flight compute check then cannot run; see docs/deploy.md)
  -h, --help                  this help

Needs: az (logged in: az login), node and npm (npm ci already run), zip.
EOF
}

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'deploy.sh: %s\n' "$1" >&2
  exit "${2:-1}"
}

# Temporary directories, removed on exit whatever happens.
work_dirs=()
cleanup() {
  local dir
  for dir in ${work_dirs[@]+"${work_dirs[@]}"}; do rm -rf "$dir"; done
}
trap cleanup EXIT

resource_group=''
location=''
parameters_file="$script_dir/main.parameters.json"
stage='all'
delete=false
assume_yes=false
region_reads=true

while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group) resource_group="${2:-}"; shift 2 ;;
    -l | --location) location="${2:-}"; shift 2 ;;
    -p | --parameters) parameters_file="${2:-}"; shift 2 ;;
    --stage) stage="${2:-}"; shift 2 ;;
    --delete) delete=true; shift ;;
    --yes) assume_yes=true; shift ;;
    --no-region-reads) region_reads=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" 2 ;;
  esac
done

[[ -n "$resource_group" ]] || { usage >&2; die 'missing -g <resource-group>' 2; }
case "$stage" in all | resources | code | events) ;; *) die "--stage must be all, resources, code or events, got '$stage'" 2 ;; esac
[[ -f "$parameters_file" ]] || die "parameters file not found: $parameters_file" 2

require() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed ($2)" 2
}
require az 'https://learn.microsoft.com/cli/azure/install-azure-cli'
require node 'Node.js 22'

az account show --only-show-errors -o none 2>/dev/null || die "not logged in to Azure: run 'az login'" 2
subscription_id="$(az account show --query id -o tsv)"

# A parameter's value from the parameters file ('' when absent).
param() {
  node -e '
    const file = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const entry = (file.parameters || {})[process.argv[2]];
    process.stdout.write(entry && entry.value !== undefined ? String(entry.value) : "");
  ' "$parameters_file" "$1"
}

# An output of the stage-1 deployment ('' when it has not run yet).
output() {
  az deployment group show -g "$resource_group" -n "$RESOURCES_DEPLOYMENT" \
    --query "properties.outputs.$1.value" -o tsv --only-show-errors 2>/dev/null || true
}

workspace_name="$(param workspaceName)"
workspace_rg="$(param workspaceResourceGroup)"
workspace_rg="${workspace_rg:-$resource_group}"
[[ -n "$workspace_name" ]] || die "parameter workspaceName is not set in $parameters_file" 2
workspace_id="/subscriptions/$subscription_id/resourceGroups/$workspace_rg/providers/Microsoft.MachineLearningServices/workspaces/$workspace_name"
subscription_scope="/subscriptions/$subscription_id"
# Role names are unique per tenant: the subscription id keeps two subscriptions' roles apart.
region_reads_role="finetune-autopilot region reads ($subscription_id)"
readonly subscription_scope region_reads_role

# Runs a command until it succeeds (new role definitions take a while to replicate).
retry() {
  local attempt
  for ((attempt = 1; attempt < ROLE_RETRY_ATTEMPTS; attempt++)); do
    "$@" && return 0
    sleep "$KEY_WAIT_SECONDS"
  done
  "$@"
}

# The one thing the templates cannot grant: Azure ML's VM size and quota lists are per region
# under the subscription (/subscriptions/<id>/providers/Microsoft.MachineLearningServices/locations/
# <region>/vmSizes|usages), so reading them needs a subscription-scope assignment. The role allows
# those two reads and nothing else.
grant_region_reads() {
  local principal="$1" definition
  if [[ -z "$(az role definition list --custom-role-only true --name "$region_reads_role" --scope "$subscription_scope" \
    --query '[0].name' -o tsv 2>/dev/null)" ]]; then
    definition="$(mktemp)"
    work_dirs+=("$definition")
    cat >"$definition" <<EOF
{
  "Name": "$region_reads_role",
  "IsCustom": true,
  "Description": "Read Azure ML VM sizes and quota usage per region (finetune-autopilot's pre-flight compute check). Nothing else.",
  "Actions": [
    "Microsoft.MachineLearningServices/locations/vmsizes/read",
    "Microsoft.MachineLearningServices/locations/usages/read"
  ],
  "NotActions": [],
  "DataActions": [],
  "NotDataActions": [],
  "AssignableScopes": ["$subscription_scope"]
}
EOF
    az role definition create --role-definition "@$definition" -o none || return 1
  fi
  retry az role assignment create --assignee-object-id "$principal" --assignee-principal-type ServicePrincipal \
    --role "$region_reads_role" --scope "$subscription_scope" -o none
}

ensure_resource_group() {
  if az group show -n "$resource_group" -o none 2>/dev/null; then
    return
  fi
  [[ -n "$location" ]] || die "resource group '$resource_group' does not exist: give -l <region> to create it" 2
  log "creating resource group $resource_group in $location"
  # The tag marks the group as this app's, so --delete may delete it whole.
  az group create -n "$resource_group" -l "$location" --tags "$OWNER_TAG_KEY=$OWNER_TAG_VALUE" -o none
}

stage_resources() {
  ensure_resource_group
  local extra=()
  # Fail early, with a clear message, when the workspace is not where the parameters say.
  local ws_location
  ws_location="$(az resource show --ids "$workspace_id" --query location -o tsv 2>/dev/null)" ||
    die "Azure ML workspace '$workspace_name' not found in resource group '$workspace_rg'" 1
  [[ -n "$(param workspaceLocation)" ]] || extra+=(workspaceLocation="$ws_location")

  # The identity pipeline jobs read data with: the compute cluster's, when it has one.
  if [[ -z "$(param computeIdentityPrincipalId)" ]]; then
    local cluster principal
    cluster="$(param computeClusterName)"
    principal="$(az resource show --ids "$workspace_id/computes/${cluster:-gpu-cluster}" --api-version "$ML_API_VERSION" \
      --query 'identity.principalId || values(identity.userAssignedIdentities)[0].principalId' -o tsv 2>/dev/null || true)"
    if [[ -n "$principal" ]]; then
      extra+=(computeIdentityPrincipalId="$principal")
    else
      warn "compute cluster '${cluster:-gpu-cluster}' has no managed identity (or was not found): jobs will read data with the submitter's identity"
    fi
  fi

  log "stage 1/3: resources (infra/main.json)"
  az deployment group create -g "$resource_group" -n "$RESOURCES_DEPLOYMENT" \
    --template-file "$script_dir/main.json" --parameters "@$parameters_file" ${extra[@]+"${extra[@]}"} \
    --only-show-errors -o none
  if [[ "$region_reads" == true ]]; then
    log "granting the app '$region_reads_role' on the subscription (VM size and quota reads only)"
    grant_region_reads "$(output appPrincipalId)" ||
      warn "could not grant '$region_reads_role' (needs Owner or User Access Administrator on the subscription): runs will fail their compute check until someone who has it re-runs this stage"
  fi
  log "function app: $(output functionAppUrl)"
}

stage_code() {
  require npm 'Node.js 22'
  require zip 'the zip tool'
  local app work
  app="$(output functionAppName)"
  [[ -n "$app" ]] || die "stage 1 (resources) has not been deployed to '$resource_group' yet" 1
  work="$(mktemp -d)"
  work_dirs+=("$work")

  log "stage 2/3: code (build and publish to $app)"
  (cd "$repo_root" && npm run build --silent)
  # Only what runs in Azure: the compiled app (not dev/ or test/), host config, production dependencies.
  mkdir -p "$work/package/dist"
  # dist/dashboard: the dashboard's page, modules and styles (src/http/dashboard.ts serves them)
  cp -R "$repo_root/dist/src" "$repo_root/dist/functions" "$repo_root/dist/dashboard" "$work/package/dist/"
  cp "$repo_root/host.json" "$repo_root/package.json" "$repo_root/package-lock.json" "$work/package/"
  (cd "$work/package" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent)
  (cd "$work/package" && zip -qr "$work/app.zip" .)
  az functionapp deployment source config-zip -g "$resource_group" -n "$app" --src "$work/app.zip" \
    --only-show-errors -o none
}

# The Event Grid extension creates its system key when the host first loads it; the key itself
# is never read here (events.json reads it with listKeys inside the deployment).
wait_for_eventgrid_key() {
  local app="$1" host="$2" attempt present
  for ((attempt = 1; attempt <= KEY_WAIT_ATTEMPTS; attempt++)); do
    present="$(az functionapp keys list -g "$resource_group" -n "$app" \
      --query 'systemKeys.eventgrid_extension != null' -o tsv 2>/dev/null || true)"
    [[ "$present" == 'true' ]] && return 0
    # A request wakes a scaled-to-zero Flex app so the host starts and loads its extensions.
    if command -v curl >/dev/null 2>&1; then curl -s -o /dev/null --max-time 30 "$host" || true; fi
    log "waiting for the function host to create its Event Grid key ($attempt/$KEY_WAIT_ATTEMPTS)"
    sleep "$KEY_WAIT_SECONDS"
  done
  die "the app has no eventgrid_extension system key after $((KEY_WAIT_ATTEMPTS * KEY_WAIT_SECONDS))s: is the code deployed (stage code) and the host healthy?" 1
}

stage_events() {
  local app
  app="$(output functionAppName)"
  [[ -n "$app" ]] || die "stage 1 (resources) has not been deployed to '$resource_group' yet" 1
  wait_for_eventgrid_key "$app" "$(output functionAppUrl)"
  log "stage 3/3: event subscriptions (infra/events.json)"
  az deployment group create -g "$resource_group" -n "$EVENTS_DEPLOYMENT" \
    --template-file "$script_dir/events.json" \
    --parameters functionAppName="$app" \
    storageAccountName="$(output storageAccountName)" \
    trainingContainerName="$(output trainingContainerName)" \
    deadLetterContainerName="$(output deadLetterContainerName)" \
    storageSystemTopicName="$(output storageSystemTopicName)" \
    eventsIdentityName="$(output eventsIdentityName)" \
    workspaceResourceGroup="$(output workspaceResourceGroup)" \
    mlSystemTopicName="$(output mlSystemTopicName)" \
    --only-show-errors -o none
  log "done: drop a dataset under incoming/ of container '$(output trainingContainerName)' in storage account '$(output storageAccountName)'"
}

# Deletes a resource by id if it exists.
delete_if_exists() {
  local id="$1" what="$2"
  shift 2
  if az resource show --ids "$id" "$@" -o none 2>/dev/null; then
    log "deleting $what"
    az resource delete --ids "$id" "$@" -o none
  fi
}

teardown() {
  if ! az deployment group show -g "$resource_group" -n "$RESOURCES_DEPLOYMENT" -o none 2>/dev/null; then
    die "nothing to delete: no '$RESOURCES_DEPLOYMENT' deployment in resource group '$resource_group'" 1
  fi
  if [[ "$assume_yes" != true ]]; then
    local answer=''
    read -r -p "Delete finetune-autopilot from '$resource_group' and its pieces in workspace '$workspace_name'? [y/N] " answer ||
      true
    [[ "$answer" == [yY]* ]] || die 'cancelled' 1
  fi
  local app storage_topic ml_topic datastore principal role adopted
  app="$(output functionAppName)"
  storage_topic="$(output storageSystemTopicName)"
  ml_topic="$(output mlSystemTopicName)"
  datastore="$(output datastoreName)"
  principal="$(output appPrincipalId)"
  role="$(output appRoleDefinitionName)"
  adopted="$(az deployment group show -g "$resource_group" -n "$RESOURCES_DEPLOYMENT" \
    --query 'properties.parameters.existingMlSystemTopicName.value' -o tsv 2>/dev/null || true)"

  # 0. Online endpoints the app deployed bill every hour they exist: delete the ones it owns
  #    (tagged autopilot-owner); the models it registered stay in the workspace.
  local endpoint
  while IFS= read -r endpoint; do
    [[ -n "$endpoint" ]] || continue
    log "deleting online endpoint $endpoint (owned by the app)"
    az rest --method delete \
      --url "https://management.azure.com$workspace_id/onlineEndpoints/$endpoint?api-version=$ML_API_VERSION" -o none
  done < <(az rest --method get --url "https://management.azure.com$workspace_id/onlineEndpoints?api-version=$ML_API_VERSION" \
    --query "value[?tags.\"$OWNER_TAG_KEY\"=='$OWNER_TAG_VALUE'].name" -o tsv 2>/dev/null || true)

  # 1. In the workspace's resource group: the job-events subscription, and the system topic if
  #    this script created it and nothing else subscribes to it.
  if az eventgrid system-topic event-subscription show -g "$workspace_rg" --system-topic-name "$ml_topic" \
    -n job-events -o none 2>/dev/null; then
    log "deleting event subscription job-events"
    az eventgrid system-topic event-subscription delete -g "$workspace_rg" --system-topic-name "$ml_topic" \
      -n job-events --yes -o none
  fi
  if [[ -z "$adopted" ]] && az eventgrid system-topic show -g "$workspace_rg" -n "$ml_topic" -o none 2>/dev/null; then
    local others
    others="$(az eventgrid system-topic event-subscription list -g "$workspace_rg" --system-topic-name "$ml_topic" \
      --query 'length(@)' -o tsv)"
    if [[ "$others" == '0' ]]; then
      log "deleting system topic $ml_topic"
      az eventgrid system-topic delete -g "$workspace_rg" -n "$ml_topic" --yes -o none
    else
      warn "keeping system topic $ml_topic: $others other subscription(s) use it"
    fi
  fi

  # 2. The datastore and the app's roles on the workspace, then the custom role if unused.
  delete_if_exists "$workspace_id/datastores/$datastore" "datastore $datastore" --api-version "$ML_API_VERSION"
  if [[ -n "$principal" ]]; then
    local assignment
    while IFS= read -r assignment; do
      [[ -n "$assignment" ]] || continue
      log "deleting role assignment $assignment"
      az role assignment delete --ids "$assignment" -o none
    done < <(az role assignment list --scope "$workspace_id" --query "[?principalId=='$principal'].id" -o tsv)
  fi
  if [[ -n "$principal" ]]; then
    while IFS= read -r assignment; do
      [[ -n "$assignment" ]] || continue
      log "deleting role assignment $assignment (region reads)"
      az role assignment delete --ids "$assignment" -o none
    done < <(az role assignment list --scope "$subscription_scope" --role "$region_reads_role" \
      --query "[?principalId=='$principal'].id" -o tsv 2>/dev/null || true)
    az role definition delete --name "$region_reads_role" --scope "$subscription_scope" -o none 2>/dev/null ||
      warn "kept custom role '$region_reads_role' (other apps in the subscription may still use it)"
  fi
  if [[ -n "$role" ]]; then
    az role definition delete --name "$role" --scope "/subscriptions/$subscription_id/resourceGroups/$workspace_rg" \
      -o none 2>/dev/null || warn "kept custom role $role (another app in '$workspace_rg' may still use it)"
  fi

  # 3. The app's own resources: the whole group when this script created it, else one by one.
  local tag
  tag="$(az group show -n "$resource_group" --query "tags.\"$OWNER_TAG_KEY\"" -o tsv 2>/dev/null || true)"
  if [[ "$tag" == "$OWNER_TAG_VALUE" ]]; then
    log "deleting resource group $resource_group"
    az group delete -n "$resource_group" --yes -o none
    return
  fi
  local rg_id="/subscriptions/$subscription_id/resourceGroups/$resource_group/providers"
  delete_if_exists "$rg_id/Microsoft.EventGrid/systemTopics/$storage_topic" "system topic $storage_topic"
  # The optional pieces (parameters durableBackend, lifecycleEventsTopic): empty names when not made.
  local scheduler lifecycle_topic
  scheduler="$(output durableTaskSchedulerName)"
  lifecycle_topic="$(output lifecycleTopicName)"
  if [[ -n "$lifecycle_topic" ]]; then
    delete_if_exists "$rg_id/Microsoft.EventGrid/topics/$lifecycle_topic" "lifecycle events topic $lifecycle_topic"
  fi
  if [[ -n "$scheduler" ]]; then
    # Its task hub (and the orchestration state in it) goes with it.
    delete_if_exists "$rg_id/Microsoft.DurableTask/schedulers/$scheduler" "Durable Task Scheduler $scheduler"
  fi
  delete_if_exists "$rg_id/Microsoft.Web/sites/$app" "function app $app"
  delete_if_exists "$rg_id/Microsoft.Web/serverfarms/plan-$app" "plan plan-$app"
  delete_if_exists "$rg_id/Microsoft.Storage/storageAccounts/$(output storageAccountName)" "storage account"
  delete_if_exists "$rg_id/Microsoft.Insights/components/appi-$app" "Application Insights appi-$app"
  delete_if_exists "$rg_id/Microsoft.OperationalInsights/workspaces/log-$app" "Log Analytics log-$app"
  delete_if_exists "$rg_id/Microsoft.ManagedIdentity/userAssignedIdentities/id-$app" "identity id-$app"
  delete_if_exists "$rg_id/Microsoft.ManagedIdentity/userAssignedIdentities/$(output eventsIdentityName)" "identity $(output eventsIdentityName)"
  az deployment group delete -g "$resource_group" -n "$EVENTS_DEPLOYMENT" -o none 2>/dev/null || true
  az deployment group delete -g "$resource_group" -n "$RESOURCES_DEPLOYMENT" -o none
}

if [[ "$delete" == true ]]; then
  teardown
  exit 0
fi
case "$stage" in
  all) stage_resources; stage_code; stage_events ;;
  resources) stage_resources ;;
  code) stage_code ;;
  events) stage_events ;;
esac
