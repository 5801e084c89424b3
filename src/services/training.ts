import type { Database } from '../db/database.js';
import { runConversation, type Step } from '../domain/dialogEngine.js';
import { flowVariables } from '../domain/dialogFlow.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { findJob, findTrainingJob, insertJob } from '../repositories/jobs.js';
import { findDialogFlow } from '../repositories/referenceData.js';
import { recordFinishedCalls } from './callResults.js';
import type { FlowOwner } from './dialogFlows.js';
import { loadDialogFlowVersion } from './dialogFlows.js';

/*
 * Script training (话术训练, docs/dialog-flows.md): an operator chats with a flow version as the
 * customer. Nothing is kept on the server while the chat goes on: the client holds the customer's
 * utterances and sends them all each turn; the engine (nextTurn's replay) answers the robot's step
 * from them, so a reloaded page or a second server gives the same answer. At the end the chat is one
 * training call record of a job, through the one write path (recordFinishedCalls, training: true):
 * listed by getCallRecordInfoList with getTrainTaskList=true, never counted by statistics.
 *
 * From a job's detail the chat speaks the job's version and is recorded on the job. From the flow
 * editor it speaks the version chosen and is recorded on the flow's training job: one per flow, made
 * when first needed, named as such, with the training phone type and no customers, never started —
 * so it never dials.
 */

/** The phone type that marks a flow's training job (the seed's 训练主叫账号). */
const TRAINING_PHONE_TYPE = 'VERBAL_TRICK_TRAINING_CALLER' as const;
/** The number training records are "dialled" to: no customer's. */
const TRAINING_NUMBER = '00000000000';

export const trainingJobName = (flowName: string) => `话术训练 · ${flowName}`;

/** Which chat: the job it is recorded on and the flow version it speaks. */
export interface TrainingTarget {
  robotCallJobId: number;
  dialogFlowId: number;
  version: number;
}

export interface TrainingStart extends TrainingTarget {
  jobName: string;
  flowName: string;
  /** The `${variables}` the version's robot lines use. */
  variables: string[];
  opening: Step;
}

/** A chat from a job's detail: the job's flow version. */
export async function startJobTraining(
  db: Database,
  owner: FlowOwner,
  robotCallJobId: number,
  variables: Record<string, string> = {},
): Promise<TrainingStart> {
  const job = await findJob(db, owner.tenantId, robotCallJobId);
  if (!job) throw notFound('robotCallJobId', robotCallJobId);
  const flow = await findDialogFlow(db, owner.tenantId, job.dialog_flow_id);
  if (!flow) throw notFound('dialogFlowId', job.dialog_flow_id);
  const version = job.dialog_flow_version ?? flow.version;
  return started(db, owner, { robotCallJobId, dialogFlowId: flow.id, version }, job.name, flow.name, variables);
}

/** A chat from the flow editor: `version` (default the current one) on the flow's training job, made when first needed. */
export async function startFlowTraining(
  db: Database,
  owner: FlowOwner,
  dialogFlowId: number,
  version: number | undefined,
  variables: Record<string, string> = {},
  now = Date.now(),
): Promise<TrainingStart> {
  const flow = await findDialogFlow(db, owner.tenantId, dialogFlowId);
  if (!flow) throw notFound('dialogFlowId', dialogFlowId);
  const v = version ?? flow.version;
  const job = await trainingJobOf(db, owner, dialogFlowId, flow.name, now);
  return started(db, owner, { robotCallJobId: job.id, dialogFlowId, version: v }, job.name, flow.name, variables);
}

async function started(
  db: Database,
  owner: FlowOwner,
  target: TrainingTarget,
  jobName: string,
  flowName: string,
  variables: Record<string, string>,
): Promise<TrainingStart> {
  const { steps, variablesUsed } = await converse(db, owner, target, [], variables);
  return { ...target, jobName, flowName, variables: variablesUsed, opening: steps[0]! };
}

/** The flow's training job; made (in one transaction, so two first chats make one) when it has none. */
async function trainingJobOf(db: Database, owner: FlowOwner, dialogFlowId: number, flowName: string, now: number) {
  const found = await findTrainingJob(db, owner.tenantId, dialogFlowId);
  if (found) return found;
  return db.transaction(async (trx) => {
    const again = await findTrainingJob(trx, owner.tenantId, dialogFlowId, true);
    if (again) return again;
    const name = trainingJobName(flowName);
    const id = await insertJob(
      trx,
      {
        tenant_id: owner.tenantId,
        dialog_flow_id: dialogFlowId,
        name,
        // MANUAL and never started, with no customers and no lines: it never dials.
        mode: 'MANUAL',
        robot_count: 1,
        sms_template_id: null,
        phone_type: TRAINING_PHONE_TYPE,
        daily_start_time: '09:00:00',
        daily_end_time: '20:00:00',
        inactive_time_list: [],
        redial_condition: [],
        description: '话术训练记录 (script-training records of this flow; this job never dials)',
        wechat_alert_level: [],
        sms_alert_level: [],
        alert_users: [],
        early_warning_alert_users: [],
        wechat_send_method: 'SENDTOALL',
        status: 'NOT_STARTED',
        start_time: null,
        next_start_time: null,
        system_pause_next_start: null,
        redial_times: 0,
        redial_interval_minutes: 60,
        created_by_user_id: null,
        organization_id: null,
        created_at: now,
        last_modified_at: now,
      },
      [],
    );
    return { id, name };
  });
}

/** Checks the target is the tenant's (the job speaks that flow, which has that version) and runs the utterances. */
async function converse(
  db: Database,
  owner: FlowOwner,
  target: TrainingTarget,
  utterances: readonly (string | null)[],
  variables: Record<string, string>,
) {
  const job = await findJob(db, owner.tenantId, target.robotCallJobId);
  if (!job) throw notFound('robotCallJobId', target.robotCallJobId);
  if (job.dialog_flow_id !== target.dialogFlowId)
    throw invalidParameter(
      'dialogFlowId',
      `job ${target.robotCallJobId} does not speak dialog flow ${target.dialogFlowId}`,
    );
  const flow = await loadDialogFlowVersion(db, owner.tenantId, target.dialogFlowId, target.version);
  if (!flow) throw notFound('version', target.version);
  return { ...runConversation(flow, utterances, variables), variablesUsed: flowVariables(flow.definition) };
}

/**
 * The robot's step after the last of `utterances` (the customer's, in order; the chat so far is
 * replayed). An utterance after the end is refused, naming it.
 */
export async function trainingTurn(
  db: Database,
  owner: FlowOwner,
  target: TrainingTarget,
  utterances: string[],
  variables: Record<string, string> = {},
): Promise<Step> {
  if (utterances.length === 0) throw invalidParameter('utterances', 'must not be empty');
  const { steps } = await converse(db, owner, target, utterances, variables);
  if (steps.length !== utterances.length + 1)
    throw invalidParameter(`utterances[${steps.length - 1}]`, 'comes after the conversation ended');
  return steps[steps.length - 1]!;
}

export interface TrainingRecord {
  callRecordId: number;
  /** Every step, the opening first; the last one carries the outcome. */
  steps: Step[];
  outcome: NonNullable<Step['outcome']>;
}

/**
 * Saves a chat as a training call record: the utterances are replayed (the server's engine, not the
 * client, says what the robot said and how it came out). A chat the operator ends before the robot
 * closed ends as the customer hanging up. `sessionKey` (the client's, one per chat) makes a chat
 * sent twice one record.
 */
export async function finishTraining(
  db: Database,
  owner: FlowOwner,
  target: TrainingTarget,
  sessionKey: string,
  utterances: string[],
  variables: Record<string, string> = {},
  startTime = Date.now(),
  now = Date.now(),
): Promise<TrainingRecord> {
  let run = await converse(db, owner, target, utterances, variables);
  if (run.steps.length !== utterances.length + 1 && run.steps[run.steps.length - 1]!.end)
    throw invalidParameter(`utterances[${run.steps.length - 1}]`, 'comes after the conversation ended');
  const endedByOperator = run.outcome === undefined;
  if (endedByOperator) run = await converse(db, owner, target, [...utterances, null], variables);
  const outcome = run.outcome!;
  const [recorded] = await recordFinishedCalls(
    db,
    owner.tenantId,
    [
      {
        idempotencyKey: `console-training-${target.robotCallJobId}-${sessionKey}`,
        robotCallJobId: target.robotCallJobId,
        callTaskId: null,
        calledPhoneNumber: TRAINING_NUMBER,
        resultStatus: 'ANSWERED',
        intentLevel: outcome.intentLevel,
        customerConcern: outcome.concerns,
        analysisBasis: `话术训练（版本 ${target.version}）：${outcome.analysisBasis}`,
        startTime: Math.min(startTime, now),
        endTime: now,
        chatDuration: Math.max(1, Math.round((now - Math.min(startTime, now)) / 1000)),
        chatRound: outcome.customerTurns,
        training: true,
        hangupBy: endedByOperator ? 'REMOTE_HANGUP' : 'ROBOT_HANGUP',
        turns: run.transcript,
      },
    ],
    now,
  );
  return { callRecordId: recorded!.callRecordId, steps: run.steps, outcome };
}
