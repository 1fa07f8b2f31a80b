// JSON schemas that know every built-in plugin: a plugin entry offers the handler names (with their
// descriptions) and, once the handler is chosen, that plugin's own options with their enums,
// defaults and descriptions, from its descriptor's zod schema. Used by the gatekit.plugins setting
// and by the schema of gatekit.yaml / gatekit.json (media/schemas/gatekit.schema.json).
import * as z from 'zod';
import { gatekitConfigSchema, pluginConfigSchema, PLUGIN_SECTIONS } from '../config/schema';
import { builtinDescriptors } from '../plugins/descriptors';

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/** The common options every plugin takes (`enabled`, `priority`, `critical`). */
function commonOptions(): Record<string, unknown> {
  return (jsonSchemaOf(pluginConfigSchema).properties ?? {}) as Record<string, unknown>;
}

/**
 * `{handler, config}` with the handler's own options once the handler is known; `light` leaves
 * the options out (the settings contribution, which package.json carries three times: every
 * option is in the gatekit.yaml schema and validated by the gateway's loader either way).
 */
export function pluginEntryJsonSchema(light = false): JsonSchema {
  const descriptors = Object.values(builtinDescriptors).sort((a, b) => a.handler.localeCompare(b.handler));
  const common = commonOptions();
  return {
    type: 'object',
    required: ['handler'],
    additionalProperties: false,
    properties: {
      handler: {
        type: 'string',
        description: 'The plugin.',
        // Built-in names offered with their descriptions; other names stay valid (plugins of other packages).
        anyOf: [{ enum: descriptors.map((d) => d.handler), markdownEnumDescriptions: descriptors.map((d) => `**${d.kind}**: ${d.description}`) }, { minLength: 1 }],
      },
      config: { type: 'object', description: 'The plugin\'s options.', properties: common },
    },
    ...(light ? {} : { allOf: pluginOptionSchemas(descriptors, common) }),
  };
}

function pluginOptionSchemas(descriptors: readonly (typeof builtinDescriptors)[keyof typeof builtinDescriptors][], common: Record<string, unknown>): JsonSchema[] {
  return descriptors.map((descriptor) => {
      const own = jsonSchemaOf(descriptor.configSchema);
      const properties = { ...common, ...((own.properties ?? {}) as Record<string, unknown>) };
      return {
        if: { properties: { handler: { const: descriptor.handler } }, required: ['handler'] },
        then: {
          properties: {
            config: {
              type: 'object',
              description: descriptor.description,
              properties,
              ...(Array.isArray(own.required) && own.required.length ? { required: own.required } : {}),
              additionalProperties: false,
            },
          },
        },
      };
    });
}

/** `plugins:` of gatekit.yaml and the gatekit.plugins setting: section → scope → entries. */
export function pluginsJsonSchema(description: (section: string) => string | undefined, light = false): JsonSchema {
  const entry = pluginEntryJsonSchema(light);
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      PLUGIN_SECTIONS.map((section) => [
        section,
        { type: 'object', ...(description(section) ? { description: description(section) } : {}), additionalProperties: { type: 'array', items: entry } },
      ]),
    ),
  };
}

/** The JSON schema of a whole gatekit.yaml / gatekit.json, plugins included. */
export function gatekitFileJsonSchema(): JsonSchema {
  const schema = jsonSchemaOf(gatekitConfigSchema);
  const properties = { ...((schema.properties ?? {}) as Record<string, JsonSchema>) };
  const previous = (properties.plugins ?? {}) as { properties?: Record<string, { description?: string }> };
  properties.plugins = pluginsJsonSchema((section) => previous.properties?.[section]?.description);
  return { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Gatekit configuration (gatekit.yaml)', ...schema, properties };
}
