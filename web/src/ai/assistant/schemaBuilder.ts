/** The JSON Schema builder's model: an object's fields (name, type, description, required;
 * objects and arrays of objects nest), to and from JSON Schema. A schema using more than this
 * (enum, anyOf, $ref, formats…) is not representable: the builder shows it as JSON. */

export const FIELD_TYPES = ["string", "number", "integer", "boolean", "object", "array"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export type ItemType = Exclude<FieldType, "array">;

export interface BuilderField {
  name: string;
  type: FieldType;
  description: string;
  required: boolean;
  /** type object, or array of objects: its fields. */
  fields?: BuilderField[];
  /** type array: the type of its items. */
  items?: ItemType;
}

type Schema = Record<string, unknown>;

const OBJECT_KEYS = new Set(["type", "properties", "required", "additionalProperties", "description", "title"]);
const PROP_KEYS = new Set(["type", "description", "properties", "required", "items", "additionalProperties", "title"]);

function isRecord(v: unknown): v is Schema {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function objectFields(schema: Schema): BuilderField[] | null {
  if (Object.keys(schema).some((k) => !OBJECT_KEYS.has(k))) return null;
  if (schema.type !== "object") return null;
  const props = schema.properties ?? {};
  if (!isRecord(props)) return null;
  const required = Array.isArray(schema.required) ? schema.required : [];
  const out: BuilderField[] = [];
  for (const [name, raw] of Object.entries(props)) {
    const field = fieldOf(name, raw, required.includes(name));
    if (!field) return null;
    out.push(field);
  }
  return out;
}

function fieldOf(name: string, raw: unknown, required: boolean): BuilderField | null {
  if (!isRecord(raw) || Object.keys(raw).some((k) => !PROP_KEYS.has(k))) return null;
  const type = raw.type;
  if (typeof type !== "string" || !(FIELD_TYPES as readonly string[]).includes(type)) return null;
  const field: BuilderField = { name, type: type as FieldType, description: typeof raw.description === "string" ? raw.description : "", required };
  if (type === "object") {
    const fields = objectFields(raw);
    if (!fields) return null;
    field.fields = fields;
  } else if (type === "array") {
    const items = raw.items;
    if (items === undefined) {
      field.items = "string";
    } else {
      if (!isRecord(items)) return null;
      const itemType = items.type;
      if (typeof itemType !== "string" || itemType === "array" || !(FIELD_TYPES as readonly string[]).includes(itemType)) return null;
      field.items = itemType as ItemType;
      if (itemType === "object") {
        const fields = objectFields(items);
        if (!fields) return null;
        field.fields = fields;
      } else if (Object.keys(items).some((k) => k !== "type" && k !== "description")) return null;
    }
  } else if (raw.properties !== undefined || raw.items !== undefined || raw.required !== undefined) {
    return null;
  }
  return field;
}

/** The builder's fields of a schema; null when the schema says more than the builder can. */
export function fromSchema(schema: unknown): BuilderField[] | null {
  if (schema === undefined || schema === null) return [];
  if (!isRecord(schema)) return null;
  return objectFields(schema);
}

function objectSchema(fields: BuilderField[]): Schema {
  const properties: Schema = {};
  for (const f of fields) if (f.name.trim()) properties[f.name.trim()] = propSchema(f);
  const required = fields.filter((f) => f.required && f.name.trim()).map((f) => f.name.trim());
  return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
}

function propSchema(f: BuilderField): Schema {
  const description = f.description.trim() ? { description: f.description.trim() } : {};
  if (f.type === "object") return { ...objectSchema(f.fields ?? []), ...description };
  if (f.type === "array") {
    const items = f.items ?? "string";
    return { type: "array", items: items === "object" ? objectSchema(f.fields ?? []) : { type: items }, ...description };
  }
  return { type: f.type, ...description };
}

/** The JSON Schema of the builder's fields (an object; fields without a name left out). */
export function toSchema(fields: BuilderField[]): Schema {
  return objectSchema(fields);
}

/** Problems to show under the builder: empty or repeated names. */
export function builderProblems(fields: BuilderField[], path = ""): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const where = path ? `${path}.${f.name || `#${i + 1}`}` : f.name || `#${i + 1}`;
    if (!f.name.trim()) out.push(`field ${where}: needs a name`);
    else if (seen.has(f.name.trim())) out.push(`field ${where}: the name is used twice`);
    seen.add(f.name.trim());
    if (f.fields && (f.type === "object" || (f.type === "array" && f.items === "object"))) out.push(...builderProblems(f.fields, where));
  });
  return out;
}
