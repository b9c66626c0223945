/**
 * Features beyond the approvals (training, people joining and leaving, incidents, the register's
 * calendar) plug into the bot through one contract, so each lives in its own folder and the
 * bootstrap wires them all alike (bot/bootstrap.ts):
 *
 * - `init()` creates its collections' indexes;
 * - `register(router)` mounts its commands, card actions and system events;
 * - `alarm(a)` handles its alarms (models/alarm.model.ts; the topic is the feature's `name`), swept
 *   every minute by one instance (scheduler/alarms.ts);
 * - `cadences` are its calendar tasks (quarterly, monthly …), each run once per slot across
 *   instances by the scheduler's run coordinator (scheduler/scheduler.ts);
 * - `api` is what other features may call (the register opens an incident for a missing carrier).
 *
 * Features are built in the order of FEATURES; a feature finds an earlier one's API with
 * `ctx.api(name)`.
 */
import type { Connection } from 'mongoose';
import type { Locale } from '../bot/core/config.js';
import type { Router } from '../bot/core/router.js';
import type { Services } from '../bot/core/types.js';
import type { Policy } from '../domain/index.js';
import type { Alarm, AlarmStore } from '../models/alarm.model.js';
import type { AlarmOutcome, NotifyDeps } from '../scheduler/alarms.js';
import type { FanoutService } from '../scheduler/fanout.js';
import type { IncidentDraft } from './approvals/effect-handlers.js';
import type { People } from './approvals/people.js';
import type { ApprovalRepos } from './approvals/ports.js';
import type { ApprovalService } from './approvals/service.js';
import { doctorFeature } from './doctor.handler.js';
import { incidentsFeature } from './incidents/index.js';
import { registerFeature } from './register/index.js';
import { staffFeature } from './staff/index.js';
import { trainingFeature } from './training/index.js';

export interface FeatureContext {
  connection: Connection;
  services: Services;
  repos: ApprovalRepos;
  people: People;
  approvals: ApprovalService;
  policy: Policy;
  fanout: Pick<FanoutService, 'send'>;
  /** notifyByLanguage's dependencies (scheduler/alarms.ts). */
  notify: NotifyDeps;
  alarms: AlarmStore;
  timezone: string;
  defaultLocale: Locale;
  /** The environment, for the feature's own settings (each validates and documents its variables). */
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** An earlier feature's API (undefined when that feature is not built). */
  api<T>(name: string): T | undefined;
}

export interface Cadence {
  /** Unique task name, e.g. 'training.quarterly'. */
  name: string;
  /** node-cron expression in the unit's time zone. */
  cron: string;
  /** Runs once per slot across instances; returns a one-line summary for the log and /schedule. */
  run(slot: Date): Promise<string>;
  /** At start-up, catch up on the latest missed slot only when it is at most this old (default: any age). */
  catchUpWithinMs?: number;
}

export interface FeatureModule {
  name: string;
  init?(): Promise<void>;
  register?(router: Router): void;
  alarm?(a: Alarm): Promise<AlarmOutcome>;
  cadences?: Cadence[];
  api?: unknown;
}

export type FeatureFactory = (ctx: FeatureContext) => FeatureModule;

/** In build order: the incidents come before the features that open incidents. */
export const FEATURES: readonly FeatureFactory[] = [incidentsFeature, trainingFeature, staffFeature, registerFeature, doctorFeature];

/** Builds every feature on one context and initialises them. */
export async function buildFeatures(ctx: Omit<FeatureContext, 'api'>, factories: readonly FeatureFactory[] = FEATURES): Promise<FeatureModule[]> {
  const built: FeatureModule[] = [];
  const full: FeatureContext = { ...ctx, api: <T>(name: string) => built.find((f) => f.name === name)?.api as T | undefined };
  for (const make of factories) built.push(make(full));
  for (const f of built) await f.init?.();
  return built;
}

/** What the incidents feature offers the others (handlers/incidents). */
export interface IncidentApi {
  /**
   * Opens (once per `sourceKey`) a lost-carrier incident for carriers reported missing: the
   * 10-day (绝密) / 60-day countdown starts. Returns the incident's id.
   */
  reportMissing(tenantKey: string, input: { carrierIds: string[]; reportedBy: string; sourceKey: string; note?: string }): Promise<{ incidentId: string; created: boolean }>;
  /**
   * Opens (once per `effectKey`) a draft incident from an approval's failed supervision check
   * (originals not returned, device not wiped, inspection failed) for the security officers to
   * confirm or dismiss (the approvals' effect executor calls it, see bot/bootstrap.ts).
   */
  draft?(tenantKey: string, input: IncidentDraft): Promise<{ incidentId: string; created: boolean }>;
}

/** What the training feature offers the others (handlers/training). */
export interface TrainingApi {
  /** When the person's attendance at a session of this kind was last confirmed, if ever. */
  completed(tenantKey: string, openId: string, kind: 'onboarding' | 'annual' | 'topic' | 'abroad' | 'departure' | 'classification'): Promise<Date | null>;
}
