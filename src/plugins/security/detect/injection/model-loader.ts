// Loads the statistical injection model from its bundle (src/gateway/chunks/injection-model.ts):
// only types are imported here, so gateway-core.js holds neither the weights nor the scorer.
import { loadChunk } from '../../../../gateway/chunks';
import type * as InjectionModelChunk from '../../../../gateway/chunks/injection-model';
import type { InjectionModel } from './model';

/**
 * The shipped model. Throws when its bundle is missing or its weights fail the checks of
 * `modelFromWeightsFile`: called when a plugin is built, so a bad install stops the plugin at start
 * with the reason, never in the middle of a scan.
 */
export function loadInjectionModel(): InjectionModel {
  return loadChunk<typeof InjectionModelChunk>('injection-model').shippedInjectionModel();
}
