// The staff feature (issue 10). Placeholder: built in its own folder, wired by handlers/features.ts.
import type { FeatureContext, FeatureModule } from '../features.js';

export function staffFeature(_ctx: FeatureContext): FeatureModule {
  return { name: 'staff' };
}
