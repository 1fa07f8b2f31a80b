// JSON schemas that know every built-in plugin: a plugin entry offers the handler names of its
// section (with their descriptions) and, once the handler is chosen, that plugin's own options with
// their enums, defaults and descriptions, from its descriptor's zod schema. Used by the
// gatekit.plugins setting (package.json) and by the schema of gatekit.yaml / gatekit.json
// (media/schemas/gatekit.schema.json).
import * as z from 'zod';
import { gatekitConfigSchema, pluginConfigSchema, PLUGIN_SECTIONS } from '../config/schema';
import { builtinDescriptors } from '../plugins/descriptors';
import type { PluginDescriptor, PluginKind } from '../plugins/types';

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
 * `{handler, config}` of one plugin section: the built-in handlers of that kind offered with their
 * descriptions, and once the handler is chosen its own options with their enums, defaults and
 * descriptions (`if`/`then` on `handler`). Only the section's own kind is listed: the loader refuses
 * a plugin in another section, and the settings contribution carries each plugin's options once.
 */
export function pluginEntryJsonSchema(kind: PluginKind): JsonSchema {
  const descriptors = Object.values(builtinDescriptors)
    .filter((d) => d.kind === kind)
    .sort((a, b) => a.handler.localeCompare(b.handler));
  const common = commonOptions();
  return {
    type: 'object',
    required: ['handler'],
    additionalProperties: false,
    properties: {
      handler: {
        type: 'string',
        description: `The ${kind} plugin.`,
        // Built-in names offered with their descriptions; other names stay valid (plugins of other packages).
        anyOf: [{ enum: descriptors.map((d) => d.handler), markdownEnumDescriptions: descriptors.map((d) => `**${d.displayName}**: ${d.description}`) }, { minLength: 1 }],
      },
      config: { type: 'object', description: "The plugin's options.", properties: common },
    },
    allOf: pluginOptionSchemas(descriptors, common),
  };
}

function pluginOptionSchemas(descriptors: readonly PluginDescriptor[], common: Record<string, unknown>): JsonSchema[] {
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
export function pluginsJsonSchema(description: (section: string) => string | undefined): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      PLUGIN_SECTIONS.map((section) => [
        section,
        { type: 'object', ...(description(section) ? { description: description(section) } : {}), additionalProperties: { type: 'array', items: pluginEntryJsonSchema(section) } },
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

/** The values an option of a plugin takes (its enum) and its default, from the descriptor's schema; empty when it is no enum. */
export function optionEnum(descriptor: PluginDescriptor, option: string): { actions: string[]; defaultAction?: string } {
  const properties = (jsonSchemaOf(descriptor.configSchema).properties ?? {}) as Record<string, { enum?: unknown; default?: unknown }>;
  const schema = Object.hasOwn(properties, option) ? properties[option] : undefined;
  const values = Array.isArray(schema?.enum) ? schema.enum.filter((v): v is string => typeof v === 'string') : [];
  return { actions: values, ...(typeof schema?.default === 'string' && values.includes(schema.default) ? { defaultAction: schema.default } : {}) };
}
