// The incident feature (issue 10). Placeholder: built in its own folder, wired by handlers/features.ts.
import type { FeatureContext, FeatureModule } from '../features.js';

export function incidentsFeature(_ctx: FeatureContext): FeatureModule {
  return { name: 'incident' };
}
