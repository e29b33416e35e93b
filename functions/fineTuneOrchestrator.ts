// The fine-tune orchestration and its activities. The orchestrator is src/orchestration/fineTune.ts;
// each activity is a one-line wrapper over createActivities (src/activities.ts).
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { FunctionName } from '../src/names.js';
import { ActivityName } from '../src/orchestration/activityNames.js';
import { fineTuneOrchestrator } from '../src/orchestration/fineTune.js';
import type * as T from '../src/orchestration/types.js';
import { getServices } from '../src/runs/services.js';

// Read and check every setting when the app starts, so a misconfigured Function App fails at
// start-up with a message naming each bad key rather than on its first request or event.
app.hook.appStart(() => {
  getServices();
});

df.app.orchestration(FunctionName.fineTuneOrchestrator, fineTuneOrchestrator);

const activities = () => getServices().activities;
df.app.activity(ActivityName.validate, { handler: (input: T.ValidateInput) => activities().validate(input) });
df.app.activity(ActivityName.prepare, { handler: (input: T.PrepareInput) => activities().prepare(input) });
df.app.activity(ActivityName.resolveModel, { handler: () => activities().resolveModel() });
df.app.activity(ActivityName.checkCompute, {
  handler: (input: T.CheckComputeInput) => activities().checkCompute(input),
});
df.app.activity(ActivityName.submit, { handler: (input: T.SubmitInput) => activities().submit(input) });
df.app.activity(ActivityName.getJob, { handler: (input: T.JobInput) => activities().getJob(input) });
df.app.activity(ActivityName.cancelJob, { handler: (input: T.JobInput) => activities().cancelJob(input) });
df.app.activity(ActivityName.metrics, { handler: (input: T.JobInput) => activities().metrics(input) });
df.app.activity(ActivityName.register, { handler: (input: T.RegisterInput) => activities().register(input) });
df.app.activity(ActivityName.startEndpoint, {
  handler: (input: T.StartEndpointInput) => activities().startEndpoint(input),
});
df.app.activity(ActivityName.startDeployment, {
  handler: (input: T.StartDeploymentInput) => activities().startDeployment(input),
});
df.app.activity(ActivityName.getDeploymentState, {
  handler: (input: T.DeploymentStateInput) => activities().getDeploymentState(input),
});
df.app.activity(ActivityName.setTraffic, {
  handler: (input: T.SetTrafficInput) => activities().setTraffic(input),
});
df.app.activity(ActivityName.smokeTest, {
  handler: (input: T.SmokeTestInput) => activities().smokeTest(input),
});
df.app.activity(ActivityName.cleanup, { handler: (input: T.CleanupInput) => activities().cleanup(input) });
df.app.activity(ActivityName.writeSummary, {
  handler: (input: T.WriteSummaryInput) => activities().writeSummary(input),
});
