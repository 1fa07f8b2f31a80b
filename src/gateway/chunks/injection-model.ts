// The statistical injection model in its own bundle (dist/gateway-injection-model.js): its weights
// (about 170 KB of base64) and scorer are loaded only when a configuration turns the model on
// (`model: on` of basic_prompt_injection_defense), so gateway-core.js carries neither.
import weightsFile from '../../plugins/security/detect/injection/model-weights.json';
import { modelFromWeightsFile, type InjectionModel } from '../../plugins/security/detect/injection/model';

let model: InjectionModel | undefined;

/** The shipped model, checked once; throws `ModelWeightsError` if the bundled weights are unusable. */
export function shippedInjectionModel(): InjectionModel {
  return (model ??= modelFromWeightsFile(weightsFile));
}
